//! A sensor's deadline is stored: the orchestrator that first checked it is killed, a
//! new one takes over, and the task still gives up at the original deadline, not one
//! restarted from the take-over.

use super::stack::{Opts, Stack, serial};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn sensor(stack: &Stack, run_id: &str) -> Value {
    stack.tasks(run_id).await.into_iter().find(|t| t["key"] == "sensor").unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_wait_deadline_survives_an_orchestrator_restart() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let never = tmp.path().join("never-there");
    let mut stack = Stack::start(Opts { workers: 1, ..Opts::default() });
    let spec = json!({"name": "deadline", "tasks": [
        {"id": "sensor", "kind": "wait", "until": [{"exists": never.display().to_string()}],
         "wait": {"poke": "500ms", "timeout": "12s"}},
        {"id": "after", "kind": "noop", "depends_on": ["sensor"]},
    ]});
    let run_id = stack.start_run(&spec).await;
    let until = Instant::now() + Duration::from_secs(30);
    let first = loop {
        let t = sensor(&stack, &run_id).await;
        if t["wait_deadline"].is_string() {
            break t;
        }
        assert!(Instant::now() < until, "the sensor was never checked: {t}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(first["state"], "waiting", "{first}");
    assert!(first["waiting_for"].as_str().unwrap().contains("not found"), "{first}");

    stack.kill_9_orchestrator(0);
    tokio::time::sleep(Duration::from_secs(4)).await;
    stack.start_orchestrator();

    let run = stack.wait_run(&run_id, Duration::from_secs(60)).await;
    assert_eq!(run["state"], "failed", "{run}");
    let last = sensor(&stack, &run_id).await;
    assert_eq!(last["wait_deadline"], first["wait_deadline"], "the deadline is the stored one");
    assert!(last["error"].as_str().unwrap().contains("timed out after 12s waiting for exists"), "{last}");
    assert_eq!(last["failure"]["class"], "permanent", "{last}");
    // It gave up at the stored deadline (plus at most one poke and a take-over), not 12 s
    // after the new orchestrator started.
    let deadline = chrono::DateTime::parse_from_rfc3339(first["wait_deadline"].as_str().unwrap()).unwrap();
    let finished = chrono::DateTime::parse_from_rfc3339(last["finished_at"].as_str().unwrap()).unwrap();
    assert!(finished >= deadline, "{last}");
    let after = stack.tasks(&run_id).await.into_iter().find(|t| t["key"] == "after").unwrap();
    assert_eq!(after["state"], "skipped");
}
