//! `POST /api/v1/tasks/{id}/cutover` and `POST /api/v1/restores`: who may ask, what is
//! refused (another kind, another cutover mode, a finished task, a bad body), and what
//! an accepted request does (the coordinator flag; a queued restore run).

use crate::support::{app, id_of, task_row};
use crate::tenancy::{as_key, key_for, tenant_key};
use axum::http::Method;
use ferry_common::coordination::AttemptControl;
use ferry_common::state::TaskState;
use ferry_store::WriteBatch;
use serde_json::json;

#[tokio::test]
async fn a_manual_migration_is_cut_over_and_everything_else_is_refused() {
    let app = app().await;
    let pipeline = app.create_pipeline("lake-move").await;
    let run = app.create_run(&pipeline["id"].to_string().replace('"', "")).await;
    let row = app.store.get_run(ferry_store::DEFAULT_TENANT, id_of(&run)).await.unwrap().unwrap();
    let mut manual = task_row(&row, "move", TaskState::Running, None);
    manual.kind = "migrate".into();
    manual.spec = json!({"id": "move", "kind": "migrate", "source": "/in/", "destination": "/out/", "cutover": "manual"});
    let mut auto = task_row(&row, "auto", TaskState::Running, None);
    auto.kind = "migrate".into();
    auto.spec = json!({"id": "auto", "kind": "migrate", "source": "/in/", "destination": "/out2/"});
    let mut done = task_row(&row, "done", TaskState::Succeeded, None);
    done.kind = "migrate".into();
    done.spec = json!({"id": "done", "kind": "migrate", "source": "/a/", "destination": "/b/", "cutover": "manual"});
    let mut copy = task_row(&row, "copy", TaskState::Running, None);
    copy.kind = "copy".into();
    app.store
        .apply(&WriteBatch { tasks: vec![manual.clone(), auto.clone(), done.clone(), copy.clone()], ..WriteBatch::default() })
        .await
        .unwrap();

    let viewer = key_for(&app, "default", "viewer").await;
    let refused = as_key(&app, &viewer, Method::POST, &format!("/api/v1/tasks/{}/cutover", manual.id), None).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let other = tenant_key(&app, "acme", "admin").await;
    let hidden = as_key(&app, &other, Method::POST, &format!("/api/v1/tasks/{}/cutover", manual.id), None).await;
    assert_eq!(hidden.status, 404, "another tenant's task is not there: {}", hidden.body);
    assert!(!app.coordinator.is_cutover_requested(manual.id).await.unwrap());

    let ok = app.post_json(&format!("/api/v1/tasks/{}/cutover", manual.id), &json!({})).await;
    assert_eq!(ok.status, 202, "{}", ok.body);
    assert_eq!(ok.body["key"], "move");
    assert!(app.coordinator.is_cutover_requested(manual.id).await.unwrap(), "the worker's flag is set");

    for (task, says) in [(&auto, "cutover: auto"), (&done, "already finished"), (&copy, "only a `migrate` task")] {
        let r = app.post_json(&format!("/api/v1/tasks/{}/cutover", task.id), &json!({})).await;
        assert_eq!(r.status, 409, "{}", r.body);
        assert!(r.problem(409)["detail"].as_str().unwrap().contains(says), "{says}: {}", r.body);
    }
}

#[tokio::test]
async fn a_restore_is_a_queued_run_of_the_tenants_restores_pipeline() {
    let app = app().await;
    let body = json!({"location": "file:///lake/", "at": "2026-12-01T12:00:00Z", "to": "file:///restored/"});
    let r = app.post_json("/api/v1/restores", &body).await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.body["state"], "queued");
    let again = app.post_json("/api/v1/restores", &body).await;
    assert_eq!(again.status, 202, "the pipeline is made once and reused: {}", again.body);
    assert_eq!(again.body["pipeline_id"], r.body["pipeline_id"]);
    let bad = app.post_json("/api/v1/restores", &json!({"location": "file:///lake/", "at": "yesterday", "to": "file:///r/"})).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    let inside = app.post_json("/api/v1/restores", &json!({"location": "file:///lake/", "at": "2026-12-01T12:00:00Z", "to": "file:///lake/old/"})).await;
    assert_eq!(inside.status, 422, "{}", inside.body);
    assert!(inside.body.to_string().contains("outside `location`"), "{}", inside.body);
    let viewer = key_for(&app, "default", "viewer").await;
    let refused = as_key(&app, &viewer, Method::POST, "/api/v1/restores", Some(&body)).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
}
