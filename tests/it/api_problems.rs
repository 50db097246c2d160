//! Every client mistake gets a problem document with the right status, never a 500.

use crate::app::{KEY, spawn_app};
use serde_json::{Value, json};

async fn assert_problem(res: reqwest::Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status);
    let ct = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("application/problem+json"), "content-type {ct}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string());
    body
}

#[tokio::test]
async fn client_mistakes_are_problem_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let app = spawn_app(&tmp.path().join("data"));
    let c = &app.client;

    // 401: no key, wrong key
    assert_problem(c.get(app.url("/api/v1/pipelines")).send().await.unwrap(), 401).await;
    assert_problem(c.get(app.url("/api/v1/pipelines")).bearer_auth("nope").send().await.unwrap(), 401).await;

    // 400: malformed JSON
    let res = c
        .post(app.url("/api/v1/pipelines"))
        .bearer_auth(KEY)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400).await;

    // 404: unknown ids
    let ghost = "0193a000-0000-7000-8000-000000000000";
    assert_problem(app.get(&format!("/api/v1/runs/{ghost}")).await, 404).await;
    assert_problem(app.get(&format!("/api/v1/pipelines/{ghost}")).await, 404).await;
    assert_problem(app.get(&format!("/api/v1/tasks/{ghost}/report")).await, 404).await;

    // 422: an invalid spec lists every problem with its path
    let bad = json!({"name": "bad", "tasks": [
        {"id": "a", "kind": "teleport"},
        {"id": "b", "kind": "noop", "depends_on": ["ghost"]},
        {"id": "c", "kind": "copy", "source": "ftp://x/y", "destination": "/tmp/z/"}
    ]});
    let body = assert_problem(app.post_json("/api/v1/pipelines", &bad).await, 422).await;
    let paths: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    for expected in ["tasks[0].kind", "tasks[1].depends_on[0]", "tasks[2].source"] {
        assert!(paths.contains(&expected), "{expected} missing from {paths:?}");
    }

    // 409: duplicate name
    let ok = json!({"name": "dup", "tasks": [{"id": "a", "kind": "noop"}]});
    assert_eq!(app.post_json("/api/v1/pipelines", &ok).await.status(), 201);
    assert_problem(app.post_json("/api/v1/pipelines", &ok).await, 409).await;

    // YAML bodies are accepted too
    let res = c
        .post(app.url("/api/v1/pipelines"))
        .bearer_auth(KEY)
        .header("content-type", "application/yaml")
        .body("name: from-yaml\ntasks:\n  - {id: a, kind: noop}\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    // health needs no key
    assert_eq!(c.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    assert_eq!(c.get(app.url("/readyz")).send().await.unwrap().status(), 200);
}
