//! Runs and their tasks: creating, listing, cancelling; task rows and reports.

use crate::support::*;
use axum::http::{StatusCode, header};
use chrono::Utc;
use ferry_common::state::{RunState, TaskState};
use ferry_store::{DEFAULT_TENANT, WriteBatch};
use serde_json::json;
use std::sync::atomic::Ordering;

#[tokio::test]
async fn runs_are_created_listed_and_cancelled() {
    let app = app().await;
    let p = app.create_pipeline("runme").await;
    let pid = p["id"].as_str().unwrap();

    let res = app
        .post_json(&format!("/api/v1/pipelines/{pid}/runs"), &json!({}))
        .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    let run = res.body.clone();
    assert_eq!(run["state"], "queued");
    assert_eq!(run["pipeline_id"], pid);
    assert_eq!(run["cancel_requested"], false);
    assert_eq!(run["progress"]["tasks_total"], 0);
    assert_eq!(
        res.headers[header::LOCATION],
        format!("/api/v1/runs/{}", run["id"].as_str().unwrap()).as_str()
    );
    assert_eq!(
        app.run_changes.load(Ordering::SeqCst),
        1,
        "creating a run wakes the orchestrator"
    );

    let rid = run["id"].as_str().unwrap();
    let got = app.get(&format!("/api/v1/runs/{rid}")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, run);

    let second = app.create_run(pid).await;
    let list = app
        .get(&format!("/api/v1/runs?pipeline_id={pid}&state=queued"))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let ids: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second["id"].as_str().unwrap(), rid], "newest first");
    assert!(list.body["items"][0]["progress"].is_object());
    let page = app.get("/api/v1/runs?limit=1").await;
    assert_eq!(page.body["items"].as_array().unwrap().len(), 1);
    assert!(page.body["next_cursor"].is_string());
    let none = app
        .get(&format!("/api/v1/runs?pipeline_id={pid}&state=running"))
        .await;
    assert_eq!(none.body["items"], json!([]));

    let bad = app.get("/api/v1/runs?state=done").await;
    let detail = bad.problem(400)["detail"].as_str().unwrap();
    assert!(
        detail.contains("queued") && detail.contains("cancelled"),
        "{detail}"
    );
    app.get("/api/v1/runs?pipeline_id=nope").await.problem(400);

    let res = app
        .post_json(&format!("/api/v1/runs/{rid}/cancel"), &json!({}))
        .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    assert_eq!(res.body["cancel_requested"], true);
    assert_eq!(
        app.run_changes.load(Ordering::SeqCst),
        3,
        "cancelling wakes the orchestrator"
    );
    let row = app
        .store
        .get_run(DEFAULT_TENANT, rid.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(row.cancel_requested);
    assert_eq!(
        app.get(&format!("/api/v1/runs/{rid}")).await.body["cancel_requested"],
        true
    );

    // A finished run cannot be cancelled.
    let mut finished = app
        .store
        .get_run(DEFAULT_TENANT, id_of(&second))
        .await
        .unwrap()
        .unwrap();
    finished.state = RunState::Succeeded;
    finished.started_at = Some(Utc::now());
    finished.finished_at = Some(Utc::now());
    app.store
        .apply(&WriteBatch {
            runs: vec![finished.clone()],
            ..WriteBatch::default()
        })
        .await
        .unwrap();
    let res = app
        .post_json(&format!("/api/v1/runs/{}/cancel", finished.id), &json!({}))
        .await;
    assert_eq!(res.problem(409)["type"], "urn:ferry:problem:run-finished");
}

#[tokio::test]
async fn tasks_and_reports_are_read() {
    let app = app().await;
    let p = app.create_pipeline("tasks").await;
    let run = app.create_run(p["id"].as_str().unwrap()).await;
    let mut row = app
        .store
        .get_run(DEFAULT_TENANT, id_of(&run))
        .await
        .unwrap()
        .unwrap();
    row.state = RunState::Running;
    row.started_at = Some(Utc::now());
    let with_report = task_row(
        &row,
        "verify",
        TaskState::Succeeded,
        Some(json!({"consistent": true, "missing": []})),
    );
    let without = task_row(&row, "copy", TaskState::Running, None);
    app.store
        .apply(&WriteBatch {
            runs: vec![row.clone()],
            tasks: vec![with_report.clone(), without.clone()],
            transitions: Vec::new(),
            events: Vec::new(),
            markers: Vec::new(),
            ..WriteBatch::default()
        })
        .await
        .unwrap();

    let list = app.get(&format!("/api/v1/runs/{}/tasks", row.id)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let verify = items.iter().find(|t| t["key"] == "verify").unwrap();
    assert_eq!(verify["state"], "succeeded");
    assert_eq!(verify["kind"], "check");
    assert_eq!(verify["attempt"], 1);
    assert_eq!(
        verify["progress"],
        json!({"files_total": 3, "files_done": 2, "bytes_total": 300, "bytes_done": 200})
    );
    assert_eq!(verify["result"]["files_checked"], 3);
    assert_eq!(verify["run_id"], row.id.to_string());

    let page = app
        .get(&format!("/api/v1/runs/{}/tasks?limit=1", row.id))
        .await;
    assert_eq!(page.body["items"].as_array().unwrap().len(), 1);
    assert!(page.body["next_cursor"].is_string());

    let task = app.get(&format!("/api/v1/tasks/{}", with_report.id)).await;
    assert_eq!(task.status, StatusCode::OK);
    assert_eq!(task.body["key"], "verify");

    let report = app
        .get(&format!("/api/v1/tasks/{}/report", with_report.id))
        .await;
    assert_eq!(report.status, StatusCode::OK);
    assert_eq!(report.body, json!({"consistent": true, "missing": []}));
    let page = app
        .get(&format!("/api/v1/tasks/{}/report?kind=missing&limit=10", with_report.id))
        .await;
    assert_eq!(page.body, json!({"items": [], "next_cursor": null}));
    for bad in ["kind=sideways", "kind=extra", "kind=missing&cursor=abc", "kind=missing&limit=0"] {
        app.get(&format!("/api/v1/tasks/{}/report?{bad}", with_report.id))
            .await
            .problem(400);
    }
    app.get(&format!("/api/v1/tasks/{}/report", without.id))
        .await
        .problem(404);

    let run = app.get(&format!("/api/v1/runs/{}", row.id)).await;
    assert_eq!(run.body["state"], "running");
    assert_eq!(run.body["progress"]["tasks_total"], 2);
    assert_eq!(run.body["progress"]["tasks_succeeded"], 1);
    assert_eq!(run.body["progress"]["files_done"], 4);
}

#[tokio::test]
async fn a_runs_dag_is_a_picture_coloured_by_state_with_links_to_its_tasks() {
    let app = app().await;
    let p = app.create_pipeline("drawn").await;
    let run = app.create_run(p["id"].as_str().unwrap()).await;
    let run_id = run["id"].as_str().unwrap();
    let row = app.store.get_run(DEFAULT_TENANT, run_id.parse().unwrap()).await.unwrap().unwrap();
    let key = noop_spec("drawn")["tasks"][0]["id"].as_str().unwrap().to_string();
    let task = task_row(&row, &key, TaskState::Succeeded, None);
    app.store.apply(&WriteBatch { tasks: vec![task.clone()], ..WriteBatch::default() }).await.unwrap();
    let res = app.get(&format!("/api/v1/runs/{run_id}/dag.svg")).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.headers[header::CONTENT_TYPE], "image/svg+xml");
    assert_eq!(res.headers[header::CONTENT_SECURITY_POLICY], "default-src 'none'");
    let svg = res.body.as_str().unwrap();
    assert!(svg.starts_with("<svg") && svg.contains(&format!("/api/v1/tasks/{}", task.id)), "{svg}");
    assert!(svg.contains("succeeded"), "{svg}");
    app.get(&format!("/api/v1/runs/{}/dag.svg", uuid::Uuid::now_v7())).await.problem(404);
}
