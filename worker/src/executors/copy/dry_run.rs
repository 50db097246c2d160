//! `dry_run: true`: what a copy would do, file by file and destination by destination,
//! with the reason (rclone's `--dry-run`, LiveData Migrator's pre-migration report),
//! and no write or delete. The counters read `files_to_copy`, `files_to_skip`, … so a
//! dry run's result is never mistaken for a real one; the decisions are the report,
//! capped like a `check`'s lists and pageable through the API (`?kind=decisions`).

use super::decide::plan_file;
use super::list::Dest;
use super::outcome::{Tally, result_json};
use super::shard::MAX_FILES_IN_FLIGHT;
use crate::decide::Decision;
use crate::compare::REPORT_LIMIT;
use crate::listing::Entry;
use crate::stores::Resolved;
use ferry_common::executor::{ExecContext, ExecError, TaskOutput};
use ferry_common::spec::CopyTask;
use futures::{StreamExt, TryStreamExt, stream};
use serde_json::{Value, json};

/// What a dry run decides over.
pub(super) struct DryRun<'a> {
    pub(super) task: &'a CopyTask,
    pub(super) src: &'a Resolved,
    /// Every destination with all it holds.
    pub(super) dests: &'a [Dest],
    /// The source's files.
    pub(super) entries: Vec<Entry>,
    /// Per destination, what a mirror would delete ([`super::mirror::plan`]).
    pub(super) deletions: Vec<Vec<Entry>>,
}

/// Plans every file without moving any; the result and the decision report.
pub(super) async fn run(ctx: &ExecContext, dry_run: DryRun<'_>) -> Result<TaskOutput, ExecError> {
    let DryRun { task, src, dests, entries, deletions } = dry_run;
    let n_dest = dests.len() as u64;
    let files_total = entries.len() as u64 * n_dest;
    let bytes_total = entries.iter().map(|e| e.size).sum::<u64>() * n_dest;
    let mut tallies = vec![Tally::default(); dests.len()];
    let mut decisions: Vec<Value> = Vec::new();
    let mut count = 0usize;
    let mut planned = stream::iter(entries)
        .map(|entry| async move {
            let plan = plan_file(ctx, task, src, dests, &entry).await?.decisions;
            ctx.progress.add_done(dests.len() as u64, entry.size * dests.len() as u64);
            Ok::<_, ExecError>((entry, plan))
        })
        .buffered(MAX_FILES_IN_FLIGHT);
    while let Some((entry, plan)) = planned.try_next().await? {
        for (i, (decision, reason)) in plan.into_iter().enumerate() {
            let t = &mut tallies[i];
            let action = if decision == Decision::Skip {
                t.files_skipped += 1;
                t.bytes_skipped += entry.size;
                "skip"
            } else {
                t.files_copied += 1;
                t.bytes_copied += entry.size;
                "copy"
            };
            count += 1;
            if decisions.len() < REPORT_LIMIT {
                decisions.push(json!({
                    "path": entry.rel_path, "destination": dests[i].loc.url.as_str(),
                    "action": action, "reason": reason, "size": entry.size,
                }));
            }
        }
    }
    drop(planned);
    for (i, extra) in deletions.into_iter().enumerate() {
        for e in extra {
            tallies[i].files_deleted += 1;
            tallies[i].bytes_deleted += e.size;
            count += 1;
            if decisions.len() < REPORT_LIMIT {
                decisions.push(json!({
                    "path": e.rel_path, "destination": dests[i].loc.url.as_str(),
                    "action": "delete", "reason": "not in the source", "size": e.size,
                }));
            }
        }
    }
    let mut result = result_json(files_total, bytes_total, task, &tallies);
    rename_counters(&mut result);
    for d in result["destinations"].as_array_mut().into_iter().flatten() {
        rename_counters(d);
    }
    result["dry_run"] = json!(true);
    let report = json!({
        "dry_run": true,
        "decisions_count": count,
        "truncated": count > decisions.len(),
        "decisions": decisions,
    });
    Ok(TaskOutput {
        result,
        report: Some(report),
    })
}

/// `files_copied` → `files_to_copy` and so on.
fn rename_counters(v: &mut Value) {
    let Some(m) = v.as_object_mut() else { return };
    for (from, to) in [
        ("files_copied", "files_to_copy"),
        ("bytes_copied", "bytes_to_copy"),
        ("files_skipped", "files_to_skip"),
        ("bytes_skipped", "bytes_to_skip"),
        ("files_deleted", "files_to_delete"),
        ("bytes_deleted", "bytes_to_delete"),
    ] {
        if let Some(x) = m.remove(from) {
            m.insert(to.to_string(), x);
        }
    }
}
