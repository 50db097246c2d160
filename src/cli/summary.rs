//! The summary `ferry run` prints when a run ends: one line per task with what it did.

use ferry_store::{PageRequest, RunRow, Store, TaskRow};
use serde_json::Value;

/// All tasks of a run, every page.
pub(crate) async fn all_tasks(store: &Store, run: &RunRow) -> anyhow::Result<Vec<TaskRow>> {
    let mut out = Vec::new();
    let mut page = PageRequest { cursor: None, limit: 500 };
    loop {
        let p = store.list_tasks(run.tenant_id, run.id, &page).await?;
        out.extend(p.items);
        match p.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// Prints the run line and a table of tasks (at most `limit` rows, failures first).
pub(crate) fn print(run: &RunRow, tasks: &[TaskRow], limit: usize) {
    let took = match (run.started_at, run.finished_at) {
        (Some(s), Some(f)) => format!(" in {:.2}s", (f - s).num_milliseconds() as f64 / 1000.0),
        _ => String::new(),
    };
    println!("run {} {}{took}", run.id, run.state);
    if let Some(err) = &run.error {
        println!("  {err}");
    }
    let mut shown: Vec<&TaskRow> = tasks.iter().collect();
    shown.sort_by_key(|t| t.state != ferry_common::state::TaskState::Failed);
    let width = shown.iter().map(|t| t.key.len()).max().unwrap_or(4).clamp(4, 40);
    println!("  {:<width$}  {:<6}  {:<10}  {:>7}  DETAIL", "TASK", "KIND", "STATE", "ATTEMPT");
    for t in shown.iter().take(limit) {
        println!("  {:<width$}  {:<6}  {:<10}  {:>7}  {}", t.key, t.kind, t.state, t.attempt, detail(t));
    }
    if shown.len() > limit {
        println!("  … and {} more tasks", shown.len() - limit);
    }
    for t in tasks {
        print_decisions(t, limit);
    }
}

/// A dry run's decisions, file by file (at most `limit` lines per task).
fn print_decisions(t: &TaskRow, limit: usize) {
    let Some(report) = &t.report else { return };
    let Some(decisions) = report.get("decisions").and_then(Value::as_array) else { return };
    println!("  {} (dry run): what would happen", t.key);
    for d in decisions.iter().take(limit) {
        let s = |k: &str| d.get(k).and_then(Value::as_str).unwrap_or("");
        println!("    {:<6}  {}  →  {}  ({})", s("action"), s("path"), s("destination"), s("reason"));
    }
    let total = report.get("decisions_count").and_then(Value::as_u64).unwrap_or(decisions.len() as u64);
    if total > limit.min(decisions.len()) as u64 {
        println!("    … {} decisions in all: GET /api/v1/tasks/{}/report?kind=decisions", total, t.id);
    }
}

fn detail(t: &TaskRow) -> String {
    if let Some(e) = &t.error
        && t.state != ferry_common::state::TaskState::Succeeded
    {
        let first = e.lines().next().unwrap_or("");
        return match (&t.failure, t.state) {
            (Some(f), ferry_common::state::TaskState::Failed) => {
                let class = serde_json::to_value(f.class).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
                format!("({class}) {first}")
            }
            _ => first.to_string(),
        };
    }
    let Some(r) = &t.result else { return String::new() };
    let n = |k: &str| r.get(k).and_then(Value::as_u64).unwrap_or(0);
    let deleted = |verb: &str, files: &str, b: &str| match r.get(files) {
        Some(_) => format!(", {verb} {} ({})", n(files), bytes(n(b))),
        None => String::new(),
    };
    match t.kind.as_str() {
        "copy" if r.get("dry_run").and_then(Value::as_bool) == Some(true) => format!(
            "dry run: would copy {} files ({}), skip {} ({}){}",
            n("files_to_copy"),
            bytes(n("bytes_to_copy")),
            n("files_to_skip"),
            bytes(n("bytes_to_skip")),
            deleted("delete", "files_to_delete", "bytes_to_delete")
        ),
        "copy" => format!(
            "copied {} files ({}), skipped {} ({}){}",
            n("files_copied"),
            bytes(n("bytes_copied")),
            n("files_skipped"),
            bytes(n("bytes_skipped")),
            deleted("deleted", "files_deleted", "bytes_deleted")
        ),
        "check" => {
            let consistent = r.get("consistent").and_then(Value::as_bool).unwrap_or(false);
            format!(
                "{}: {} matched, {} missing, {} extra, {} differ",
                if consistent { "consistent" } else { "INCONSISTENT" },
                n("matched"),
                n("missing"),
                n("extra"),
                n("differ")
            )
        }
        // Kinds added since say it themselves, so the CLI needs no line per kind.
        _ => r.get("summary").and_then(Value::as_str).unwrap_or_default().to_owned(),
    }
}

fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 { format!("{n} B") } else { format!("{v:.1} {}", UNITS[u]) }
}
