//! Stage 1, listing: whether the source is a folder or one file, its files, and what each
//! destination already holds — listed (dry runs), looked up file by file (shards), or
//! taken from what the planner saw.

use crate::error::store_exec_error;
use crate::executors::support::cancellable;
use crate::listing::{Entry, Filter, Listing, anything_at, join, list};
use crate::stores::Resolved;
use ferry_common::executor::{ExecContext, ExecError};
use ferry_common::shards::ShardFile;
use futures::{StreamExt, TryStreamExt, stream};
use object_store::ObjectStoreExt;
use std::collections::HashMap;

/// Heads of destination files looked up at once when rechecking a shard.
const HEADS_IN_FLIGHT: usize = 16;

/// One destination with what it already holds.
pub(super) struct Dest {
    pub(super) loc: Resolved,
    /// By relative path.
    pub(super) existing: HashMap<String, Entry>,
}

/// Whether the source is a prefix (a folder) rather than one object.
pub(super) async fn names_prefix(src: &Resolved) -> Result<bool, ExecError> {
    if src.explicit_prefix || src.prefix.is_root() {
        return Ok(true);
    }
    match src.store.head(&src.prefix).await {
        Ok(_) => Ok(false),
        Err(object_store::Error::NotFound { .. }) => Ok(true),
        Err(e) => Err(store_exec_error(&format!("looking up {}", src.url), e)),
    }
}

/// Fails with "source … not found" when nothing at all is under the prefix `src`.
pub(super) async fn ensure_anything_at(src: &Resolved, source_url: &str) -> Result<(), ExecError> {
    let exists = anything_at(src).await.map_err(|e| store_exec_error(&format!("listing {}", src.url), e))?;
    if !exists {
        return Err(ExecError::Fatal(format!("source {source_url} not found")));
    }
    Ok(())
}

/// The source's files; "source … not found" when nothing is there.
pub(super) async fn source(
    ctx: &ExecContext,
    src: &Resolved,
    filter: &Filter,
    source_url: &str,
) -> Result<Listing, ExecError> {
    let listing = cancellable(&ctx.cancel, async {
        list(src, filter)
            .await
            .map_err(|e| store_exec_error(&format!("listing {}", src.url), e))
    })
    .await?;
    if !listing.exists {
        return Err(ExecError::Fatal(format!(
            "source {} not found",
            source_url
        )));
    }
    Ok(listing)
}

/// Every destination listed whole (a dry run reports on each).
pub(super) async fn destinations(
    ctx: &ExecContext,
    dest_locs: Vec<Resolved>,
    filter: &Filter,
) -> Result<Vec<Dest>, ExecError> {
    let mut dests = Vec::with_capacity(dest_locs.len());
    for loc in dest_locs {
        let l = cancellable(&ctx.cancel, async {
            list(&loc, filter)
                .await
                .map_err(|e| store_exec_error(&format!("listing {}", loc.url), e))
        })
        .await?;
        let existing = l.entries.into_iter().map(|e| (e.rel_path.clone(), e)).collect();
        dests.push(Dest { loc, existing });
    }
    Ok(dests)
}

/// What destination `i` held for a shard's files when the planner listed it.
pub(super) fn as_planned(d: &Dest, i: usize, files: &[ShardFile]) -> HashMap<String, Entry> {
    files
        .iter()
        .filter_map(|f| {
            let seen = f.dests.get(i).copied().flatten()?;
            let location = join(&d.loc.prefix, &f.path).ok()?;
            Some((f.path.clone(), Entry { rel_path: f.path.clone(), location, size: seen.size, last_modified: seen.modified, e_tag: None }))
        })
        .collect()
}

/// What one destination holds now for a shard's files.
pub(super) async fn look_up(d: &Dest, files: &[ShardFile]) -> Result<HashMap<String, Entry>, ExecError> {
    let paths: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    let loc = &d.loc;
    let found: Vec<Option<Entry>> = stream::iter(paths)
        .map(|path| async move {
            let location = join(&loc.prefix, &path)
                .map_err(|e| ExecError::Fatal(format!("destination path for {path}: {e}")))?;
            match loc.store.head(&location).await {
                Ok(meta) => Ok(Some(Entry {
                    rel_path: path.clone(),
                    location,
                    size: meta.size,
                    last_modified: meta.last_modified,
                    e_tag: meta.e_tag,
                })),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(crate::error::store_exec_error(&format!("looking up {path} at {}", loc.url), e)),
            }
        })
        .buffered(HEADS_IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().map(|e| (e.rel_path.clone(), e)).collect())
}
