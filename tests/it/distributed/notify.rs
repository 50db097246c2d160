//! The notifier as its own process on Postgres, RabbitMQ and Redis: `kill -9` of the
//! notifier loses and doubles nothing; `run.stuck` and `system.orchestrator_down` fire
//! while every orchestrator is dead; a worker killed under a task is one `task.lost`.

use super::stack::{Opts, Stack, serial};
use crate::receiver::{Receiver, signed_by};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const SECRET: &str = "whsec_distributed";

fn opts(extra: &[(&str, &str)]) -> Opts {
    let mut env: Vec<(String, String)> = vec![
        ("FERRY_MASTER_KEY".into(), "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=".into()),
        ("FERRY_NOTIFIER_DETECT_EVERY".into(), "500ms".into()),
        ("FERRY_NOTIFIER_LEASE_TTL".into(), "3s".into()),
    ];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Opts { workers: 1, env, ..Opts::default() }
}

async fn channel(stack: &Stack, receiver: &Receiver) {
    let (status, body) = stack.post_json("/api/v1/channels", &json!({"name": "ops", "kind": "webhook", "url": receiver.url, "secret": SECRET})).await;
    assert_eq!(status, 201, "{body}");
}

/// Waits until the tenant's notifications number `n` and are all delivered.
async fn wait_delivered(stack: &Stack, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let (_, page) = stack.get("/api/v1/notifications?limit=500").await;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        if items.len() >= n && items.iter().all(|i| i["state"] == "delivered") {
            return items;
        }
        assert!(Instant::now() < deadline, "not {n} delivered notifications: {page}\n{}", stack.log_tails(40));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_notifier_killed_mid_delivery_loses_and_doubles_nothing() {
    let _serial = serial();
    // One call at a time to the channel: when the notifier is killed, the one call under
    // way has no answer yet and the rest are not sent.
    // A short call timeout: the pair the killed notifier had claimed is free again 5 s
    // after its claim's end (timeout + 5 s).
    let mut stack = Stack::start(opts(&[("FERRY_NOTIFY_PER_CHANNEL", "1"), ("FERRY_NOTIFY_TIMEOUT", "3s")]));
    let receiver = Receiver::start().await;
    channel(&stack, &receiver).await;
    // The first call hangs until the notifier making it is killed: its answer never
    // comes, so nothing records it and the next notifier sends it again.
    receiver.slow_next(1, Duration::from_secs(30));
    stack.start_notifier();
    let rule = json!([{"on": ["run.started", "run.succeeded", "run.failed", "task.failed"], "channels": ["ops"]}]);
    let mut runs = Vec::new();
    for i in 0..3 {
        let spec = json!({"name": format!("ok-{i}"), "notify": rule, "tasks": [{"id": "n", "kind": "noop"}]});
        runs.push(stack.start_run(&spec).await);
    }
    let failing = json!({"name": "broken", "notify": rule,
                         "tasks": [{"id": "load", "kind": "copy", "source": "/nonexistent/ferry/input.csv", "destination": "/tmp/ferry-never/"}]});
    runs.push(stack.start_run(&failing).await);
    let deadline = Instant::now() + Duration::from_secs(30);
    while receiver.arrived() == 0 {
        assert!(Instant::now() < deadline, "no call reached the receiver\n{}", stack.log_tails(40));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stack.kill_9_notifier(0);
    for run in &runs {
        stack.wait_run(run, Duration::from_secs(60)).await;
    }
    stack.start_notifier();
    // 4 × run.started, 3 × run.succeeded, 1 × run.failed, 1 × task.failed.
    let items = wait_delivered(&stack, 9).await;
    assert_eq!(items.len(), 9, "{items:?}");
    let calls: Vec<_> = receiver.calls().into_iter().filter(|c| c.ok).collect();
    let mut per_event: HashMap<String, usize> = HashMap::new();
    for c in &calls {
        assert!(signed_by(c, SECRET), "{c:?}");
        *per_event.entry(c.event_id.clone()).or_default() += 1;
    }
    assert_eq!(per_event.len(), 9, "every event reached the receiver: {per_event:?}");
    assert!(per_event.values().all(|&n| n == 1), "answered once per (event, channel): {per_event:?}");
    let listed: std::collections::HashSet<&str> = items.iter().map(|i| i["event"]["id"].as_str().unwrap()).collect();
    assert!(per_event.keys().all(|id| listed.contains(id.as_str())));
}

#[tokio::test]
async fn stuck_and_orchestrator_down_fire_with_every_orchestrator_killed() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let mut stack = Stack::start(opts(&[("FERRY_ORCHESTRATOR_DOWN_AFTER", "4s")]));
    let receiver = Receiver::start().await;
    channel(&stack, &receiver).await;
    let (status, rule) = stack.post_json("/api/v1/notification-rules", &json!({"on": ["system.orchestrator_down"], "channels": ["ops"]})).await;
    assert_eq!(status, 201, "{rule}");
    stack.start_notifier();
    let never = tmp.path().join("never-there");
    let spec = json!({"name": "held", "notify": [{"on": ["run.stuck"], "channels": ["ops"]}], "alerts": {"stuck_after": "3s"},
                      "tasks": [{"id": "hold", "kind": "wait", "until": [{"exists": never.display().to_string()}],
                                 "wait": {"poke": "500ms", "timeout": "10m"}}]});
    let run_id = stack.start_run(&spec).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let tasks = stack.tasks(&run_id).await;
        if tasks.iter().any(|t| t["state"] == "waiting") {
            break;
        }
        assert!(Instant::now() < deadline, "the run never started: {tasks:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stack.kill_9_orchestrator(0);
    let killed = Instant::now();
    let calls = receiver
        .wait_for("run.stuck and system.orchestrator_down", Duration::from_secs(40), |c| {
            c.iter().any(|x| x.event == "run.stuck") && c.iter().any(|x| x.event == "system.orchestrator_down")
        })
        .await;
    let stuck = calls.iter().find(|c| c.event == "run.stuck").unwrap();
    assert_eq!(stuck.body["run"]["id"], run_id.as_str());
    assert!(stuck.body["detail"]["idle_seconds"].as_i64().unwrap() >= 3, "{}", stuck.body);
    let down = calls.iter().find(|c| c.event == "system.orchestrator_down").unwrap();
    assert!(down.body["detail"]["down_seconds"].as_i64().unwrap() >= 4, "{}", down.body);
    assert!(killed.elapsed() < Duration::from_secs(40));
    // Each ongoing condition is one event until repeat_after (1 h) passes.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let again = receiver.calls();
    assert_eq!(again.iter().filter(|c| c.event == "run.stuck").count(), 1);
    assert_eq!(again.iter().filter(|c| c.event == "system.orchestrator_down").count(), 1);
}

#[tokio::test]
async fn a_worker_killed_under_a_task_is_one_task_lost() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("big.bin"), vec![7u8; 4 << 20]).unwrap();
    let mut stack = Stack::start(opts(&[("FERRY_LOST_AFTER", "3s")]));
    let receiver = Receiver::start().await;
    channel(&stack, &receiver).await;
    stack.start_notifier();
    // 4 MiB at 256 KiB/s: the copy runs for ~16 s, long enough to kill its worker.
    let spec = json!({"name": "slow-copy", "bandwidth": "256KiB/s",
                      "notify": [{"on": ["task.lost"], "channels": ["ops"]}],
                      "tasks": [{"id": "copy", "kind": "copy", "source": format!("{}/", src.display()),
                                 "destination": format!("{}/", tmp.path().join("dst").display())}]});
    let run_id = stack.start_run(&spec).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let task = loop {
        let tasks = stack.tasks(&run_id).await;
        if let Some(t) = tasks.iter().find(|t| t["state"] == "running") {
            break t.clone();
        }
        assert!(Instant::now() < deadline, "the copy never ran: {tasks:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    stack.kill_9_worker(0);
    let calls = receiver.wait_for("task.lost", Duration::from_secs(40), |c| c.iter().any(|x| x.event == "task.lost")).await;
    let lost = calls.iter().find(|c| c.event == "task.lost").unwrap();
    assert_eq!(lost.body["task"]["id"], task["id"], "{}", lost.body);
    assert_eq!(lost.body["task"]["key"], "copy");
    assert_eq!(lost.body["task"]["attempt"], task["attempt"], "{}", lost.body);
    // The reaper and the notifier's detector may both see the loss: one event.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let ids: std::collections::HashSet<String> = receiver.calls().iter().filter(|c| c.event == "task.lost").map(|c| c.event_id.clone()).collect();
    assert_eq!(ids.len(), 1, "one task.lost event for one lost attempt");
}
