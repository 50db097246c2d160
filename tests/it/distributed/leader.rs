//! Two orchestrators: one leads, the other takes over when the leader is killed, and no
//! task runs twice.

use super::stack::{Opts, Stack, serial};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A root noop and 299 noops after it, in `branches` chains (each a sequence of noops),
/// so the run lasts long enough to kill the leader in the middle.
fn fan_out_spec(branches: usize) -> Value {
    let mut tasks = vec![json!({"id": "root", "kind": "noop"})];
    for i in 0..299 {
        let dep = if i < branches { "root".to_string() } else { format!("n{:03}", i - branches) };
        tasks.push(json!({"id": format!("n{i:03}"), "kind": "noop", "depends_on": [dep]}));
    }
    json!({"name": "fan-out", "defaults": {"retries": {"max": 3, "initial": "1s"}}, "tasks": tasks})
}

#[tokio::test]
async fn two_orchestrators_one_leader() {
    let _serial = serial();
    let mut stack = Stack::start(Opts {
        orchestrators: 2,
        workers: 2,
        ..Opts::default()
    });
    // Exactly one of them leads.
    let deadline = Instant::now() + Duration::from_secs(20);
    let leader = loop {
        if let Some(id) = stack.leader_id() {
            break id;
        }
        assert!(Instant::now() < deadline, "no orchestrator took the leader lease in 20 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let li = stack
        .orchestrators
        .iter()
        .position(|o| o.id == leader)
        .unwrap_or_else(|| panic!("the lease holder {leader} is none of our orchestrators"));
    let other = 1 - li;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !stack.orchestrators[li].stderr().contains("leading") {
        assert!(Instant::now() < deadline, "the lease holder never logged `leading`");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!stack.orchestrators[other].stderr().contains("leading"), "both orchestrators lead");

    let run_id = stack.start_run(&fan_out_spec(30)).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let at_kill = loop {
        if let Some(run) = stack.run(&run_id).await
            && run["progress"]["tasks_succeeded"].as_u64().unwrap_or(0) >= 20
        {
            break run;
        }
        assert!(Instant::now() < deadline, "the run made no progress in 60 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    stack.kill_9_orchestrator(li);
    let succeeded_at_kill = at_kill["progress"]["tasks_succeeded"].as_u64().unwrap();
    eprintln!("killed leader {leader} with {succeeded_at_kill} of 300 tasks succeeded");
    assert!(succeeded_at_kill < 300, "the run finished before the leader could be killed: {at_kill}");

    let run = stack.wait_run(&run_id, Duration::from_secs(80)).await;
    assert_eq!(run["state"], "succeeded", "{run}");
    assert_eq!(run["progress"]["tasks_succeeded"], 300, "{run}");

    // The standby took over.
    assert_eq!(stack.leader_id().as_deref(), Some(stack.orchestrators[other].id.as_str()));
    assert!(stack.orchestrators[other].stderr().contains("leading"), "the standby never logged `leading`");

    // Nothing ran twice: one attempt each, one transition to running each.
    let tasks = stack.tasks(&run_id).await;
    assert_eq!(tasks.len(), 300);
    let retried: Vec<String> = tasks
        .iter()
        .filter(|t| t["attempt"] != 1 || t["state"] != "succeeded")
        .map(|t| format!("{} {} attempt {}", t["key"], t["state"], t["attempt"]))
        .collect();
    assert!(retried.is_empty(), "tasks with more than one attempt: {retried:?}");
    let twice = stack.psql(
        "SELECT task_id, count(*) FROM transitions WHERE to_state = 'running' \
         GROUP BY task_id HAVING count(*) > 1",
    );
    assert_eq!(twice.trim(), "", "tasks that went to `running` more than once (task_id|count)");
    let running = stack.psql("SELECT count(DISTINCT task_id) FROM transitions WHERE to_state = 'running'");
    assert_eq!(running.trim(), "300", "tasks recorded as running");
    stack.assert_all_alive();
}
