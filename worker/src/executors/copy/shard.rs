//! Running one shard: the files a planning attempt put in it, each decided again against
//! what its destinations hold and copied as any copied file is ([`super::file`]), or in
//! local batches ([`super::local_batch`]) when nothing needs the bytes in this process.
//! The parent runs its only shard inline this way too, so small copies never touch the
//! broker.

use super::file::copy_file;
use super::list::{self, Dest};
use super::local_batch;
use super::outcome::{Failed, FileOutcome, Tally, failure};
use super::verify;
use crate::listing::{Entry, join};
use crate::stores::Resolved;
use ferry_common::executor::{ExecContext, ExecError};
use ferry_common::shards::{ShardFile, ShardState};
use ferry_common::spec::{CopyTask, Verify};
use futures::{StreamExt, TryStreamExt, stream};
use std::collections::HashMap;

/// Files copied concurrently within one attempt.
pub const MAX_FILES_IN_FLIGHT: usize = 16;

/// Where a shard's files are read from: under the source prefix, or, for a source that
/// names one object, that object itself (its name is the file's relative path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SourceShape {
    Prefix,
    SingleObject,
}

/// What a shard copies: the task, where from and to, and whom it believes about what the
/// destinations hold.
pub(super) struct ShardJob<'a> {
    pub(super) task: &'a CopyTask,
    pub(super) src: &'a Resolved,
    pub(super) dests: &'a [Resolved],
    pub(super) shape: SourceShape,
    /// Look each destination file up again (`HEAD`) instead of trusting what the planner
    /// listed, so a redone shard skips what its dead worker already wrote.
    pub(super) recheck: bool,
}

/// Copies `files` as `job` says; the per-destination tallies (and manifest).
pub(super) async fn run(ctx: &ExecContext, job: &ShardJob<'_>, files: Vec<ShardFile>) -> Result<ShardState, ExecError> {
    let ShardJob { task, src, dests: dest_locs, shape, recheck } = *job;
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
        d.existing = if recheck { list::look_up(d, &files).await? } else { list::as_planned(d, i, &files) };
    }
    if local_batch::applies(ctx, task, src, &dests) {
        return local_batch::run(ctx, task, src, &dests[0], entries).await;
    }
    let mut tallies = vec![Tally::default(); dests.len()];
    let mut failed = vec![Failed::default(); dests.len()];
    let mut manifest = verify::Manifest::default();
    let mut outcomes = stream::iter(entries)
        .map(|entry| copy_file(ctx, task, src, &dests, entry))
        .buffer_unordered(MAX_FILES_IN_FLIGHT);
    while let Some(done) = outcomes.try_next().await? {
        let mut per_dest = vec![""; dests.len()];
        for (i, outcome) in done.per_dest {
            match outcome {
                FileOutcome::Copied(b) => {
                    tallies[i].copied(b);
                    per_dest[i] = "copied";
                }
                FileOutcome::Skipped(b) => {
                    tallies[i].skipped(b);
                    per_dest[i] = "kept";
                }
                FileOutcome::Failed(e) => {
                    failed[i].add(e);
                    per_dest[i] = "failed";
                }
            }
        }
        if let Some(hash) = done.hash {
            manifest.push(&done.rel_path, done.size, &hash, per_dest);
        }
    }
    drop(outcomes);
    if failed.iter().any(|f| f.files > 0) {
        return Err(failure(dest_locs, &tallies, failed));
    }
    let mut state = ShardState { tallies: tallies.iter().map(|t| t.to_shard()).collect(), ..ShardState::default() };
    if task.verify == Verify::Checksum {
        state.manifest = manifest.into_items();
    }
    state.done = true;
    Ok(state)
}
