//! The `sync` kind: `a` and `b` kept equal in both directions, from a baseline stored in
//! `a`'s `.ferry/sync/<key>/` (see [`crate::state_log`]): what each side held after the
//! last change applied to a path.
//!
//! # How a run goes
//! 1. Load the baseline and list both sides (Ferry's own `.ferry*` entries are never
//!    listed), and decide per path ([`plan`]): one side changed → copy it over, one side
//!    deleted → delete on the other, both changed → compare content, and a conflict when
//!    they differ, resolved by `conflict`. The first run has no baseline: both sides are
//!    new, so it merges them and deletes nothing.
//! 2. Refuse the whole run, before changing anything, when either side would lose more
//!    files than `max_delete` allows.
//! 3. Apply the steps, [`PATHS_IN_FLIGHT`] at a time ([`apply`]): each file operation is
//!    followed by its baseline record, journaled as it completes. One sync of a pair
//!    runs at a time (a lease on the coordinator, see [`lease`]).
//!
//! # Why a crash needs no resync
//! The baseline is changed only after the operation it records, file by file, so after a
//! `kill -9` at any point the next run sees every path either settled (its record matches
//! both sides), untouched (its old record still tells what changed where), or applied but
//! not recorded: then both sides hold the same content, which the plan's "compare" step
//! recognizes and records without copying. A deletion applied but not recorded leaves a
//! path gone from both sides, which is forgotten. So a rerun applies only what is left,
//! never resurrects a deleted file, and never drops a change; rclone bisync instead
//! writes its listings at the end of a run and asks for `--resync` when one was
//! interrupted.
//!
//! # Result and report
//! Result: files and bytes copied each way, deleted on each side, conflicts, and paths
//! settled. Report: `decisions` (every path acted on: action, reason) and `conflicts`
//! (those that were conflicts, with both versions), paged by the API like a check's lists.

mod apply;
mod lease;
mod plan;

use crate::listing::{Filter, list};
use crate::state_log::{StateLog, pair_key};
use crate::stores::{Resolved, StoreResolver};
use apply::{Applied, Sides};
use ferry_common::executor::{ExecContext, ExecError, Executor, TaskOutput};
use ferry_common::spec::{SyncTask, TaskBody};
use futures::StreamExt;
use plan::{Base, Side, Step};
use serde_json::{Value, json};

use super::support::wrong_body;

/// Paths applied at once.
pub const PATHS_IN_FLIGHT: usize = 16;

/// The registry's constructor for this kind.
pub(crate) fn executor(resolver: &StoreResolver) -> std::sync::Arc<dyn Executor> {
    std::sync::Arc::new(SyncExecutor { resolver: resolver.clone() })
}

/// Runs `sync` tasks.
#[derive(Debug, Clone)]
pub struct SyncExecutor {
    resolver: StoreResolver,
}

#[async_trait::async_trait]
impl Executor for SyncExecutor {
    fn kind(&self) -> &'static str {
        "sync"
    }

    async fn execute(&self, ctx: &ExecContext, body: &TaskBody) -> Result<TaskOutput, ExecError> {
        let TaskBody::Sync(task) = body else {
            return Err(wrong_body("sync", body));
        };
        let resolver = self.resolver.for_attempt(ctx);
        let mut a = resolver.resolve_full(&task.a)?;
        let mut b = resolver.resolve_full(&task.b)?;
        (a.explicit_prefix, b.explicit_prefix) = (true, true);
        run(ctx, task, &a, &b).await
    }
}

#[derive(Default)]
struct Tallies {
    copied: [(u64, u64); 2],
    deleted: [u64; 2],
    conflicts: u64,
    settled: u64,
}

async fn run(ctx: &ExecContext, task: &SyncTask, a: &Resolved, b: &Resolved) -> Result<TaskOutput, ExecError> {
    let filter = Filter::new(&task.include, &task.exclude)?;
    let key = pair_key(a.url.as_str(), b.url.as_str());
    let _lease = match &ctx.coordinator {
        Some(c) if !task.dry_run => Some(lease::PairLease::take(c.clone(), &key, ctx.task_id.to_string()).await?),
        _ => None,
    };
    let mut log: StateLog<Base> = StateLog::open(a, "sync", &key).await?;
    let (la, lb) = tokio::try_join!(list(a, &filter), list(b, &filter))
        .map_err(|e| crate::error::store_exec_error("listing the sides", e))?;
    let (held_a, held_b) = (la.entries.len() as u64, lb.entries.len() as u64);
    let steps = plan::plan(la.entries, lb.entries, log.records());
    guard(task, &steps, held_a, held_b)?;
    let work: u64 = steps.iter().filter(|p| p.step != Step::Forget).count() as u64;
    let bytes: u64 = steps.iter().map(|p| moved_bytes(p)).sum();
    ctx.progress.add_total(work, bytes);
    ctx.progress.set_pass(1, work, None, false);

    let mut decisions = Vec::new();
    let mut conflicts = Vec::new();
    let mut t = Tallies::default();
    if task.dry_run {
        for p in &steps {
            let (action, reason) = p.step.describe();
            decisions.push(json!({"path": p.path, "action": action, "reason": reason, "dry_run": true}));
        }
        return Ok(output(task, t, decisions, conflicts, true));
    }
    let sides = Sides { a, b, task };
    let mut failures: Vec<String> = Vec::new();
    let mut left = work;
    let mut applied = futures::stream::iter(steps)
        .map(|p| {
            let sides = &sides;
            async move {
                let (path, size) = (p.path.clone(), moved_bytes(&p));
                (path, size, apply::apply(ctx, sides, p).await)
            }
        })
        .buffer_unordered(PATHS_IN_FLIGHT);
    while let Some((path, size, done)) = applied.next().await {
        match done {
            Ok(Applied { records, decision, copied, deleted, conflict }) => {
                for (p, r) in records {
                    log.note(&p, r).await?;
                }
                if let Some((side, n)) = copied {
                    let i = usize::from(side == Side::B);
                    t.copied[i].0 += 1;
                    t.copied[i].1 += n;
                }
                if let Some(side) = deleted {
                    t.deleted[usize::from(side == Side::B)] += 1;
                }
                if conflict {
                    t.conflicts += 1;
                    ctx.progress.add_conflicts(1);
                    conflicts.push(decision.clone());
                }
                if decision.is_null() {
                    t.settled += 1;
                } else {
                    decisions.push(decision);
                }
                ctx.progress.add_done(1, size);
            }
            Err(ExecError::Cancelled) => {
                drop(applied);
                let _ = log.flush().await;
                return Err(ExecError::Cancelled);
            }
            Err(e) => {
                ctx.progress.add_done(1, size);
                failures.push(format!("{path}: {e}"));
            }
        }
        left = left.saturating_sub(1);
        ctx.progress.set_pass(1, left, None, false);
    }
    drop(applied);
    if failures.is_empty() {
        log.compact().await?;
    } else {
        log.flush().await?;
        return Err(ExecError::Retryable(format!(
            "{} paths could not be synced (the rest are, and are recorded; a retry does only these): {}",
            failures.len(),
            failures.iter().take(3).cloned().collect::<Vec<_>>().join("; ")
        )));
    }
    decisions.sort_by(|x, y| x["path"].as_str().cmp(&y["path"].as_str()));
    Ok(output(task, t, decisions, conflicts, false))
}

/// Refuses a run that would delete more than `max_delete` on either side.
fn guard(task: &SyncTask, steps: &[plan::Planned], held_a: u64, held_b: u64) -> Result<(), ExecError> {
    for (side, held) in [(Side::A, held_a), (Side::B, held_b)] {
        let doomed: Vec<&str> = steps.iter().filter(|p| p.step == Step::Delete { on: side }).map(|p| p.path.as_str()).collect();
        if !task.max_delete.allows(doomed.len() as u64, held) {
            return Err(ExecError::Fatal(format!(
                "the sync would delete {} of the {held} files on {} (e.g. {}), more than max_delete allows ({}); nothing was changed",
                doomed.len(),
                side.name(),
                doomed.iter().take(3).copied().collect::<Vec<_>>().join(", "),
                task.max_delete
            )));
        }
    }
    Ok(())
}

fn moved_bytes(p: &plan::Planned) -> u64 {
    match &p.step {
        Step::Copy { from, .. } | Step::KeepChange { from } => match from {
            Side::A => p.a.as_ref().map_or(0, |e| e.size),
            Side::B => p.b.as_ref().map_or(0, |e| e.size),
        },
        Step::Compare { .. } => p.a.as_ref().map_or(0, |e| e.size),
        _ => 0,
    }
}

fn output(task: &SyncTask, t: Tallies, decisions: Vec<Value>, conflicts: Vec<Value>, dry_run: bool) -> TaskOutput {
    let summary = format!(
        "{} a→b, {} b→a, {} deleted on a, {} on b, {} conflicts{}",
        t.copied[0].0,
        t.copied[1].0,
        t.deleted[0],
        t.deleted[1],
        t.conflicts,
        if dry_run { " (dry run: nothing changed)" } else { "" }
    );
    let result = json!({
        "a": task.a.url,
        "b": task.b.url,
        "files_copied_a_to_b": t.copied[0].0,
        "bytes_copied_a_to_b": t.copied[0].1,
        "files_copied_b_to_a": t.copied[1].0,
        "bytes_copied_b_to_a": t.copied[1].1,
        "files_deleted_a": t.deleted[0],
        "files_deleted_b": t.deleted[1],
        "conflicts": t.conflicts,
        "settled": t.settled,
        "decided": decisions.len(),
        "summary": summary,
    });
    TaskOutput { result, report: Some(json!({"decisions": decisions, "conflicts": conflicts})) }
}

#[cfg(test)]
mod tests;
