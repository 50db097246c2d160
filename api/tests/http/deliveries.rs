//! `/api/v1/deliveries` and a task's `destinations`: listing with filters, one record,
//! retry and cancel with their refusals, and what a viewer may not do.

use crate::support::{app, delivery_row, id_of, task_row};
use crate::tenancy::{as_key, key_for, tenant_key};
use axum::http::Method;
use ferry_common::delivery_state::DeliveryState;
use ferry_common::state::TaskState;
use ferry_store::WriteBatch;
use serde_json::json;

#[tokio::test]
async fn deliveries_are_listed_filtered_retried_and_cancelled() {
    let app = app().await;
    let pipeline = app.create_pipeline("import").await;
    let run = app.create_run(&pipeline["id"].to_string().replace('"', "")).await;
    let row = app.store.get_run(ferry_store::DEFAULT_TENANT, id_of(&run)).await.unwrap().unwrap();
    let mut task = task_row(&row, "orders", TaskState::Succeeded, None);
    task.kind = "copy".into();
    task.spec = json!({"id": "orders", "kind": "copy", "source": "/in/", "destinations": ["/lake/", {"url": "s3://b/o/", "delivery": "async"}]});
    let sync = delivery_row(&row, task.id, "/lake/", "sync", DeliveryState::Delivered);
    let mut failed = delivery_row(&row, task.id, "s3://b/o/", "async", DeliveryState::Failed);
    failed.last_error = Some("connection refused".into());
    let retrying = delivery_row(&row, task.id, "az://c/o/", "async", DeliveryState::Retrying);
    app.store
        .apply(&WriteBatch { tasks: vec![task.clone()], deliveries: vec![sync.clone(), failed.clone(), retrying.clone()], ..WriteBatch::default() })
        .await
        .unwrap();

    let all = app.get("/api/v1/deliveries").await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(all.body["items"].as_array().unwrap().len(), 3);
    let only = app.get("/api/v1/deliveries?state=failed&destination=s3://b/o/&dataset=orders").await;
    assert_eq!(only.body["items"].as_array().unwrap().len(), 1, "{}", only.body);
    assert_eq!(only.body["items"][0]["last_error"], "connection refused");
    let bad = app.get("/api/v1/deliveries?state=lost").await;
    assert_eq!(bad.status, 400);
    assert!(bad.problem(400)["detail"].as_str().unwrap().contains("retrying"), "{}", bad.body);
    let paged = app.get("/api/v1/deliveries?limit=2").await;
    assert!(paged.body["next_cursor"].is_string(), "{}", paged.body);

    let shown = app.get(&format!("/api/v1/tasks/{}", task.id)).await;
    let states: Vec<&str> = shown.body["destinations"].as_array().unwrap().iter().map(|d| d["state"].as_str().unwrap()).collect();
    assert_eq!(states, vec!["delivered", "failed", "retrying"], "{}", shown.body);

    let again = app.post_json(&format!("/api/v1/deliveries/{}/retry", failed.id), &json!({})).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["state"], "pending");
    assert!(again.body["next_attempt_at"].is_string(), "{}", again.body);
    let by: chrono::DateTime<chrono::Utc> = again.body["deliver_by"].as_str().unwrap().parse().unwrap();
    assert!(by > chrono::Utc::now() + chrono::Duration::days(6), "a fresh window of the default 7 days: {}", again.body);
    let sync_retry = app.post_json(&format!("/api/v1/deliveries/{}/retry", sync.id), &json!({})).await;
    assert_eq!(sync_retry.status, 409, "{}", sync_retry.body);
    assert!(sync_retry.problem(409)["detail"].as_str().unwrap().contains("sync"), "{}", sync_retry.body);

    let other = tenant_key(&app, "acme", "admin").await;
    let refused = as_key(&app, &other, Method::POST, &format!("/api/v1/deliveries/{}/cancel", retrying.id), None).await;
    assert_eq!(refused.status, 404, "another tenant's delivery is not there: {}", refused.body);
    let viewer = key_for(&app, "default", "viewer").await;
    let refused = as_key(&app, &viewer, Method::POST, &format!("/api/v1/deliveries/{}/cancel", retrying.id), None).await;
    assert_eq!(refused.status, 403, "a viewer only reads: {}", refused.body);
    let gone = app.post_json(&format!("/api/v1/deliveries/{}/cancel", retrying.id), &json!({})).await;
    assert_eq!(gone.status, 200, "{}", gone.body);
    assert_eq!(gone.body["state"], "cancelled");
    let twice = app.post_json(&format!("/api/v1/deliveries/{}/cancel", retrying.id), &json!({})).await;
    assert_eq!(twice.status, 409, "{}", twice.body);
    let missing = app.get(&format!("/api/v1/deliveries/{}", uuid::Uuid::now_v7())).await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn a_marker_never_goes_back_to_older_data() {
    let app = app().await;
    let pipeline = app.create_pipeline("import").await;
    let run = app.create_run(pipeline["id"].as_str().unwrap()).await;
    let row = app.store.get_run(ferry_store::DEFAULT_TENANT, id_of(&run)).await.unwrap().unwrap();
    let now = chrono::Utc::now();
    let marker = |run_id: uuid::Uuid, logical: chrono::DateTime<chrono::Utc>| ferry_store::DatasetMarkerRow {
        tenant_id: row.tenant_id,
        dataset: "orders".into(),
        destination: "s3://b/o/".into(),
        delivered_at: chrono::Utc::now(),
        pipeline_id: row.pipeline_id,
        run_id,
        task_id: uuid::Uuid::now_v7(),
        logical_time: logical,
        position: None,
    };
    let (newer, older) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    for m in [marker(newer, now), marker(older, now - chrono::Duration::hours(1))] {
        app.store.apply(&WriteBatch { markers: vec![m], ..WriteBatch::default() }).await.unwrap();
    }
    let shown = app.get("/api/v1/datasets/orders").await;
    assert_eq!(shown.body["destinations"][0]["run_id"], newer.to_string(), "{}", shown.body);
}

#[tokio::test]
async fn the_portal_lists_deliveries_and_a_runner_retries_one() {
    use crate::portal::Browser;
    let app = app().await;
    let pipeline = app.create_pipeline("import").await;
    let run = app.create_run(pipeline["id"].as_str().unwrap()).await;
    let row = app.store.get_run(ferry_store::DEFAULT_TENANT, id_of(&run)).await.unwrap().unwrap();
    let mut failed = delivery_row(&row, uuid::Uuid::now_v7(), "s3://cluster-b/orders/", "async", DeliveryState::Failed);
    failed.last_error = Some("connection refused".into());
    app.store.apply(&WriteBatch { deliveries: vec![failed.clone()], ..WriteBatch::default() }).await.unwrap();

    let mut viewer = Browser::new(&app);
    viewer.sign_in(&key_for(&app, "default", "viewer").await).await;
    let seen = viewer.get("/deliveries?state=failed").await;
    assert!(seen.html.contains("s3://cluster-b/orders/") && seen.html.contains("connection refused"), "{}", seen.html);
    assert!(!seen.html.contains("/retry"), "a viewer is offered no retry: {}", seen.html);

    let mut runner = Browser::new(&app);
    runner.sign_in(&key_for(&app, "default", "runner").await).await;
    let listed = runner.get("/deliveries").await;
    assert!(listed.html.contains(&format!("/deliveries/{}/retry", failed.id)), "{}", listed.html);
    let token = listed.token();
    let done = runner.post(&format!("/deliveries/{}/retry", failed.id), &[("csrf", token.as_str())]).await;
    assert_eq!(done.location(), "/deliveries", "{}", done.html);
    let now = app.get(&format!("/api/v1/deliveries/{}", failed.id)).await;
    assert_eq!(now.body["state"], "pending", "{}", now.body);
}
