//! File-arrival triggers on `ferry standalone`: local files written slowly fire once they
//! settle (not before), files already there do not fire with `start: now`, a restart
//! between polls neither misses nor repeats an arrival; on the S3 server, `batch` fires
//! one run for everything that arrived, through a stored connection.

use crate::app::{App, spawn_app, spawn_app_with};
use serde_json::{Value, json};
use std::io::Write;
use std::time::{Duration, Instant};


async fn wait_runs(app: &App, id: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let runs = app.runs_of(id).await;
        if runs.len() >= n {
            return runs;
        }
        assert!(Instant::now() < deadline, "expected {n} runs, have {}: {runs:?}", runs.len());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn paths(runs: &[Value]) -> Vec<String> {
    let mut p: Vec<String> = runs.iter().map(|r| r["trigger"]["detail"]["path"].as_str().unwrap_or("").to_string()).collect();
    p.sort();
    p
}

#[tokio::test]
async fn a_slowly_written_file_fires_once_settled_and_a_restart_misses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let landing = tmp.path().join("landing");
    std::fs::create_dir_all(&landing).unwrap();
    std::fs::write(landing.join("old.csv"), b"already here").unwrap();
    let app = spawn_app(&data);
    let spec = json!({"name": "on-arrival", "triggers": [{"file_arrival": {"url": format!("file://{}/", landing.display()),
        "pattern": "*.csv", "poll": "300ms", "settle": "2s"}}], "tasks": [{"id": "a", "kind": "noop"}]});
    let res = app.post_json("/api/v1/pipelines", &spec).await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Written in three parts, a second apart: the size keeps changing, so it has not
    // settled until two seconds after the last part.
    let mut f = std::fs::File::create(landing.join("a.csv")).unwrap();
    std::fs::write(landing.join("notes.txt"), b"not a csv").unwrap();
    for part in 0..3 {
        f.write_all(format!("part {part}\n").as_bytes()).unwrap();
        f.flush().unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(app.runs_of(&id).await.is_empty(), "fired before the file settled (part {part})");
    }
    drop(f);
    let runs = wait_runs(&app, &id, 1).await;
    assert_eq!(paths(&runs), ["a.csv"], "{runs:?}");
    assert_eq!(runs[0]["trigger"]["kind"], "file_arrival");
    // Stopped between polls: what arrives meanwhile fires after the restart, once.
    app.stop();
    std::fs::write(landing.join("b.csv"), b"while down").unwrap();
    let app = spawn_app_with(&data, &[]);
    let runs = wait_runs(&app, &id, 2).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let runs_after = app.runs_of(&id).await;
    assert_eq!(runs_after.len(), 2, "nothing fires twice: {runs_after:?}");
    assert_eq!(paths(&runs), ["a.csv", "b.csv"]);
    let ledger: Value = app.get(&format!("/api/v1/pipelines/{id}/firings")).await.json().await.unwrap();
    assert!(ledger["items"].as_array().unwrap().iter().all(|f| f["source"] == "file_arrival"), "{ledger}");
}

#[tokio::test]
async fn a_batch_trigger_on_s3_fires_one_run_for_what_arrived() {
    crate::backends::require_stores();
    let tmp = tempfile::tempdir().unwrap();
    let app = spawn_app_with(&tmp.path().join("data"), &[("FERRY_MASTER_KEY", "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU=")]);
    let conn = json!({"name": "lake", "kind": "s3", "endpoint": "http://127.0.0.1:8333", "region": "us-east-1",
        "options": {"access_key_id": "ferry", "allow_http": "true"}, "secrets": {"secret_access_key": "ferrysecret"}});
    assert_eq!(app.post_json("/api/v1/connections", &conn).await.status(), 201);
    let p = crate::backends::prefix("arrivals");
    let store = crate::backends::s3();
    use object_store::ObjectStoreExt;
    for name in ["x1.parquet", "x2.parquet", "x3.parquet"] {
        store.put(&object_store::path::Path::from(format!("{p}/in/{name}")), b"data".to_vec().into()).await.unwrap();
    }
    let spec = json!({"name": "s3-batch", "triggers": [{"file_arrival": {"url": format!("s3://lake/{p}/in/"), "connection": "lake",
        "poll": "300ms", "settle": "1s", "mode": "batch", "start": "beginning"}}], "tasks": [{"id": "a", "kind": "noop"}]});
    let res = app.post_json("/api/v1/pipelines", &spec).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    let runs = wait_runs(&app, &id, 1).await;
    let mut batch: Vec<&str> = runs[0]["trigger"]["detail"]["paths"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    batch.sort();
    assert_eq!(batch, ["x1.parquet", "x2.parquet", "x3.parquet"], "`start: beginning` counts what was there: {runs:?}");
    store.put(&object_store::path::Path::from(format!("{p}/in/x4.parquet")), b"more".to_vec().into()).await.unwrap();
    let runs = wait_runs(&app, &id, 2).await;
    let newest = runs.iter().find(|r| r["id"] != runs.last().unwrap()["id"]).unwrap();
    assert_eq!(newest["trigger"]["detail"]["paths"], json!(["x4.parquet"]), "{runs:?}");
}
