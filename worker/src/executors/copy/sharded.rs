//! Planning a copy over a prefix in one streaming pass, and running it in shards.
//!
//! The source and every destination are listed as sorted streams and merged
//! ([`Merge`]); each source file is decided against what each destination holds. Files
//! every destination already has are counted as skipped on the spot; the others go into
//! the current shard, which is handed on when it reaches the task's `shard_files` or
//! `shard_bytes`. So no process ever holds more than one shard of file names, whatever
//! the size of the tree (plus, for a mirror, the files it will delete).
//!
//! A copy that fits in one shard runs it inline, as before sharding existed. A larger one
//! publishes every shard through the [`ShardHub`] (to any worker on the task's queue),
//! never more than [`MAX_OUTSTANDING`] unfinished at once, gives its worker slot back,
//! and waits: it sums the shards' reported progress into its
//! own and finishes when they all have, failing with the first shard that failed. Without
//! a hub (tests, embedding), shards run inline one after another.
//!
//! A mirror with `max_delete` makes a counting pass first, so the guard still fails the
//! task before anything is written.

use super::file_book::FileBook;
use super::list::Dest;
use super::mirror;
use super::outcome::{Tally, result_json};
use super::shard::{self, ShardJob, SourceShape};
use super::verify;
use crate::decide::{Decision, decide};
use crate::listing::{Entry, Filter, Merge, looked_up_entries, sorted_entries};
use crate::stores::Resolved;
use ferry_common::executor::{ExecContext, ExecError, TaskOutput};
use ferry_common::shards::{SeenFile, ShardFile, ShardHub, ShardOrder, ShardState};
use ferry_common::spec::{CopyTask, Verify};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Up to this many listed files (`files:`, an async delivery's) are looked up one by one;
/// a longer list is cheaper to find by listing both sides.
const LOOK_UP_AT_MOST: usize = 10_000;
/// How often a waiting parent reads its shards' states.
const POLL_EVERY: Duration = Duration::from_millis(200);
/// Shards published and not yet finished before the planner waits: enough to keep many
/// workers busy, few enough that pending shards stay a few tens of MiB.
const MAX_OUTSTANDING: u32 = 32;

/// Runs a copy whose source is a prefix.
pub(super) async fn run(
    ctx: &ExecContext,
    task: &CopyTask,
    src: &Resolved,
    dests: &[Resolved],
    filter: &Filter,
    mut book: FileBook,
) -> Result<TaskOutput, ExecError> {
    let n_dest = dests.len();
    if task.delete_extraneous && task.max_delete.is_some() {
        check_max_delete(task, src, dests, filter).await?;
    }
    let (max_files, max_bytes) = task.shard_limits();
    let mut merge = match &task.files {
        Some(files) if files.len() <= LOOK_UP_AT_MOST => looked_up(files, src, dests, filter),
        _ => merged(src, dests, filter),
    };
    let mut tallies = vec![Tally::default(); n_dest];
    let mut deletions: Vec<Vec<Entry>> = vec![Vec::new(); n_dest];
    let (mut files_total, mut bytes_total) = (0u64, 0u64);
    let mut current: Vec<ShardFile> = Vec::new();
    let mut current_bytes = 0u64;
    let mut published = 0u32;
    let mut manifest = verify::Manifest::default();
    let hub = ctx.shards.clone();
    let mut watch = Watch::default();
    // Shards run here trust what the merge saw at the destinations a moment ago.
    let inline = ShardJob { task, src, dests, shape: SourceShape::Prefix, recheck: false };

    while let Some(row) = merge.next().await? {
        if ctx.cancel.is_cancelled() {
            return Err(ExecError::Cancelled);
        }
        let Some(file) = row.source else {
            if task.delete_extraneous {
                for (i, d) in row.dests.into_iter().enumerate() {
                    deletions[i].extend(d);
                }
            }
            continue;
        };
        if !book.admit(&file.rel_path, file.size) {
            continue;
        }
        files_total += n_dest as u64;
        bytes_total += file.size * n_dest as u64;
        ctx.progress.add_total(n_dest as u64, file.size * n_dest as u64);
        let all_kept = row.dests.iter().all(|d| {
            let decision = decide(task.overwrite, &file, d.as_ref());
            decision == Decision::Skip && task.verify != Verify::Checksum
        });
        if all_kept {
            for t in &mut tallies {
                t.files_skipped += 1;
                t.bytes_skipped += file.size;
            }
            ctx.progress.add_done(n_dest as u64, file.size * n_dest as u64);
            continue;
        }
        current_bytes += file.size;
        current.push(ShardFile {
            path: file.rel_path,
            size: file.size,
            modified: file.last_modified,
            dests: row.dests.iter().map(|d| d.as_ref().map(|e| SeenFile { size: e.size, modified: e.last_modified })).collect(),
        });
        if current.len() as u64 >= max_files || current_bytes >= max_bytes {
            let files = std::mem::take(&mut current);
            current_bytes = 0;
            match &hub {
                Some(hub) => {
                    watch.make_room(ctx, hub.as_ref(), published).await?;
                    publish(hub, published, files).await?;
                    published += 1;
                }
                None => add(&mut tallies, &mut manifest, shard::run(ctx, &inline, files).await?),
            }
        }
    }
    drop(merge);
    book.check_complete(&task.source.url)?;
    if !current.is_empty() {
        match (&hub, published) {
            (Some(hub), 1..) => {
                watch.make_room(ctx, hub.as_ref(), published).await?;
                publish(hub, published, std::mem::take(&mut current)).await?;
                published += 1;
            }
            _ => add(&mut tallies, &mut manifest, shard::run(ctx, &inline, current).await?),
        }
    }
    if let (Some(hub), 1..) = (&hub, published) {
        for state in watch.finish(ctx, hub.as_ref(), published).await? {
            add(&mut tallies, &mut manifest, state);
        }
    }

    for (i, extra) in deletions.into_iter().enumerate() {
        let d = Dest { loc: dests[i].clone(), existing: HashMap::new() };
        let (files, bytes) = mirror::delete(ctx, &d, extra, task.versions.as_ref()).await?;
        tallies[i].files_deleted = files;
        tallies[i].bytes_deleted = bytes;
    }
    let mut result = result_json(files_total, bytes_total, task, &tallies);
    if published > 0 {
        result["shards"] = json!(published);
    }
    let mut report = (task.verify == Verify::Checksum).then(|| {
        result["files_verified"] = json!(manifest.count());
        manifest.into_report()
    });
    book.finish(&mut result, &mut report);
    Ok(TaskOutput { result, report })
}

/// The merge of an explicit file list, each file looked up at the source and at every
/// destination rather than listing them.
fn looked_up(files: &[ferry_common::spec::ListedFile], src: &Resolved, dests: &[Resolved], filter: &Filter) -> Merge {
    let paths: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    let names = std::iter::once(src.url.to_string()).chain(dests.iter().map(|d| d.url.to_string())).collect();
    let sides = dests.iter().map(|d| looked_up_entries(d, &paths, filter)).collect();
    Merge::new(looked_up_entries(src, &paths, filter), sides, names)
}

fn merged(src: &Resolved, dests: &[Resolved], filter: &Filter) -> Merge {
    let names = std::iter::once(src.url.to_string()).chain(dests.iter().map(|d| d.url.to_string())).collect();
    Merge::new(sorted_entries(src, filter), dests.iter().map(|d| sorted_entries(d, filter)).collect(), names)
}

async fn publish(hub: &Arc<dyn ShardHub>, index: u32, files: Vec<ShardFile>) -> Result<(), ExecError> {
    hub.publish(ShardOrder { index, files })
        .await
        .map_err(|e| ExecError::Retryable(format!("publishing shard {index}: {e}")))
}

/// Folds one shard's outcome into the parent's.
fn add(tallies: &mut [Tally], manifest: &mut verify::Manifest, state: ShardState) {
    for (t, s) in tallies.iter_mut().zip(&state.tallies) {
        t.add_shard(s);
    }
    manifest.extend(state.manifest);
}

/// Follows the published shards of one attempt: their progress goes into the parent's,
/// and the first failure ends the wait.
#[derive(Default)]
struct Watch {
    seen_files: u64,
    seen_bytes: u64,
}

impl Watch {
    /// One look at the shards' states, after a pause.
    async fn poll(&mut self, ctx: &ExecContext, hub: &dyn ShardHub) -> Result<HashMap<u32, ShardState>, ExecError> {
        tokio::select! {
            _ = ctx.cancel.cancelled() => return Err(ExecError::Cancelled),
            _ = tokio::time::sleep(POLL_EVERY) => {}
        }
        let states = match hub.states().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read shard states; trying again");
                return Ok(HashMap::new());
            }
        };
        let files: u64 = states.values().map(|s| s.files_done).sum();
        let bytes: u64 = states.values().map(|s| s.bytes_done).sum();
        if files > self.seen_files || bytes > self.seen_bytes {
            ctx.progress.add_done(files.saturating_sub(self.seen_files), bytes.saturating_sub(self.seen_bytes));
            self.seen_files = self.seen_files.max(files);
            self.seen_bytes = self.seen_bytes.max(bytes);
        }
        if let Some((error, retryable)) = states.values().find_map(|s| s.error.clone()) {
            return Err(if retryable { ExecError::Retryable(error) } else { ExecError::Fatal(error) });
        }
        Ok(states)
    }

    /// Waits until fewer than [`MAX_OUTSTANDING`] of the `published` shards are unfinished,
    /// so the planner never runs far ahead of the workers (and queued shards, in the
    /// broker or in this process, stay bounded whatever the size of the tree).
    async fn make_room(&mut self, ctx: &ExecContext, hub: &dyn ShardHub, published: u32) -> Result<(), ExecError> {
        if published < MAX_OUTSTANDING {
            return Ok(());
        }
        // The planner waits from here on: its slot can run shards meanwhile.
        hub.release_slot();
        loop {
            let states = self.poll(ctx, hub).await?;
            let done = states.values().filter(|s| s.done).count() as u32;
            if published.saturating_sub(done) < MAX_OUTSTANDING {
                return Ok(());
            }
        }
    }

    /// Waits for all `count` published shards; their final states, in index order.
    async fn finish(&mut self, ctx: &ExecContext, hub: &dyn ShardHub, count: u32) -> Result<Vec<ShardState>, ExecError> {
        hub.release_slot();
        loop {
            let states = self.poll(ctx, hub).await?;
            if (0..count).all(|i| states.get(&i).is_some_and(|s| s.done)) {
                let mut states: Vec<(u32, ShardState)> = states.into_iter().filter(|(i, _)| *i < count).collect();
                states.sort_by_key(|(i, _)| *i);
                return Ok(states.into_iter().map(|(_, s)| s).collect());
            }
        }
    }
}

/// The counting pass of a mirror with `max_delete`: fails before anything is written
/// when one destination would lose more than allowed.
async fn check_max_delete(task: &CopyTask, src: &Resolved, dests: &[Resolved], filter: &Filter) -> Result<(), ExecError> {
    let mut merge = merged(src, dests, filter);
    let mut held = vec![0u64; dests.len()];
    let mut extra: Vec<Vec<String>> = vec![Vec::new(); dests.len()];
    let mut extra_count = vec![0u64; dests.len()];
    while let Some(row) = merge.next().await? {
        for (i, d) in row.dests.iter().enumerate() {
            if let Some(d) = d {
                held[i] += 1;
                if row.source.is_none() {
                    extra_count[i] += 1;
                    if extra[i].len() < 3 {
                        extra[i].push(d.rel_path.clone());
                    }
                }
            }
        }
    }
    let max = task.max_delete.expect("checked by the caller");
    for (i, d) in dests.iter().enumerate() {
        if !max.allows(extra_count[i], held[i]) {
            return Err(mirror::too_many(extra_count[i], held[i], &d.url, &extra[i], max));
        }
    }
    Ok(())
}
