//! The distributed deployment end to end: `ferry migrate`, `ferry api`, orchestrators and
//! workers as separate processes on real Postgres, RabbitMQ and Redis, and what happens
//! when processes are killed and servers restart.
//!
//! Needs the shared servers of `scripts/services.sh` (Postgres 5432, RabbitMQ 5672 with
//! the management API on 15672, Redis 6379); the fault tests also start private
//! instances of their own (see `servers`). The tests take a machine-wide lock and run
//! one at a time.

mod connections;
mod copies;
mod dead_letter;
mod deliveries;
mod large_upload;
mod leader;
mod migrations;
mod notify;
mod restarts;
mod schedules;
mod triggers;
mod sensors;
mod shards;
mod tenants;
pub(crate) mod port_gate;
pub(crate) mod servers;
pub(crate) mod stack;
mod tree;

use serde_json::{Value, json};
use std::path::Path;

/// One copy task per folder (`copy-<folder>`: `src/<folder>/` → `dst/<folder>/`), then a
/// check of the whole tree depending on all of them (`verify`), plus `extra` tasks; every
/// task may retry 3 times.
pub(crate) fn copy_spec(name: &str, src: &Path, dst: &Path, folders: &[String], extra: Vec<Value>) -> Value {
    let mut tasks: Vec<Value> = folders
        .iter()
        .map(|f| {
            json!({"id": format!("copy-{f}"), "kind": "copy",
                   "source": format!("{}/{f}/", src.display()),
                   "destination": format!("{}/{f}/", dst.display()),
                   // The default, spelled out: a new attempt keeps files of the same size.
                   "overwrite": "skip"})
        })
        .collect();
    let mut deps: Vec<String> = folders.iter().map(|f| format!("copy-{f}")).collect();
    deps.extend(extra.iter().filter_map(|t| t["id"].as_str().map(str::to_string)));
    tasks.extend(extra);
    tasks.push(json!({"id": "verify", "kind": "check", "depends_on": deps,
                      "source": format!("{}/", src.display()), "target": format!("{}/", dst.display())}));
    json!({
        "name": name,
        "defaults": {"retries": {"max": 3, "initial": "1s"}},
        "tasks": tasks,
    })
}

/// `n` folder names `a`, `b`, ….
pub(crate) fn folders(n: usize) -> Vec<String> {
    (0..n).map(|i| char::from(b'a' + i as u8).to_string()).collect()
}

/// Asserts the run's copy tasks succeeded, copied `files` files in all, and that the
/// check task found the trees consistent (in its result and its report).
pub(crate) async fn assert_copied_and_consistent(stack: &stack::Stack, run_id: &str, files: u64) {
    let tasks = stack.tasks(run_id).await;
    for t in &tasks {
        assert_eq!(t["state"], "succeeded", "task {t}");
    }
    let copied: u64 = tasks
        .iter()
        .filter(|t| t["kind"] == "copy")
        .map(|t| t["result"]["files_copied"].as_u64().unwrap_or(0) + t["result"]["files_skipped"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(copied, files, "files copied + skipped by the copy tasks: {tasks:?}");
    let verify = tasks.iter().find(|t| t["key"] == "verify").expect("verify task");
    assert_eq!(verify["result"]["consistent"], true, "check result: {verify}");
    let report = stack
        .get_ok(&format!("/api/v1/tasks/{}/report", verify["id"].as_str().unwrap()), std::time::Duration::from_secs(10))
        .await;
    assert_eq!(report["consistent"], true, "check report: {report}");
}
