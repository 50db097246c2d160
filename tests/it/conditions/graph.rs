//! Inferred dependencies through the API: `/graph` shows the edge, the run's task list
//! includes it in `depends_on`, and the reader starts after the writer finished; and a
//! waiting task shows what it waits for.

use crate::app::spawn_app;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[tokio::test]
async fn an_inferred_edge_is_in_the_graph_and_orders_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (src, lake) = (tmp.path().join("landing"), tmp.path().join("lake"));
    crate::fixtures::write_tree(&src, crate::fixtures::SAMPLE);
    let app = spawn_app(&tmp.path().join("data"));
    // The check is listed first and names no dependency: it reads what the copy writes.
    let spec = json!({"name": "lineage", "tasks": [
        {"id": "verify", "kind": "check", "source": format!("{}/", src.display()), "target": format!("{}/", lake.display())},
        {"id": "ingest", "kind": "copy", "source": format!("{}/", src.display()), "destination": format!("{}/", lake.display())},
    ]});
    let pipeline: Value = app.post_json("/api/v1/pipelines", &spec).await.json().await.unwrap();
    let graph: Value = app.get(&format!("/api/v1/pipelines/{}/graph", pipeline["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(graph["nodes"].as_array().unwrap().len(), 2, "{graph}");
    assert_eq!(
        graph["edges"],
        json!([{"from": "ingest", "to": "verify", "inferred": true, "location": format!("{}/", lake.display())}])
    );

    let run = app.wait_run(&app.start_run(&pipeline).await).await;
    assert_eq!(run["state"], "succeeded", "{run}");
    let tasks: Value = app.get(&format!("/api/v1/runs/{}/tasks", run["id"].as_str().unwrap())).await.json().await.unwrap();
    let items = tasks["items"].as_array().unwrap();
    let by_key = |k: &str| items.iter().find(|t| t["key"] == k).unwrap().clone();
    let (verify, ingest) = (by_key("verify"), by_key("ingest"));
    assert_eq!(verify["depends_on"], json!(["ingest"]));
    assert!(verify["started_at"].as_str().unwrap() >= ingest["finished_at"].as_str().unwrap(), "{verify} {ingest}");
}

#[tokio::test]
async fn a_waiting_task_names_what_it_waits_for() {
    let tmp = tempfile::tempdir().unwrap();
    let flag = tmp.path().join("flag");
    let app = spawn_app(&tmp.path().join("data"));
    let spec = json!({"name": "waits", "tasks": [
        {"id": "sensor", "kind": "wait", "until": [{"exists": flag.display().to_string()}], "wait": {"poke": "300ms", "timeout": "1m"}},
    ]});
    let pipeline: Value = app.post_json("/api/v1/pipelines", &spec).await.json().await.unwrap();
    let run_id = app.start_run(&pipeline).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let task = loop {
        let tasks: Value = app.get(&format!("/api/v1/runs/{run_id}/tasks")).await.json().await.unwrap();
        let t = tasks["items"][0].clone();
        if t["waiting_for"].is_string() {
            break t;
        }
        assert!(Instant::now() < deadline, "never waiting: {t}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(task["state"], "waiting");
    let one: Value = app.get(&format!("/api/v1/tasks/{}", task["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(one["waiting_for"], json!(format!("exists: {} (not found)", flag.display())), "{one}");
    assert!(one["wait_deadline"].is_string(), "{one}");
    std::fs::write(&flag, "").unwrap();
    let run = app.wait_run(&run_id).await;
    assert_eq!(run["state"], "succeeded", "{run}");
}

