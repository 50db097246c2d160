//! Entries for an explicit list of paths, each looked up on its own (`HEAD`, a `stat`
//! locally) instead of listing the prefix: an incremental delivery of a few files into a
//! folder of millions then costs a few requests, not a listing of the folder at both ends.
//! Yields in ascending path order, like a listing, so the merge takes it as one.

use super::entry::Entry;
use super::filter::Filter;
use crate::stores::Resolved;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::ObjectStoreExt;

/// Lookups in flight at once per location.
const HEADS_IN_FLIGHT: usize = 16;

/// The files among `paths` (relative to `loc`) that exist there and pass `filter`, in
/// ascending path order.
pub fn looked_up_entries(loc: &Resolved, paths: &[String], filter: &Filter) -> BoxStream<'static, Result<Entry, object_store::Error>> {
    let mut paths: Vec<String> = paths.iter().filter(|p| filter.matches(p)).cloned().collect();
    paths.sort_unstable();
    paths.dedup();
    let (store, prefix) = (loc.store.clone(), loc.prefix.clone());
    futures::stream::iter(paths)
        .map(move |rel_path| {
            let (store, prefix) = (store.clone(), prefix.clone());
            async move {
                let location = super::join(&prefix, &rel_path).map_err(|e| object_store::Error::Generic { store: "ferry", source: Box::new(e) })?;
                match store.head(&location).await {
                    Ok(meta) => Ok(Some(Entry { rel_path, location, size: meta.size, last_modified: meta.last_modified, e_tag: meta.e_tag })),
                    Err(object_store::Error::NotFound { .. }) => Ok(None),
                    Err(e) => Err(e),
                }
            }
        })
        .buffered(HEADS_IN_FLIGHT)
        .try_filter_map(|found| futures::future::ready(Ok(found)))
        .boxed()
}
