//! Tenants on the distributed stack: two tenants run pipelines of the same name at once
//! and each sees only its own; a key revoked through one API instance is refused by
//! another within a second.

use super::stack::{Opts, Stack, serial};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn call(client: &reqwest::Client, method: reqwest::Method, url: String, key: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = client.request(method, url).bearer_auth(key).timeout(Duration::from_secs(10));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn two_tenants_with_the_same_names_each_see_only_their_own() {
    let _serial = serial();
    let mut stack = Stack::start(Opts { workers: 1, ..Opts::default() });
    let second = stack.start_api();
    let client = reqwest::Client::new();
    let mut keys = Vec::new();
    for name in ["north", "south"] {
        let (s, _) = stack.post_json("/api/v1/tenants", &json!({"name": name})).await;
        assert_eq!(s, 201);
        let (s, k) = stack.post_json("/api/v1/keys", &json!({"name": "ci", "role": "admin", "tenant": name})).await;
        assert_eq!(s, 201, "{k}");
        keys.push((k["key"]["id"].as_str().unwrap().to_string(), k["secret"].as_str().unwrap().to_string()));
    }
    let spec = json!({"name": "nightly", "tasks": [{"id": "a", "kind": "noop"}, {"id": "b", "kind": "noop", "depends_on": ["a"]}]});
    let mut runs = Vec::new();
    for (_, key) in &keys {
        let (s, p) = call(&client, reqwest::Method::POST, stack.url("/api/v1/pipelines"), key, Some(spec.clone())).await;
        assert_eq!(s, 201, "{p}");
        let pid = p["id"].as_str().unwrap();
        let (s, r) = call(&client, reqwest::Method::POST, stack.url(&format!("/api/v1/pipelines/{pid}/runs")), key, Some(json!({}))).await;
        assert_eq!(s, 202, "{r}");
        runs.push(r["id"].as_str().unwrap().to_string());
    }
    for (i, (_, key)) in keys.iter().enumerate() {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (_, run) = call(&client, reqwest::Method::GET, stack.url(&format!("/api/v1/runs/{}", runs[i])), key, None).await;
            if run["state"] == "succeeded" {
                break;
            }
            assert!(Instant::now() < deadline, "{run}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let (_, listed) = call(&client, reqwest::Method::GET, stack.url("/api/v1/runs"), key, None).await;
        let ids: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids, vec![runs[i].as_str()], "each tenant lists only its own run");
        let other = &runs[1 - i];
        let (s, _) = call(&client, reqwest::Method::GET, stack.url(&format!("/api/v1/runs/{other}")), key, None).await;
        assert_eq!(s, 404);
    }

    // Revoked through the first API, refused by the second within a second.
    let (id, key) = &keys[0];
    let (s, _) = call(&client, reqwest::Method::GET, format!("{second}/api/v1/runs"), key, None).await;
    assert_eq!(s, 200);
    let (s, _) = call(&client, reqwest::Method::DELETE, stack.url(&format!("/api/v1/keys/{id}")), key, None).await;
    assert_eq!(s, 204);
    let revoked = Instant::now();
    loop {
        let (s, body) = call(&client, reqwest::Method::GET, format!("{second}/api/v1/runs"), key, None).await;
        if s == 401 {
            assert!(body["detail"].as_str().unwrap().contains("revoked"), "{body}");
            break;
        }
        assert!(revoked.elapsed() < Duration::from_secs(1), "the second API instance still accepts the revoked key");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
