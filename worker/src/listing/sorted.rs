//! Listings as sorted streams, so a copy can plan a million files while holding only
//! the folder it is in: source and destinations are merged in one pass
//! ([`crate::listing::merge`]) instead of being collected and matched in memory.
//!
//! - Local folders are walked here rather than through `LocalFileSystem::list`, whose
//!   `walkdir` order is the file system's: each folder's names are sorted (a folder `a`
//!   sorts as `a/`, which is where its files fall among full paths), then walked depth
//!   first, which yields every path in byte order. Staging files (`name#123`) are left
//!   out, as `LocalFileSystem` does.
//! - Object stores (S3, Azure Blob, GCS, the in-memory store) list keys in byte order
//!   already; the merge checks that they do and fails loudly if one does not.

use super::entry::Entry;
use super::filter::Filter;
use crate::stores::Resolved;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use std::path::PathBuf;

/// Entries sent from the walking thread at once.
const BATCH: usize = 512;

/// Every file under the prefix `loc`, filtered, in ascending `rel_path` order.
pub fn sorted_entries(loc: &Resolved, filter: &Filter) -> BoxStream<'static, Result<Entry, object_store::Error>> {
    if loc.url.scheme() == "file"
        && let Ok(root) = loc.url.to_file_path()
    {
        return walk_local(root, loc.prefix.clone(), filter.clone());
    }
    let prefix = loc.prefix.clone();
    let filter = filter.clone();
    let listed = if prefix.is_root() { loc.store.list(None) } else { loc.store.list(Some(&prefix)) };
    listed
        .try_filter_map(move |meta| {
            let entry = relative(&prefix, &meta.location).filter(|rel| filter.matches(rel)).map(|rel_path| Entry {
                rel_path,
                location: meta.location,
                size: meta.size,
                last_modified: meta.last_modified,
                e_tag: meta.e_tag,
            });
            futures::future::ready(Ok(entry))
        })
        .boxed()
}

/// `location` relative to `prefix`, `/`-separated; `None` outside it or at it.
fn relative(prefix: &Path, location: &Path) -> Option<String> {
    let rel = location.prefix_match(prefix)?.map(|p| p.as_ref().to_string()).collect::<Vec<_>>().join("/");
    (!rel.is_empty()).then_some(rel)
}

/// Walks a local folder on a blocking thread, sending sorted entries in batches.
fn walk_local(root: PathBuf, prefix: Path, filter: Filter) -> BoxStream<'static, Result<Entry, object_store::Error>> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<Entry>, object_store::Error>>(4);
    tokio::task::spawn_blocking(move || {
        let mut batch = Vec::with_capacity(BATCH);
        let mut walker = Walker { prefix, filter, tx: &tx, batch: &mut batch };
        let result = match std::fs::metadata(&root) {
            Ok(m) if m.is_dir() => walker.dir(&root),
            _ => Ok(true),
        };
        match result {
            Ok(true) if !batch.is_empty() => {
                let _ = tx.blocking_send(Ok(batch));
            }
            Ok(_) => {}
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
            }
        }
    });
    tokio_stream_of(rx)
}

fn tokio_stream_of(
    rx: tokio::sync::mpsc::Receiver<Result<Vec<Entry>, object_store::Error>>,
) -> BoxStream<'static, Result<Entry, object_store::Error>> {
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) })
        .map_ok(|batch| futures::stream::iter(batch.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

struct Walker<'a> {
    prefix: Path,
    filter: Filter,
    tx: &'a tokio::sync::mpsc::Sender<Result<Vec<Entry>, object_store::Error>>,
    batch: &'a mut Vec<Entry>,
}

impl Walker<'_> {
    /// Walks one folder; false once the receiver is gone (stop quietly).
    fn dir(&mut self, dir: &std::path::Path) -> Result<bool, object_store::Error> {
        let io = |e: std::io::Error| object_store::Error::Generic { store: "local", source: Box::new(e) };
        // Per name: its sort key, its path, and for a file its size and time (`None` for a
        // folder), so each file is stat'ed once.
        let mut names: Vec<(Vec<u8>, PathBuf, Option<(u64, DateTime<Utc>)>)> = Vec::new();
        for item in std::fs::read_dir(dir).map_err(io)? {
            let item = item.map_err(io)?;
            let path = item.path();
            let name = item.file_name();
            let mut key = name.as_encoded_bytes().to_vec();
            // The entry's type comes with the folder listing; a folder needs no stat and a
            // file is stat'ed relative to the open folder. Symbolic links are followed, as
            // LocalFileSystem does; a dangling one is skipped.
            let Ok(kind) = item.file_type() else { continue };
            if kind.is_dir() {
                if name.as_encoded_bytes().starts_with(b".ferry") {
                    continue;
                }
                key.push(b'/');
                names.push((key, path, None));
                continue;
            }
            let meta = if kind.is_symlink() { std::fs::metadata(&path) } else { item.metadata() };
            let Ok(meta) = meta else { continue };
            if meta.is_dir() {
                key.push(b'/');
                names.push((key, path, None));
                continue;
            }
            if !meta.is_file() || is_staging(&name.to_string_lossy()) {
                continue;
            }
            let modified = meta.modified().map(DateTime::from).unwrap_or_default();
            names.push((key, path, Some((meta.len(), modified))));
        }
        names.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (_, path, file) in names {
            let Some((size, last_modified)) = file else {
                if !self.dir(&path)? {
                    return Ok(false);
                }
                continue;
            };
            let Ok(location) = Path::from_absolute_path(&path) else { continue };
            let Some(rel_path) = relative(&self.prefix, &location) else { continue };
            if !self.filter.matches(&rel_path) {
                continue;
            }
            self.batch.push(Entry { rel_path, location, size, last_modified, e_tag: None });
            if self.batch.len() >= BATCH {
                let full = std::mem::replace(self.batch, Vec::with_capacity(BATCH));
                if self.tx.blocking_send(Ok(full)).is_err() {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }
}

/// `LocalFileSystem`'s staging names: `<name>#<digits>`.
fn is_staging(name: &str) -> bool {
    name.rsplit_once('#').is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}
