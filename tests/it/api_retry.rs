//! Retrying a failed run re-runs only what did not succeed, and a verifying copy's
//! manifest downloads as CSV.

use crate::app::spawn_app;
use crate::fixtures::{SAMPLE, write_tree};
use serde_json::{Value, json};

#[tokio::test]
async fn a_retry_reruns_only_the_failed_tasks_and_manifests_download_as_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let d = |name: &str| format!("{}/", tmp.path().join(name).display());
    write_tree(&tmp.path().join("ok"), SAMPLE);
    let app = spawn_app(&tmp.path().join("data"));
    let spec = json!({"name": "retry", "tasks": [
        {"id": "good", "kind": "copy", "source": d("ok"), "destination": d("out-ok"), "verify": "checksum"},
        {"id": "late", "kind": "copy", "source": d("late"), "destination": d("out-late"), "verify": "checksum"},
        {"id": "after", "kind": "check", "depends_on": ["good", "late"], "source": d("late"), "target": d("out-late")},
    ]});
    let (_, run) = app.create_and_run(&spec).await;
    assert_eq!(run["state"], "failed", "{run}");
    let run_id = run["id"].as_str().unwrap().to_string();

    let csv = app.get(&format!("/api/v1/runs/{run_id}/manifest")).await;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "task,path,size,blake3,destinations");
    let a = blake3::hash(b"id,v\n1,2\n").to_hex();
    assert!(lines.contains(&format!("good,a.csv,9,{a},copied").as_str()), "{csv}");
    assert_eq!(lines.len(), 1 + SAMPLE.len(), "{csv}");

    // The missing source appears; the retry runs `late` and `after` only.
    write_tree(&tmp.path().join("late"), &[("x.csv", "1\n")]);
    let retry = app.post_json(&format!("/api/v1/runs/{run_id}/retry"), &json!({})).await;
    assert_eq!(retry.status(), 202);
    let location = retry.headers()["location"].to_str().unwrap().to_string();
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/runs/{}", retry["id"].as_str().unwrap()));
    let retry = app.wait_run(retry["id"].as_str().unwrap()).await;
    assert_eq!(retry["state"], "succeeded", "{retry}");
    let tasks: Value = app.get(&format!("/api/v1/runs/{}/tasks", retry["id"].as_str().unwrap())).await.json().await.unwrap();
    let keys: Vec<&str> = tasks["items"].as_array().unwrap().iter().map(|t| t["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["late", "after"]);
    let transitions: Value =
        app.get(&format!("/api/v1/runs/{}/transitions", retry["id"].as_str().unwrap())).await.json().await.unwrap();
    assert!(transitions.to_string().contains(&format!("retry of run {run_id}: after, late")), "{transitions}");

    // Nothing left to retry: a problem document, not a new run.
    let again = app.post_json(&format!("/api/v1/runs/{}/retry", retry["id"].as_str().unwrap()), &json!({})).await;
    assert_eq!(again.status(), 409);
    let problem: Value = again.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("every task"), "{problem}");
    assert!(problem["type"].as_str().unwrap().contains("nothing-to-retry"), "{problem}");
}
