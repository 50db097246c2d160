//! Backfill, upstream, webhook and file-arrival triggers in the distributed stack
//! (Postgres, RabbitMQ, Redis, separate API, orchestrator and worker processes): the same
//! behaviour as on `ferry standalone`, on the other database.

use super::stack::{Opts, Stack, serial};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn runs(stack: &Stack, query: &str) -> Vec<Value> {
    let (status, page) = stack.get(&format!("/api/v1/runs?{query}")).await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

async fn until(stack: &Stack, what: &str, query: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let found = runs(stack, query).await;
        if found.len() >= n && found.iter().all(|r| r["state"] == "succeeded") {
            return found;
        }
        assert!(Instant::now() < deadline, "{what}: {found:?}\n{}", stack.log_tails(20));
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn create(stack: &Stack, spec: &Value) -> String {
    let (status, body) = stack.post_json("/api/v1/pipelines", spec).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn backfill_upstream_webhook_and_file_arrival_on_postgres() {
    let _serial = serial();
    let stack = Stack::start(Opts {
        env: vec![("FERRY_MASTER_KEY".into(), "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU=".into())],
        ..Opts::default()
    });
    // A backfill of three nightly slots, and a pipeline downstream of it.
    let nightly = create(&stack, &json!({"name": "nightly", "schedule": {"cron": "0 0 3 * * *"}, "tasks": [{"id": "a", "kind": "noop"}]})).await;
    let report = create(&stack, &json!({"name": "report", "triggers": [{"upstream": {"pipeline": "nightly"}}], "tasks": [{"id": "b", "kind": "noop"}]})).await;
    let (status, body) = stack.post_json(&format!("/api/v1/pipelines/{nightly}/backfill"), &json!({"from": "2026-11-01T00:00:00Z", "to": "2026-11-04T00:00:00Z"})).await;
    assert_eq!(status, 202, "{body}");
    let backfilled = until(&stack, "three backfill runs", &format!("pipeline_id={nightly}&trigger=backfill"), 3).await;
    let mut logical: Vec<&str> = backfilled.iter().map(|r| r["trigger"]["logical_time"].as_str().unwrap()).collect();
    logical.sort();
    assert_eq!(logical, ["2026-11-01T03:00:00Z", "2026-11-02T03:00:00Z", "2026-11-03T03:00:00Z"]);
    let downstream = until(&stack, "one report per nightly run", &format!("pipeline_id={report}&trigger=upstream"), 3).await;
    assert_eq!(downstream.len(), 3, "{downstream:?}");

    // A signed webhook.
    let hooked = create(&stack, &json!({"name": "hooked", "triggers": [{"webhook": {}}], "tasks": [{"id": "c", "kind": "noop"}]})).await;
    let (status, secret) = stack.post_json(&format!("/api/v1/pipelines/{hooked}/webhook-secret"), &json!({})).await;
    assert_eq!(status, 201, "{secret}");
    let body = r#"{"batch": 7}"#;
    let ts = chrono::Utc::now().timestamp();
    let sig = ferry_api::webhook_signature::sign(secret["secret"].as_str().unwrap(), ts, body.as_bytes());
    let res = reqwest::Client::new()
        .post(stack.url(&format!("/hooks/{hooked}")))
        .header("X-Ferry-Timestamp", ts.to_string())
        .header("X-Ferry-Signature", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    until(&stack, "the webhook's run", &format!("pipeline_id={hooked}&trigger=webhook"), 1).await;

    // A file arriving in a local folder.
    let landing = tempfile::tempdir().unwrap();
    let watched = create(&stack, &json!({"name": "watched", "triggers": [{"file_arrival": {"url": format!("file://{}/", landing.path().display()),
        "poll": "300ms", "settle": "1s"}}], "tasks": [{"id": "d", "kind": "noop"}]})).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    std::fs::write(landing.path().join("drop.csv"), b"x").unwrap();
    let arrived = until(&stack, "the arrival's run", &format!("pipeline_id={watched}&trigger=file_arrival"), 1).await;
    assert_eq!(arrived[0]["trigger"]["detail"]["path"], "drop.csv");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(runs(&stack, &format!("pipeline_id={watched}")).await.len(), 1, "fires once");
}
