//! Conditions about files: one object's presence or size, a prefix's file count.

use crate::error::store_error_is_retryable;
use crate::stores::StoreResolver;
use ferry_common::conditions::{ListedObject, MinFiles, MinSize, ObjectListing, ProbeError, Verdict};
use ferry_common::location::Location;
use futures::StreamExt;
use object_store::ObjectStoreExt;

/// `exists`: a file, or (URL ending in `/`) a prefix with at least one file under it.
pub(super) async fn exists(resolver: &StoreResolver, loc: &Location) -> Result<Verdict, ProbeError> {
    let r = resolver.resolve_full(loc).map_err(|e| ProbeError::Permanent(e.to_string()))?;
    if r.explicit_prefix || r.prefix.is_root() {
        let n = count(resolver, loc, 1).await?;
        return Ok(if n > 0 { Verdict::Holds } else { Verdict::Unmet("nothing there yet".into()) });
    }
    match r.store.head(&r.prefix).await {
        Ok(_) => Ok(Verdict::Holds),
        Err(object_store::Error::NotFound { .. }) => Ok(Verdict::Unmet("not found".into())),
        Err(e) => Err(classify(&r.url, e)),
    }
}

/// `min_files`: at least `count` files under a prefix (counting stops there).
pub(super) async fn min_files(resolver: &StoreResolver, m: &MinFiles) -> Result<Verdict, ProbeError> {
    let loc = Location { url: m.url.clone(), connection: m.connection.clone() };
    let n = count(resolver, &loc, m.count).await?;
    Ok(if n >= m.count { Verdict::Holds } else { Verdict::Unmet(format!("{n} of {} files", m.count)) })
}

/// `min_size`: one file of at least `bytes`.
pub(super) async fn min_size(resolver: &StoreResolver, m: &MinSize) -> Result<Verdict, ProbeError> {
    let loc = Location { url: m.url.clone(), connection: m.connection.clone() };
    let r = resolver.resolve_full(&loc).map_err(|e| ProbeError::Permanent(e.to_string()))?;
    match r.store.head(&r.prefix).await {
        Ok(meta) if meta.size >= m.bytes.0 => Ok(Verdict::Holds),
        Ok(meta) => Ok(Verdict::Unmet(format!("{} bytes of {}", meta.size, m.bytes.0))),
        Err(object_store::Error::NotFound { .. }) => Ok(Verdict::Unmet("not found".into())),
        Err(e) => Err(classify(&r.url, e)),
    }
}

/// Files under a location's prefix, counted up to `enough`.
async fn count(resolver: &StoreResolver, loc: &Location, enough: u64) -> Result<u64, ProbeError> {
    let r = resolver.resolve_full(loc).map_err(|e| ProbeError::Permanent(e.to_string()))?;
    let prefix = (!r.prefix.is_root()).then_some(&r.prefix);
    let mut listing = r.store.list(prefix);
    let mut n = 0;
    while n < enough {
        match listing.next().await {
            None => break,
            Some(Ok(_)) => n += 1,
            // A local folder that does not exist yet holds nothing yet.
            Some(Err(object_store::Error::NotFound { .. })) => break,
            Some(Err(e)) => return Err(classify(&r.url, e)),
        }
    }
    Ok(n)
}

fn classify(url: &url::Url, e: object_store::Error) -> ProbeError {
    let text = format!("{url}: {e}");
    if store_error_is_retryable(&e) { ProbeError::Retryable(text) } else { ProbeError::Permanent(text) }
}

/// Every object under a location's prefix, as the store lists it (a local folder that
/// does not exist yet lists nothing).
pub(super) fn listing(resolver: &StoreResolver, loc: &Location) -> Result<ObjectListing, ProbeError> {
    let r = resolver.resolve_full(loc).map_err(|e| ProbeError::Permanent(e.to_string()))?;
    let prefix = r.prefix.clone();
    let url = r.url.clone();
    let listed = r.store.list((!prefix.is_root()).then_some(&prefix));
    Ok(listed
        .filter_map(move |item| {
            let out = match item {
                Ok(meta) => {
                    let full = meta.location.as_ref();
                    let path = full.strip_prefix(prefix.as_ref()).unwrap_or(full).trim_start_matches('/').to_string();
                    let tag = meta.e_tag.clone().unwrap_or_else(|| meta.last_modified.to_rfc3339());
                    Some(Ok(ListedObject { path, size: meta.size, tag }))
                }
                Err(object_store::Error::NotFound { .. }) => None,
                Err(e) => Some(Err(classify(&url, e))),
            };
            std::future::ready(out)
        })
        .boxed())
}
