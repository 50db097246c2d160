//! What a copy did, as every stage reports it: per-destination counters ([`Tally`]), one
//! file's outcome at each destination ([`FileOutcome`], [`FileDone`]), the files that
//! failed at a destination ([`Failed`]), and the result document built from them.

use crate::stores::Resolved;
use ferry_common::executor::ExecError;
use ferry_common::shards::ShardTally;
use ferry_common::spec::CopyTask;
use serde_json::{Value, json};

/// Per-destination counters, as reported in the result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Tally {
    pub(super) files_copied: u64,
    pub(super) bytes_copied: u64,
    pub(super) files_skipped: u64,
    pub(super) bytes_skipped: u64,
    pub(super) files_deleted: u64,
    pub(super) bytes_deleted: u64,
}

impl Tally {
    /// Adds a shard's counters for this destination (copied files and bytes, skipped
    /// files and bytes, as [`ShardState::tallies`] holds them).
    ///
    /// [`ShardState::tallies`]: ferry_common::shards::ShardState::tallies
    pub(super) fn add_shard(&mut self, t: &ShardTally) {
        self.files_copied += t.files_copied;
        self.bytes_copied += t.bytes_copied;
        self.files_skipped += t.files_skipped;
        self.bytes_skipped += t.bytes_skipped;
    }

    /// This destination's counters as a shard reports them (the inverse of
    /// [`Tally::add_shard`]; a shard deletes nothing).
    pub(super) fn to_shard(self) -> ShardTally {
        ShardTally {
            files_copied: self.files_copied,
            bytes_copied: self.bytes_copied,
            files_skipped: self.files_skipped,
            bytes_skipped: self.bytes_skipped,
        }
    }

    /// Counts one file written (`bytes` long).
    pub(super) fn copied(&mut self, bytes: u64) {
        self.files_copied += 1;
        self.bytes_copied += bytes;
    }

    /// Counts one file left in place (`bytes` long).
    pub(super) fn skipped(&mut self, bytes: u64) {
        self.files_skipped += 1;
        self.bytes_skipped += bytes;
    }
}

/// What happened to one file at one destination. A destination that fails does not stop
/// the others: the file is still written wherever it can be, and the attempt fails at its
/// end naming the destinations that did (a retry then writes only there).
pub(super) enum FileOutcome {
    Copied(u64),
    Skipped(u64),
    Failed(ExecError),
}

/// One source file's outcomes, with its hash when the copy verifies.
pub(super) struct FileDone {
    pub(super) rel_path: String,
    pub(super) size: u64,
    /// Per destination (by index), what happened there.
    pub(super) per_dest: Vec<(usize, FileOutcome)>,
    pub(super) hash: Option<blake3::Hash>,
}

/// The files that failed at one destination, and the first error there.
#[derive(Debug, Clone, Default)]
pub(super) struct Failed {
    pub(super) files: u64,
    pub(super) first: Option<ExecError>,
}

impl Failed {
    /// Counts one more failed file, keeping the first error.
    pub(super) fn add(&mut self, e: ExecError) {
        self.files += 1;
        self.first.get_or_insert(e);
    }
}

/// The error of a shard some destinations failed: each destination's outcome, so the
/// healthy ones are seen to be done and the failing ones are named with their first
/// error. Retryable unless every failure was permanent.
pub(super) fn failure(dests: &[Resolved], tallies: &[Tally], failed: Vec<Failed>) -> ExecError {
    let bad = failed.iter().filter(|f| f.files > 0).count();
    let retryable = failed.iter().any(|f| matches!(f.first, Some(ExecError::Retryable(_))));
    let mut parts = Vec::with_capacity(dests.len());
    for ((d, t), Failed { files: n, first }) in dests.iter().zip(tallies).zip(failed) {
        parts.push(match first {
            Some(e) if n > 0 => format!("{}: {n} files failed, e.g. {e}", d.url),
            _ => format!("{}: ok ({} copied, {} kept)", d.url, t.files_copied, t.files_skipped),
        });
    }
    let msg = format!("{bad} of {} destinations failed; {}", dests.len(), parts.join("; "));
    if retryable { ExecError::Retryable(msg) } else { ExecError::Fatal(msg) }
}

/// The task's result: totals, then the counters summed and per destination.
pub(super) fn result_json(files_total: u64, bytes_total: u64, task: &CopyTask, tallies: &[Tally]) -> Value {
    let sum = tallies.iter().fold(Tally::default(), |a, t| Tally {
        files_copied: a.files_copied + t.files_copied,
        bytes_copied: a.bytes_copied + t.bytes_copied,
        files_skipped: a.files_skipped + t.files_skipped,
        bytes_skipped: a.bytes_skipped + t.bytes_skipped,
        files_deleted: a.files_deleted + t.files_deleted,
        bytes_deleted: a.bytes_deleted + t.bytes_deleted,
    });
    let destinations: Vec<Value> = task
        .destinations
        .iter()
        .zip(tallies)
        .map(|(d, t)| {
            let mut v = json!({
                "url": d.location.url,
                "files_copied": t.files_copied,
                "bytes_copied": t.bytes_copied,
                "files_skipped": t.files_skipped,
                "bytes_skipped": t.bytes_skipped,
            });
            if task.delete_extraneous {
                with_deleted(&mut v, t);
            }
            v
        })
        .collect();
    let mut out = json!({
        "files_total": files_total,
        "bytes_total": bytes_total,
        "files_copied": sum.files_copied,
        "bytes_copied": sum.bytes_copied,
        "files_skipped": sum.files_skipped,
        "bytes_skipped": sum.bytes_skipped,
        "destinations": destinations,
    });
    if task.delete_extraneous {
        with_deleted(&mut out, &sum);
    }
    out
}

/// Adds the deletion counters (only mirrors report them).
fn with_deleted(v: &mut Value, t: &Tally) {
    v["files_deleted"] = json!(t.files_deleted);
    v["bytes_deleted"] = json!(t.bytes_deleted);
}
