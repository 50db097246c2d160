//! Listing a location: the files under it, relative to it, filtered and sorted.
//!
//! A location without a trailing `/` may name one object: when `head` finds one, the
//! listing is that single file, with its file name as relative path (so copying
//! `file:///in/a.csv` to `file:///out/` writes `/out/a.csv`, as `cp` and `rclone copy` do).
//! Otherwise everything under the prefix is listed recursively, with `/`-separated paths
//! relative to the prefix.
//!
//! Include/exclude patterns are globs matched against that relative path, with `*` not
//! crossing `/` (so `*.csv` is the top level only and `**/*.csv` is every level, `**/`
//! also matching no folder at all). An empty include list means everything. Listings are
//! sorted by relative path so that two listings can be merged in one pass, and so that a
//! shard of a listing can be described as a key range.

use crate::stores::Resolved;
use futures::TryStreamExt;
use object_store::ObjectStoreExt;
use object_store::path::Path;

/// The result of listing one location.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Files passing the filter, sorted by `rel_path`.
    pub entries: Vec<Entry>,
    /// Whether anything at all exists there (before filtering). A local directory that
    /// exists counts even when empty; object stores have no empty folders.
    pub exists: bool,
    /// Whether the location named a single object.
    pub single_object: bool,
}

impl Listing {
    /// Total bytes of the listed (filtered) files.
    pub fn total_bytes(&self) -> u64 {
        self.entries.iter().map(|e| e.size).sum()
    }
}

/// Lists `loc` as described in the module docs. A location with nothing there lists as
/// empty with `exists == false`; callers decide whether that is an error.
pub async fn list(loc: &Resolved, filter: &Filter) -> Result<Listing, object_store::Error> {
    if !loc.explicit_prefix && !loc.prefix.is_root() {
        match loc.store.head(&loc.prefix).await {
            Ok(meta) => {
                let name = loc.prefix.filename().unwrap_or_default().to_string();
                let entry = Entry {
                    rel_path: name,
                    location: meta.location,
                    size: meta.size,
                    last_modified: meta.last_modified,
                    e_tag: meta.e_tag,
                };
                let entries = if filter.matches(&entry.rel_path) {
                    vec![entry]
                } else {
                    Vec::new()
                };
                return Ok(Listing {
                    entries,
                    exists: true,
                    single_object: true,
                });
            }
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    // The sorted walk (see `sorted`): faster than `LocalFileSystem::list` for local
    // trees (no blocking hop per file), and already in order.
    let entries: Vec<Entry> = sorted_entries(loc, filter).try_collect().await?;
    let exists = !entries.is_empty() || anything_at(loc).await?;
    Ok(Listing {
        entries,
        exists,
        single_object: false,
    })
}

/// Whether anything at all is at a prefix: a local folder (even empty, or with only
/// filtered-out files), or any object under it.
pub async fn anything_at(loc: &Resolved) -> Result<bool, object_store::Error> {
    if loc.url.scheme() == "file"
        && let Ok(path) = loc.url.to_file_path()
    {
        return Ok(tokio::fs::metadata(&path).await.is_ok_and(|m| m.is_dir()));
    }
    let prefix = (!loc.prefix.is_root()).then_some(&loc.prefix);
    Ok(loc.store.list(prefix).try_next().await?.is_some())
}

/// The path of `rel_path` under `prefix`, for writing a listed file to another location.
pub fn join(prefix: &Path, rel_path: &str) -> Result<Path, object_store::path::Error> {
    if prefix.is_root() {
        Path::parse(rel_path)
    } else {
        Path::parse(format!("{prefix}/{rel_path}"))
    }
}

// Each uses only those above it; none uses this module.
mod entry;
mod filter;
mod looked_up;
mod merge;
mod sorted;

pub use entry::Entry;
pub use filter::{Filter, is_ferry_own};
pub use looked_up::looked_up_entries;
pub use merge::{Merge, Row};
pub use sorted::sorted_entries;

#[cfg(test)]
mod tests;
