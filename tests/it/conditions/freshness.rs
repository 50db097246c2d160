//! Datasets and freshness end to end: a copy naming a `dataset` moves its marker at each
//! destination when it succeeds (and only then); a `wait` sensor on `fresh` started
//! before the copy completes once the marker moves; a `pre: fresh` with a marker older
//! than `within` keeps its task waiting and says how old the delivery is; a `fresh`
//! trigger starts one run per delivery.

use crate::app::spawn_app;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_copy_moves_its_datasets_markers_and_fresh_conditions_follow_them() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("landing");
    crate::fixtures::write_tree(&src, crate::fixtures::SAMPLE);
    let (lake, mirror) = (format!("{}/", tmp.path().join("lake").display()), format!("{}/", tmp.path().join("mirror").display()));
    let app = spawn_app(&tmp.path().join("data"));
    let none = app.get("/api/v1/datasets/orders").await;
    assert_eq!(none.status(), 404, "never delivered yet");

    // The consumer waits for the lake's copy of `orders` before anything else happens.
    let consumer = json!({"name": "consumer", "tasks": [
        {"id": "landed", "kind": "wait", "until": [{"fresh": {"dataset": "orders", "destination": lake, "within": "1h"}}], "wait": {"poke": "300ms", "timeout": "2m"}},
        {"id": "after", "kind": "noop", "depends_on": ["landed"]},
    ]});
    let consumer: Value = app.post_json("/api/v1/pipelines", &consumer).await.json().await.unwrap();
    let waiting = app.start_run(&consumer).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let tasks: Value = app.get(&format!("/api/v1/runs/{waiting}/tasks")).await.json().await.unwrap();
        let sensor = tasks["items"].as_array().unwrap().iter().find(|t| t["key"] == "landed").cloned().unwrap_or_default();
        if sensor["waiting_for"].as_str().is_some_and(|w| w.contains("never delivered there")) {
            break;
        }
        assert!(Instant::now() < deadline, "the sensor never waited on the marker: {sensor}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let import = json!({"name": "import", "tasks": [
        {"id": "orders", "kind": "copy", "dataset": "orders", "source": format!("{}/", src.display()), "destinations": [lake, mirror]},
    ]});
    let (import, run) = app.create_and_run(&import).await;
    let run = app.wait_run(run["id"].as_str().unwrap()).await;
    assert_eq!(run["state"], "succeeded", "{run}");
    let done = app.wait_run(&waiting).await;
    assert_eq!(done["state"], "succeeded", "the sensor completed once the marker moved: {done}");

    let dataset: Value = app.get("/api/v1/datasets/orders").await.json().await.unwrap();
    let marks = dataset["destinations"].as_array().unwrap();
    assert_eq!(marks.iter().map(|m| m["destination"].as_str().unwrap()).collect::<Vec<_>>(), vec![lake.as_str(), mirror.as_str()]);
    for m in marks {
        assert_eq!(m["run_id"], run["id"]);
        assert_eq!(m["pipeline_id"], import["id"]);
        assert_eq!(m["logical_time"], run["trigger"]["logical_time"]);
        assert!(m["delivered_at"].as_str().unwrap() <= run["finished_at"].as_str().unwrap(), "{m} {run}");
    }
    let all: Value = app.get("/api/v1/datasets").await.json().await.unwrap();
    assert_eq!(all["items"][0]["name"], "orders");

    // Older than `within`: the task waits and says how old the delivery is.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let strict = json!({"name": "strict", "tasks": [
        {"id": "report", "kind": "noop", "pre": [{"fresh": {"dataset": "orders", "destination": mirror, "within": "1s"}}], "wait": {"poke": "300ms", "timeout": "1m"}},
    ]});
    let strict: Value = app.post_json("/api/v1/pipelines", &strict).await.json().await.unwrap();
    let held = app.start_run(&strict).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let tasks: Value = app.get(&format!("/api/v1/runs/{held}/tasks")).await.json().await.unwrap();
        let t = tasks["items"][0].clone();
        if t["waiting_for"].as_str().is_some_and(|w| w.contains("last delivered") && w.contains(run["id"].as_str().unwrap())) {
            break;
        }
        assert!(Instant::now() < deadline, "a stale marker did not hold the task: {t}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_fresh_trigger_starts_one_run_per_delivery() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("landing");
    crate::fixtures::write_tree(&src, crate::fixtures::SAMPLE);
    let lake = format!("{}/", tmp.path().join("lake").display());
    let app = spawn_app(&tmp.path().join("data"));
    let consumer = json!({"name": "on-orders", "triggers": [{"fresh": {"dataset": "orders", "destination": lake}}],
        "tasks": [{"id": "use", "kind": "noop", "pre": [{"fresh": {"dataset": "orders", "destination": lake, "within": "1h"}}]}]});
    let consumer = app.create_pipeline(&consumer).await;
    let import = json!({"name": "import", "tasks": [
        {"id": "orders", "kind": "copy", "dataset": "orders", "source": format!("{}/", src.display()), "destination": lake},
    ]});
    let (_, first) = app.create_and_run(&import).await;
    assert_eq!(first["state"], "succeeded", "{first}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let fired = loop {
        let runs = app.runs_of(&consumer).await;
        if let Some(r) = runs.first() {
            break r.clone();
        }
        assert!(Instant::now() < deadline, "the delivery started no run");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(fired["trigger"]["kind"], "fresh", "{fired}");
    assert_eq!(fired["trigger"]["detail"]["run_id"], first["id"]);
    assert_eq!(app.wait_run(fired["id"].as_str().unwrap()).await["state"], "succeeded");
    // Nothing new delivered: no second run; the ledger says why the one ran.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(app.runs_of(&consumer).await.len(), 1);
    let ledger: Value = app.get(&format!("/api/v1/pipelines/{consumer}/firings")).await.json().await.unwrap();
    assert_eq!(ledger["items"].as_array().unwrap().len(), 1, "{ledger}");
    assert_eq!(ledger["items"][0]["source"], "fresh", "{ledger}");
}

#[tokio::test]
async fn fresh_is_refused_after_a_task_and_bad_names_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let app = spawn_app(&tmp.path().join("data"));
    let spec = json!({"name": "wrong", "tasks": [
        {"id": "a", "kind": "noop", "post": [{"fresh": {"dataset": "orders", "destination": "/x/", "within": "1h"}}]},
        {"id": "b", "kind": "copy", "dataset": "no spaces", "source": "/in/", "destination": "/out/"},
    ]});
    let res = app.post_json("/api/v1/pipelines", &spec).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let text = body["errors"].to_string();
    assert!(text.contains("`fresh` gates what starts"), "{text}");
    assert!(text.contains("`no spaces` is not a dataset name"), "{text}");
}
