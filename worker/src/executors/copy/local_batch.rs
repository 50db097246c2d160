//! Many small local files to one local destination: copied in batches, each batch on one
//! blocking thread, instead of one hand-off to the blocking pool per file. With tens of
//! thousands of 4 KiB files the hand-offs (a wake-up and a context switch each) cost as
//! much as the copies. Every file is still staged and renamed by [`local::copy_blocking`].
//!
//! Used by a shard when nothing needs the file's bytes in this process: one destination,
//! both sides local, no bandwidth budget, no `verify`, no `versions` (each replaced file
//! is moved aside first), and decisions that need no hash.

use super::list::Dest;
use super::local;
use super::outcome::{Failed, Tally, failure};
use crate::decide::{Decision, decide};
use crate::listing::Entry;
use crate::stores::{Resolved, local_path};
use ferry_common::executor::{ExecContext, ExecError};
use ferry_common::shards::ShardState;
use ferry_common::spec::{CopyTask, Overwrite, Verify};
use futures::{StreamExt, TryStreamExt, stream};
use std::path::PathBuf;

/// Files per blocking task.
const BATCH: usize = 64;
/// Batches in flight (the machine has few cores; the kernel does the copying).
const BATCHES_IN_FLIGHT: usize = 4;

/// Whether this shard can take the batched path.
pub(super) fn applies(ctx: &ExecContext, task: &CopyTask, src: &Resolved, dests: &[Dest]) -> bool {
    dests.len() == 1
        && task.versions.is_none()
        && src.url.scheme() == "file"
        && dests[0].loc.url.scheme() == "file"
        && !ctx.throttle.is_active()
        && task.verify == Verify::None
        && task.overwrite != Overwrite::Checksum
}

/// Decides and copies `entries` to the one destination; the shard's state.
pub(super) async fn run(ctx: &ExecContext, task: &CopyTask, src: &Resolved, dest: &Dest, entries: Vec<Entry>) -> Result<ShardState, ExecError> {
    let mut tally = Tally::default();
    let mut work: Vec<(String, PathBuf, PathBuf)> = Vec::new();
    for e in entries {
        if decide(task.overwrite, &e, dest.existing.get(&e.rel_path)) == Decision::Skip {
            tally.skipped(e.size);
            ctx.progress.add_done(1, e.size);
            continue;
        }
        let to = crate::listing::join(&dest.loc.prefix, &e.rel_path)
            .ok()
            .and_then(|p| local_path(&dest.loc, &p))
            .ok_or_else(|| ExecError::Fatal(format!("destination path for {}", e.rel_path)))?;
        let from = local_path(src, &e.location)
            .ok_or_else(|| ExecError::Fatal(format!("source path for {}", e.rel_path)))?;
        work.push((e.rel_path, from, to));
    }
    let batches: Vec<Vec<(String, PathBuf, PathBuf)>> = work.chunks(BATCH).map(<[_]>::to_vec).collect();
    let url = dest.loc.url.clone();
    let mut done = stream::iter(batches)
        .map(|batch| {
            let (progress, cancel, url) = (ctx.progress.clone(), ctx.cancel.clone(), url.clone());
            tokio::task::spawn_blocking(move || {
                batch
                    .into_iter()
                    .map(|(rel, from, to)| {
                        local::copy_blocking(&from, &to, &progress, &cancel).map_err(|e| local::copy_error(e, &rel, &url))
                    })
                    .collect::<Vec<_>>()
            })
        })
        .buffer_unordered(BATCHES_IN_FLIGHT);
    let mut failed = Failed::default();
    while let Some(results) = done
        .try_next()
        .await
        .map_err(|e| ExecError::Retryable(format!("a copy batch stopped: {e}")))?
    {
        for r in results {
            match r {
                Ok(n) => tally.copied(n),
                Err(ExecError::Cancelled) => return Err(ExecError::Cancelled),
                Err(e) => failed.add(e),
            }
        }
    }
    if failed.files > 0 {
        return Err(failure(std::slice::from_ref(&dest.loc), &[tally], vec![failed]));
    }
    Ok(ShardState { tallies: vec![tally.to_shard()], done: true, ..ShardState::default() })
}
