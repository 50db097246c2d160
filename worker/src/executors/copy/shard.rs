//! Running one shard: the files a planning attempt put in it, each decided again against
//! what its destinations hold and copied as any copied file is. The parent runs its only
//! shard inline this way too, so small copies never touch the broker.

use super::{Dest, FileOutcome, MAX_FILES_IN_FLIGHT, copy_file, verify};
use crate::listing::{Entry, join};
use crate::stores::Resolved;
use ferry_common::executor::{ExecContext, ExecError};
use ferry_common::shards::{ShardFile, ShardState};
use ferry_common::spec::{CopyTask, Verify};
use futures::{StreamExt, TryStreamExt, stream};
use object_store::ObjectStoreExt;
use std::collections::HashMap;

/// Heads of destination files looked up at once when rechecking a shard.
const HEADS_IN_FLIGHT: usize = 16;

/// Where a shard's files are read from: under the source prefix, or, for a source that
/// names one object, that object itself (its name is the file's relative path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SourceShape {
    Prefix,
    SingleObject,
}

/// Copies `files` from `src` to `dests`; the per-destination tallies (and manifest).
/// With `recheck`, each destination file is looked up again (`HEAD`) instead of trusting
/// what the planner listed, so a redone shard skips what its dead worker already wrote.
pub(crate) async fn run(
    ctx: &ExecContext,
    task: &CopyTask,
    src: &Resolved,
    dest_locs: &[Resolved],
    files: Vec<ShardFile>,
    shape: SourceShape,
    recheck: bool,
) -> Result<ShardState, ExecError> {
    let mut dests: Vec<Dest> = dest_locs.iter().map(|loc| Dest { loc: loc.clone(), existing: HashMap::new() }).collect();
    let mut entries = Vec::with_capacity(files.len());
    for f in &files {
        let location = match shape {
            SourceShape::SingleObject => src.prefix.clone(),
            SourceShape::Prefix => join(&src.prefix, &f.path)
                .map_err(|e| ExecError::Fatal(format!("source path for {}: {e}", f.path)))?,
        };
        entries.push(Entry { rel_path: f.path.clone(), location, size: f.size, last_modified: f.modified, e_tag: None });
    }
    for (i, d) in dests.iter_mut().enumerate() {
        d.existing = if recheck {
            look_up(d, &files).await?
        } else {
            files
                .iter()
                .filter_map(|f| {
                    let seen = f.dests.get(i).copied().flatten()?;
                    let location = join(&d.loc.prefix, &f.path).ok()?;
                    Some((f.path.clone(), Entry { rel_path: f.path.clone(), location, size: seen.size, last_modified: seen.modified, e_tag: None }))
                })
                .collect()
        };
    }
    if super::local_batch::applies(ctx, task, src, &dests) {
        return super::local_batch::run(ctx, task, src, &dests[0], entries).await;
    }
    let mut state = ShardState { tallies: vec![[0; 4]; dests.len()], ..ShardState::default() };
    let mut failed: Vec<(u64, Option<ExecError>)> = vec![(0, None); dests.len()];
    let mut manifest = verify::Manifest::default();
    let mut outcomes = stream::iter(entries)
        .map(|entry| copy_file(ctx, task, src, &dests, entry))
        .buffer_unordered(MAX_FILES_IN_FLIGHT);
    while let Some(done) = outcomes.try_next().await? {
        let mut per_dest = vec![""; dests.len()];
        for (i, outcome) in done.per_dest {
            let t = &mut state.tallies[i];
            match outcome {
                FileOutcome::Copied(b) => {
                    t[0] += 1;
                    t[1] += b;
                    per_dest[i] = "copied";
                }
                FileOutcome::Skipped(b) => {
                    t[2] += 1;
                    t[3] += b;
                    per_dest[i] = "kept";
                }
                FileOutcome::Failed(e) => {
                    failed[i].0 += 1;
                    failed[i].1.get_or_insert(e);
                    per_dest[i] = "failed";
                }
            }
        }
        if let Some(hash) = done.hash {
            manifest.push(&done.rel_path, done.size, &hash, per_dest);
        }
    }
    drop(outcomes);
    if failed.iter().any(|(n, _)| *n > 0) {
        return Err(failure(dest_locs, &state, failed));
    }
    if task.verify == Verify::Checksum {
        state.manifest = manifest.into_items();
    }
    state.done = true;
    Ok(state)
}

/// The error of a shard some destinations failed: each destination's outcome, so the
/// healthy ones are seen to be done and the failing ones are named with their first
/// error. Retryable unless every failure was permanent.
pub(super) fn failure(dests: &[Resolved], state: &ShardState, failed: Vec<(u64, Option<ExecError>)>) -> ExecError {
    let bad = failed.iter().filter(|(n, _)| *n > 0).count();
    let retryable = failed.iter().any(|(_, e)| matches!(e, Some(ExecError::Retryable(_))));
    let mut parts = Vec::with_capacity(dests.len());
    for ((d, t), (n, first)) in dests.iter().zip(&state.tallies).zip(failed) {
        parts.push(match first {
            Some(e) if n > 0 => format!("{}: {n} files failed, e.g. {e}", d.url),
            _ => format!("{}: ok ({} copied, {} kept)", d.url, t[0], t[2]),
        });
    }
    let msg = format!("{bad} of {} destinations failed; {}", dests.len(), parts.join("; "));
    if retryable { ExecError::Retryable(msg) } else { ExecError::Fatal(msg) }
}

/// What one destination holds now for the shard's files.
async fn look_up(d: &Dest, files: &[ShardFile]) -> Result<HashMap<String, Entry>, ExecError> {
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
