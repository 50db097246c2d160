//! A tenant's stored connection used by a run on the distributed stack: the copy to S3
//! works, and the connection's secret is found in none of the API's answers, the logs of
//! every process, the stored connections table as text, nor the RabbitMQ message of the
//! task that used it (which carries the connection sealed; the worker opens it).

use super::stack::backends::psql;
use super::stack::{Opts, Stack, serial};
use crate::backends::{prefix, require_stores};
use crate::fixtures::{SAMPLE, write_tree};
use serde_json::{Value, json};
use std::time::Duration;

const MASTER_KEY: &str = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";
const SECRET: &str = "ferrysecret";

#[tokio::test]
async fn a_stored_connections_secret_appears_nowhere_but_where_it_is_used() {
    let _serial = serial();
    require_stores();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    write_tree(&src, SAMPLE);
    let mut stack = Stack::start(Opts { workers: 0, env: vec![("FERRY_MASTER_KEY".into(), MASTER_KEY.into())], ..Opts::default() });
    let mut answers: Vec<String> = Vec::new();
    let (s, t) = stack.post_json("/api/v1/tenants", &json!({"name": "acme"})).await;
    assert_eq!(s, 201, "{t}");
    let (s, k) = stack.post_json("/api/v1/keys", &json!({"name": "ci", "role": "editor", "tenant": "acme"})).await;
    assert_eq!(s, 201, "{k}");
    let key = k["secret"].as_str().unwrap().to_string();
    let client = reqwest::Client::new();
    let base = stack.base.clone();
    let call = |method: reqwest::Method, path: String, body: Option<Value>| {
        let (client, key, url) = (client.clone(), key.clone(), format!("{base}{path}"));
        async move {
            let mut req = client.request(method, url).bearer_auth(key);
            if let Some(b) = body {
                req = req.json(&b);
            }
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.text().await.unwrap())
        }
    };
    let connection = json!({"name": "lake", "kind": "s3", "endpoint": "http://127.0.0.1:8333", "region": "us-east-1",
        "options": {"access_key_id": "ferry", "allow_http": "true"}, "secrets": {"secret_access_key": SECRET}});
    let (s, body) = call(reqwest::Method::POST, "/api/v1/connections".into(), Some(connection)).await;
    assert_eq!(s, 201, "{body}");
    answers.push(body);
    let p = prefix("sealed");
    let spec = json!({"name": "to-s3", "tasks": [{"id": "up", "kind": "copy", "source": format!("{}/", src.display()),
        "destination": {"url": format!("s3://lake/{p}/"), "connection": "lake"}}]});
    // The source is local: the tenant needs a file root for it.
    let res = reqwest::Client::new()
        .patch(stack.url(&format!("/api/v1/tenants/{}", t["id"].as_str().unwrap())))
        .bearer_auth(super::stack::KEY)
        .json(&json!({"file_roots": [tmp.path().display().to_string()]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (s, body) = call(reqwest::Method::POST, "/api/v1/pipelines".into(), Some(spec)).await;
    assert_eq!(s, 201, "{body}");
    let pipeline: Value = serde_json::from_str(&body).unwrap();
    answers.push(body);
    let (s, body) = call(reqwest::Method::POST, format!("/api/v1/pipelines/{}/runs", pipeline["id"].as_str().unwrap()), Some(json!({}))).await;
    assert_eq!(s, 202, "{body}");
    let run: Value = serde_json::from_str(&body).unwrap();
    let run_id = run["id"].as_str().unwrap().to_string();

    // No worker yet: the task's message waits in RabbitMQ; read it without taking it.
    let queue = format!("/api/queues/{}/ferry.tasks.default/get", stack.vhost);
    let mut bodies = String::new();
    for _ in 0..100 {
        let (s, got) = stack.mgmt("POST", &queue, Some(&json!({"count": 10, "ackmode": "ack_requeue_true", "encoding": "auto"})));
        if s == 200 && got.contains("\"payload\"") {
            bodies = got;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(bodies.contains("\\\"connections\\\""), "the task message carries the connection (sealed): {bodies}");
    assert!(!bodies.contains(SECRET), "the secret is in a RabbitMQ message: {bodies}");

    stack.start_worker();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let done = loop {
        let (_, body) = call(reqwest::Method::GET, format!("/api/v1/runs/{run_id}"), None).await;
        let run: Value = serde_json::from_str(&body).unwrap();
        if ["succeeded", "failed", "cancelled"].contains(&run["state"].as_str().unwrap_or("")) {
            break run;
        }
        assert!(std::time::Instant::now() < deadline, "{run}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(done["state"], "succeeded", "the worker opened the connection and copied: {done}");
    for path in [format!("/api/v1/runs/{run_id}"), format!("/api/v1/runs/{run_id}/tasks"), "/api/v1/connections".to_string(), "/api/v1/audit".to_string()] {
        let (_, body) = call(reqwest::Method::GET, path, None).await;
        answers.push(body);
    }
    for a in &answers {
        assert!(!a.contains(SECRET), "an API answer holds the secret: {a}");
    }
    let table = psql(stack.endpoints.pg_port, &stack.db, "SELECT * FROM connections").unwrap();
    assert!(table.contains("lake") && !table.contains(SECRET), "{table}");
    for entry in std::fs::read_dir(stack.logs_dir()).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(!text.contains(SECRET), "{} holds the secret", path.display());
    }
}
