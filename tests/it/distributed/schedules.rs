//! An every-second schedule in the distributed stack with two orchestrators: the leader
//! is killed mid-way, and the ledger still shows each slot exactly once, with one run
//! each — none lost to the takeover, none doubled by it; a pause then ledgers slots
//! `missed_paused`.

use super::stack::{Opts, Stack, serial};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn firings(stack: &Stack, id: &str) -> Vec<Value> {
    let (status, page) = stack.get(&format!("/api/v1/pipelines/{id}/firings?limit=500")).await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_killed_leader_neither_loses_nor_doubles_a_slot() {
    let _serial = serial();
    let mut stack = Stack::start(Opts {
        orchestrators: 2,
        workers: 1,
        env: vec![("FERRY_LEASE_TTL".into(), "3s".into())],
        ..Opts::default()
    });
    let spec = json!({"name": "ticker", "schedule": {"cron": "* * * * * *", "overlap": "allow"}, "tasks": [{"id": "a", "kind": "noop"}]});
    let (status, created) = stack.post_json("/api/v1/pipelines", &spec).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    while firings(&stack, &id).await.len() < 5 {
        assert!(Instant::now() < deadline, "fewer than 5 slots in 60 s\n{}", stack.log_tails(20));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let leader = stack.leader_id().expect("a leader");
    let li = stack.orchestrators.iter().position(|o| o.id == leader).expect("the leader is ours");
    stack.kill_9_orchestrator(li);
    let killed_at = Utc::now();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let after: usize = firings(&stack, &id)
            .await
            .iter()
            .filter(|f| f["slot"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap() > killed_at + chrono::Duration::seconds(5))
            .count();
        if after >= 5 {
            break;
        }
        assert!(Instant::now() < deadline, "the standby fired nothing after the takeover\n{}", stack.log_tails(20));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (status, paused) = stack.post_json(&format!("/api/v1/pipelines/{id}/pause"), &json!({})).await;
    assert_eq!(status, 200, "{paused}");
    tokio::time::sleep(Duration::from_secs(2)).await;

    let all = firings(&stack, &id).await;
    let mut slots: Vec<DateTime<Utc>> = all.iter().map(|f| f["slot"].as_str().unwrap().parse().unwrap()).collect();
    slots.sort();
    for pair in slots.windows(2) {
        assert_eq!((pair[1] - pair[0]).num_seconds(), 1, "every second once, across the takeover: {slots:?}");
    }
    let started = all.iter().filter(|f| f["outcome"] == "started").count();
    for f in &all {
        let ok = (f["outcome"] == "started" && f["run_id"].is_string()) || (f["outcome"] == "missed_paused" && f["run_id"].is_null());
        assert!(ok, "{f}");
    }
    assert!(all.iter().any(|f| f["outcome"] == "missed_paused"), "slots after the pause are ledgered");
    let runs = stack.psql(&format!("select count(*) from runs where pipeline_id = '{id}'"));
    assert_eq!(runs.trim(), started.to_string(), "one run per started slot");
    eprintln!("{started} slots started across a leader kill, each once");
}
