//! The API end to end: create → run → poll → tasks → report, and state across restarts.

use crate::app::spawn_app;
use crate::fixtures::{SAMPLE, read_tree, write_tree};
use serde_json::{Value, json};

fn mirror_spec(name: &str, src: &str, dst: &str) -> Value {
    json!({
        "name": name,
        "tasks": [
            {"id": "mirror", "kind": "copy", "source": format!("{src}/"), "destination": format!("{dst}/"),
             "exclude": ["_tmp/**"]},
            {"id": "verify", "kind": "check", "depends_on": ["mirror"], "source": format!("{src}/"),
             "target": format!("{dst}/"), "exclude": ["_tmp/**"], "mode": "checksum"}
        ]
    })
}

#[tokio::test]
async fn create_run_poll_tasks_report() {
    let tmp = tempfile::tempdir().unwrap();
    let (src, dst) = (tmp.path().join("src"), tmp.path().join("dst"));
    write_tree(&src, SAMPLE);
    let app = spawn_app(&tmp.path().join("data"));

    let spec = mirror_spec("mirror", src.to_str().unwrap(), dst.to_str().unwrap());
    let res = app.post_json("/api/v1/pipelines", &spec).await;
    assert_eq!(res.status(), 201);
    let pipeline: Value = res.json().await.unwrap();
    assert_eq!(pipeline["name"], "mirror");
    let pid = pipeline["id"].as_str().unwrap();

    let res = app.post_json(&format!("/api/v1/pipelines/{pid}/runs"), &json!({})).await;
    assert_eq!(res.status(), 202);
    let run: Value = res.json().await.unwrap();
    let run = app.wait_run(run["id"].as_str().unwrap()).await;
    assert_eq!(run["state"], "succeeded", "{run}");
    assert_eq!(run["progress"]["tasks_total"], 2);
    assert_eq!(run["progress"]["tasks_succeeded"], 2);
    assert_eq!(run["progress"]["files_done"], run["progress"]["files_total"]);

    let mut expected = read_tree(&src);
    expected.retain(|(p, _)| !p.starts_with("_tmp/"));
    assert_eq!(read_tree(&dst), expected, "the destination mirrors the source");

    let tasks: Value = app.get(&format!("/api/v1/runs/{}/tasks", run["id"].as_str().unwrap())).await.json().await.unwrap();
    let items = tasks["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let copy = items.iter().find(|t| t["key"] == "mirror").unwrap();
    assert_eq!(copy["state"], "succeeded");
    assert_eq!(copy["attempt"], 1);
    assert_eq!(copy["result"]["files_copied"], 3);
    let check = items.iter().find(|t| t["key"] == "verify").unwrap();
    let report: Value = app.get(&format!("/api/v1/tasks/{}/report", check["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(report["consistent"], true, "{report}");
    assert_eq!(report["missing"], json!([]));

    // A second run copies nothing: every file is there with the same size.
    let res = app.post_json(&format!("/api/v1/pipelines/{pid}/runs"), &json!({})).await;
    let run2: Value = res.json().await.unwrap();
    let run2 = app.wait_run(run2["id"].as_str().unwrap()).await;
    assert_eq!(run2["state"], "succeeded");
    let tasks: Value = app.get(&format!("/api/v1/runs/{}/tasks", run2["id"].as_str().unwrap())).await.json().await.unwrap();
    let copy = tasks["items"].as_array().unwrap().iter().find(|t| t["key"] == "mirror").unwrap().clone();
    assert_eq!(copy["result"]["files_copied"], 0);
    assert_eq!(copy["result"]["files_skipped"], 3);

    let runs: Value = app.get(&format!("/api/v1/runs?pipeline_id={pid}&state=succeeded")).await.json().await.unwrap();
    assert_eq!(runs["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_failed_task_skips_its_dependants_and_fails_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let app = spawn_app(&tmp.path().join("data"));
    let missing = tmp.path().join("does-not-exist.csv");
    let spec = json!({
        "name": "broken",
        "tasks": [
            {"id": "copy", "kind": "copy", "source": missing.to_str().unwrap(),
             "destination": format!("{}/", tmp.path().join("out").display())},
            {"id": "after", "kind": "noop", "depends_on": ["copy"]},
            {"id": "independent", "kind": "noop"}
        ]
    });
    let (_, run) = app.create_and_run(&spec).await;
    assert_eq!(run["state"], "failed");
    let tasks: Value = app.get(&format!("/api/v1/runs/{}/tasks", run["id"].as_str().unwrap())).await.json().await.unwrap();
    let state = |key: &str| {
        tasks["items"].as_array().unwrap().iter().find(|t| t["key"] == key).unwrap()["state"].clone()
    };
    assert_eq!(state("copy"), "failed");
    assert_eq!(state("after"), "skipped");
    assert_eq!(state("independent"), "succeeded");
    let copy = tasks["items"].as_array().unwrap().iter().find(|t| t["key"] == "copy").unwrap();
    assert!(copy["error"].as_str().unwrap().contains("not found"), "{copy}");
}

#[tokio::test]
async fn state_survives_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (src, dst) = (tmp.path().join("src"), tmp.path().join("dst"));
    write_tree(&src, SAMPLE);
    let app = spawn_app(&data);
    let spec = mirror_spec("restart", src.to_str().unwrap(), dst.to_str().unwrap());
    let (pipeline, run) = app.create_and_run(&spec).await;
    let pid = pipeline["id"].as_str().unwrap().to_string();
    app.stop();

    let app = spawn_app(&data);
    let again: Value = app.get(&format!("/api/v1/runs/{}", run["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(again["state"], "succeeded");
    assert_eq!(again["id"], run["id"]);
    let p: Value = app.get(&format!("/api/v1/pipelines/{pid}")).await.json().await.unwrap();
    assert_eq!(p["name"], "restart");
}

#[tokio::test]
async fn a_check_report_is_paged_list_by_list() {
    let tmp = tempfile::tempdir().unwrap();
    let (src, dst) = (tmp.path().join("src"), tmp.path().join("dst"));
    let names: Vec<String> = (0..7).map(|i| format!("f{i}.csv")).collect();
    let files: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "xxx")).collect();
    write_tree(&src, &files);
    std::fs::create_dir_all(&dst).unwrap();
    let app = spawn_app(&tmp.path().join("data"));
    let spec = json!({"name": "paged", "tasks": [
        {"id": "verify", "kind": "check", "source": format!("{}/", src.display()), "target": format!("{}/", dst.display()), "on_inconsistent": "report"}
    ]});
    let (_, run) = app.create_and_run(&spec).await;
    let tasks: Value = app.get(&format!("/api/v1/runs/{}/tasks", run["id"].as_str().unwrap())).await.json().await.unwrap();
    let check = &tasks["items"][0];
    assert_eq!(check["result"]["consistent"], false, "{check}");

    let mut seen = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let url = format!("/api/v1/tasks/{}/report?kind=missing&limit=3&cursor={cursor}", check["id"].as_str().unwrap());
        let page: Value = app.get(&url).await.json().await.unwrap();
        pages += 1;
        seen.extend(page["items"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, names);
}
