//! Sensors hold no worker slot: with one worker of concurrency 1, 200 `wait` tasks on a
//! file that appears later leave the slot to a copy, which runs to completion while they
//! wait; when the file appears, all 200 finish in the same round of checks.

use crate::app::spawn_app_with;
use crate::fixtures::{SAMPLE, read_tree, write_tree};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

#[tokio::test]
async fn two_hundred_sensors_leave_the_only_worker_slot_to_a_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let (src, out, flag) = (tmp.path().join("src"), tmp.path().join("out"), tmp.path().join("flag"));
    write_tree(&src, SAMPLE);
    let app = spawn_app_with(&tmp.path().join("data"), &[("FERRY_WORKER_CONCURRENCY", "1")]);
    let mut tasks = vec![json!({"id": "copy", "kind": "copy", "source": format!("{}/", src.display()), "destination": format!("{}/", out.display())})];
    for i in 0..200 {
        tasks.push(json!({"id": format!("sensor-{i}"), "kind": "wait", "until": [{"exists": flag.display().to_string()}],
                          "wait": {"poke": "1s", "timeout": "5m"}}));
    }
    let pipeline: Value = app.post_json("/api/v1/pipelines", &json!({"name": "sensors", "tasks": tasks})).await.json().await.unwrap();
    let run_id = app.start_run(&pipeline).await;

    // One slot, 200 tasks waiting: the copy still runs to completion.
    let deadline = Instant::now() + Duration::from_secs(60);
    while read_tree(&out) != read_tree(&src) {
        assert!(Instant::now() < deadline, "the copy did not run while 200 sensors waited on one slot");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let listed: Value = app.get(&format!("/api/v1/runs/{run_id}/tasks?limit=500")).await.json().await.unwrap();
    let waiting = listed["items"].as_array().unwrap().iter().filter(|t| t["state"] == "waiting").count();
    assert_eq!(waiting, 200, "every sensor is still waiting, none on a worker");

    std::fs::write(&flag, "").unwrap();
    let run = app.wait_run(&run_id).await;
    assert_eq!(run["state"], "succeeded", "{run}");
    let history: Value = app.get(&format!("/api/v1/runs/{run_id}/transitions")).await.json().await.unwrap();
    let items = history["items"].as_array().unwrap();
    // No sensor was ever queued for a worker, and all 200 succeeded in one round.
    let sensor_ids: BTreeSet<&str> = listed["items"].as_array().unwrap().iter().filter(|t| t["kind"] == "wait").map(|t| t["id"].as_str().unwrap()).collect();
    let queued = items.iter().filter(|t| t["to"] == "queued" && sensor_ids.contains(t["task_id"].as_str().unwrap_or(""))).count();
    assert_eq!(queued, 0, "a sensor was queued for a worker");
    let rounds: BTreeSet<&str> = items
        .iter()
        .filter(|t| t["to"] == "succeeded" && sensor_ids.contains(t["task_id"].as_str().unwrap_or("")))
        .map(|t| t["at"].as_str().unwrap())
        .collect();
    assert_eq!(rounds.len(), 1, "the 200 sensors finished in one round of checks: {rounds:?}");
}
