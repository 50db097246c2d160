//! Comparing two locations file by file: what is missing (in the source only), extra
//! (in the target only) and different (on both sides, not equal). The `check` kind
//! reports it; a copy's `consistent` post-condition judges by it.
//!
//! Files on both sides are compared by size; in `checksum` mode, files of equal size are
//! then compared by blake3 hash (both sides are read). A location with nothing there is
//! an empty listing, not an error: comparing an empty target with a full source is a
//! legitimate question whose answer is "everything is missing".
//!
//! When the source names a single file and the target is a folder (the shape a `copy` of
//! one file leaves), only that file is looked for in the target; other files there are
//! not "extra".
//!
//! # Result
//! `{"consistent", "mode": "size"|"checksum", "source_files", "target_files", "matched",
//! "missing", "extra", "differ"}` (counts).
//!
//! # Report
//! The result's fields, except that `missing`, `extra` and `differ` are arrays (paths;
//! for `differ`, objects `{"path", "source_size", "target_size", "reason": "size"|"checksum"}`),
//! with their counts in `missing_count`, `extra_count`, `differ_count`. Each array holds
//! at most [`REPORT_LIMIT`] items (the first in path order); `truncated` tells whether
//! any was cut, the counts are always exact.

use crate::error::store_exec_error;
use crate::cancel::cancellable;
use crate::hash::hash_pair;
use crate::listing::{Entry, Filter, Listing, list};
use crate::stores::{Resolved, StoreResolver};
use ferry_common::executor::{ExecContext, ExecError, TaskOutput};
use ferry_common::spec::{CheckMode, CheckTask};
use futures::{StreamExt, TryStreamExt, stream};
use serde_json::{Value, json};
use std::cmp::Ordering;

/// Longest `missing`/`extra`/`differ` array in a report; keeps reports storable for trees
/// of millions of files.
pub const REPORT_LIMIT: usize = 10_000;
/// Files hashed concurrently in checksum mode.
const HASHES_IN_FLIGHT: usize = 32;

/// Why a file present on both sides differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    Size,
    Checksum,
}

struct Differ {
    path: String,
    source_size: u64,
    target_size: u64,
    reason: Reason,
}

async fn list_side(
    ctx: &ExecContext,
    loc: &Resolved,
    filter: &Filter,
) -> Result<Listing, ExecError> {
    cancellable(&ctx.cancel, async {
        list(loc, filter)
            .await
            .map_err(|e| store_exec_error(&format!("listing {}", loc.url), e))
    })
    .await
}

/// What a check's output says is wrong, as one line of evidence (counts, then the first
/// paths of each kind), or `None` when the sides agree. `count_extra` is false where
/// files only the target has are allowed (a copy into a folder that holds more).
pub fn inconsistency(out: &TaskOutput, count_extra: bool) -> Option<String> {
    let report = out.report.as_ref().unwrap_or(&out.result);
    let count = |k: &str| out.result.get(k).and_then(Value::as_u64).unwrap_or(0);
    let (missing, extra, differ) = (count("missing"), count("extra"), count("differ"));
    if missing == 0 && differ == 0 && (extra == 0 || !count_extra) {
        return None;
    }
    let first = |k: &str| -> String {
        let items = report.get(k).and_then(Value::as_array).cloned().unwrap_or_default();
        let paths: Vec<String> = items
            .iter()
            .take(3)
            .map(|v| match v {
                Value::String(p) => p.clone(),
                other => other.get("path").and_then(Value::as_str).unwrap_or("?").to_string(),
            })
            .collect();
        paths.join(", ")
    };
    let mut text = format!(
        "{missing} missing, {differ} differ{} (of {} source files)",
        if count_extra { format!(", {extra} extra") } else { String::new() },
        count("source_files")
    );
    for (k, n) in [("missing", missing), ("differ", differ), ("extra", if count_extra { extra } else { 0 })] {
        if n > 0 {
            text.push_str(&format!("; first {k}: {}", first(k)));
        }
    }
    Some(text)
}

/// Compares the two sides of `task` (its `on_inconsistent` is not looked at here).
pub async fn run(
    resolver: &StoreResolver,
    ctx: &ExecContext,
    task: &CheckTask,
) -> Result<TaskOutput, ExecError> {
    let filter = Filter::new(&task.include, &task.exclude)?;
    let src = resolver.resolve_full(&task.source)?;
    let dst = resolver.resolve_full(&task.target)?;
    // Both sides at once: listing is I/O and system calls, and the sides are independent.
    let (source, mut target) = tokio::try_join!(list_side(ctx, &src, &filter), list_side(ctx, &dst, &filter))?;
    if source.single_object && !target.single_object {
        // One named file was copied into a folder: only that file is in question there.
        target
            .entries
            .retain(|e| source.entries.iter().any(|s| s.rel_path == e.rel_path));
    }

    // One merge pass over the two sorted listings.
    let mut missing = Vec::new();
    let mut extra = Vec::new();
    let mut both: Vec<(Entry, Entry)> = Vec::new();
    let (mut s, mut t) = (
        source.entries.iter().peekable(),
        target.entries.iter().peekable(),
    );
    loop {
        match (s.peek(), t.peek()) {
            (None, None) => break,
            (Some(a), None) => {
                missing.push(a.rel_path.clone());
                s.next();
            }
            (None, Some(b)) => {
                extra.push(b.rel_path.clone());
                t.next();
            }
            (Some(a), Some(b)) => match a.rel_path.cmp(&b.rel_path) {
                Ordering::Less => {
                    missing.push(a.rel_path.clone());
                    s.next();
                }
                Ordering::Greater => {
                    extra.push(b.rel_path.clone());
                    t.next();
                }
                Ordering::Equal => {
                    both.push(((*a).clone(), (*b).clone()));
                    s.next();
                    t.next();
                }
            },
        }
    }

    let checksum = task.mode == CheckMode::Checksum;
    let to_hash_bytes: u64 = if checksum {
        both.iter()
            .filter(|(a, b)| a.size == b.size)
            .map(|(a, b)| a.size + b.size)
            .sum()
    } else {
        0
    };
    let n_both = both.len();
    let files_total = (missing.len() + extra.len() + n_both) as u64;
    ctx.progress.add_total(files_total, to_hash_bytes);
    ctx.progress
        .add_done((missing.len() + extra.len()) as u64, 0);

    let sides = Sides { src: &src, dst: &dst, checksum };
    let compared: Vec<Option<Differ>> = stream::iter(both)
        .map(|(a, b)| compare(ctx, &sides, a, b))
        .buffered(HASHES_IN_FLIGHT)
        .try_collect()
        .await?;
    let differ: Vec<Differ> = compared.into_iter().flatten().collect();

    let matched = n_both - differ.len();
    let consistent = missing.is_empty() && extra.is_empty() && differ.is_empty();
    let mode = if checksum { "checksum" } else { "size" };
    let result = json!({
        "consistent": consistent,
        "mode": mode,
        "source_files": source.entries.len(),
        "target_files": target.entries.len(),
        "matched": matched,
        "missing": missing.len(),
        "extra": extra.len(),
        "differ": differ.len(),
    });
    let truncated = [missing.len(), extra.len(), differ.len()]
        .iter()
        .any(|n| *n > REPORT_LIMIT);
    let differ_items: Vec<Value> = differ
        .iter()
        .take(REPORT_LIMIT)
        .map(|d| {
            json!({
                "path": d.path,
                "source_size": d.source_size,
                "target_size": d.target_size,
                "reason": match d.reason { Reason::Size => "size", Reason::Checksum => "checksum" },
            })
        })
        .collect();
    let mut report = result.clone();
    if let Value::Object(m) = &mut report {
        m.insert("missing_count".into(), json!(missing.len()));
        m.insert("extra_count".into(), json!(extra.len()));
        m.insert("differ_count".into(), json!(differ.len()));
        missing.truncate(REPORT_LIMIT);
        extra.truncate(REPORT_LIMIT);
        m.insert("missing".into(), json!(missing));
        m.insert("extra".into(), json!(extra));
        m.insert("differ".into(), Value::Array(differ_items));
        m.insert("truncated".into(), json!(truncated));
    }
    Ok(TaskOutput {
        result,
        report: Some(report),
    })
}

/// The two locations being compared, and how.
struct Sides<'a> {
    src: &'a Resolved,
    dst: &'a Resolved,
    /// Compare files of equal size by hash too (`mode: checksum`).
    checksum: bool,
}

/// Compares one file present on both sides (`a` in the source, `b` in the target);
/// `Some` when it differs.
async fn compare(ctx: &ExecContext, sides: &Sides<'_>, a: Entry, b: Entry) -> Result<Option<Differ>, ExecError> {
    let Sides { src, dst, checksum } = *sides;
    let differ = |reason| {
        Some(Differ {
            path: a.rel_path.clone(),
            source_size: a.size,
            target_size: b.size,
            reason,
        })
    };
    let out = if a.size != b.size {
        differ(Reason::Size)
    } else if checksum {
        let (ha, hb) = hash_pair((src, &a.location), (dst, &b.location), &ctx.cancel).await?;
        ctx.progress.add_bytes_done(a.size + b.size);
        if ha == hb {
            None
        } else {
            differ(Reason::Checksum)
        }
    } else {
        None
    };
    ctx.progress.add_done(1, 0);
    Ok(out)
}

