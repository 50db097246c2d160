//! The first key of a new installation, from the CLI: `ferry tenants create` and `ferry
//! keys create` write to the data dir's database; `ferry standalone` on that data dir
//! then accepts the key, scoped to its tenant and role.

use crate::app::{ferry, spawn_app};
use serde_json::json;

#[tokio::test]
async fn a_tenant_and_its_first_key_from_the_cli_work_against_the_api() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = ferry().args(["tenants", "create", "acme", "--file-root", "/srv/acme", "--data-dir"]).arg(&data).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("tenant acme created"));
    let out = ferry().args(["keys", "create", "--tenant", "acme", "--role", "editor", "--data-dir"]).arg(&data).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let secret = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(secret.starts_with("fk_"), "{secret}");
    let bad = ferry().args(["keys", "create", "--tenant", "nobody", "--role", "admin", "--data-dir"]).arg(&data).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no tenant named `nobody`"));

    let app = spawn_app(&data);
    let created = app
        .client
        .post(app.url("/api/v1/pipelines"))
        .bearer_auth(&secret)
        .json(&json!({"name": "nightly", "tasks": [{"id": "a", "kind": "noop"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let theirs = app.client.get(app.url("/api/v1/pipelines")).bearer_auth(&secret).send().await.unwrap();
    let body: serde_json::Value = theirs.json().await.unwrap();
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    // The operator's default tenant does not see acme's pipeline.
    let own: serde_json::Value = app.get("/api/v1/pipelines").await.json().await.unwrap();
    assert_eq!(own["items"], json!([]));
    let forbidden = app.client.post(app.url("/api/v1/keys")).bearer_auth(&secret).json(&json!({"name": "x", "role": "admin"})).send().await.unwrap();
    assert_eq!(forbidden.status(), 403, "an editor makes no keys");
}

#[tokio::test]
async fn rotating_the_master_key_reseals_every_stored_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (old, new) = ("AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=", "BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ=");
    let app = crate::app::spawn_app_with(&data, &[("FERRY_MASTER_KEY", old)]);
    let res = app.post_json("/api/v1/connections", &json!({"name": "lake", "kind": "s3", "secrets": {"secret_access_key": "s"}})).await;
    assert_eq!(res.status(), 201);
    let before: serde_json::Value = res.json().await.unwrap();
    app.stop();
    let out = ferry().args(["keys", "rotate-master", "--old", old, "--new", new, "--data-dir"]).arg(&data).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("re-sealed 1 connection(s)"));
    let again = ferry().args(["keys", "rotate-master", "--old", old, "--new", new, "--data-dir"]).arg(&data).output().unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("re-sealed 0 connection(s)"), "running it twice is harmless");
    let bad = ferry().args(["keys", "rotate-master", "--old", "c2hvcnQ=", "--new", new, "--data-dir"]).arg(&data).output().unwrap();
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("32 bytes"));
    let app = crate::app::spawn_app_with(&data, &[("FERRY_MASTER_KEY", new)]);
    let after: serde_json::Value = app.get("/api/v1/connections").await.json().await.unwrap();
    assert_ne!(after["items"][0]["key_id"], before["key_id"], "{after}");
}

#[tokio::test]
async fn a_sensor_checks_s3_through_its_tenants_stored_connection() {
    crate::backends::require_stores();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let app = crate::app::spawn_app_with(&data, &[("FERRY_MASTER_KEY", "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU=")]);
    let res = app.post_json("/api/v1/tenants", &json!({"name": "acme"})).await;
    assert_eq!(res.status(), 201);
    let res = app.post_json("/api/v1/keys", &json!({"name": "ci", "role": "editor", "tenant": "acme"})).await;
    let secret = res.json::<serde_json::Value>().await.unwrap()["secret"].as_str().unwrap().to_string();
    let post = |path: &str, body: serde_json::Value| app.client.post(app.url(path)).bearer_auth(&secret).json(&body).send();
    let conn = json!({"name": "lake", "kind": "s3", "endpoint": "http://127.0.0.1:8333", "region": "us-east-1",
        "options": {"access_key_id": "ferry", "allow_http": "true"}, "secrets": {"secret_access_key": "ferrysecret"}});
    assert_eq!(post("/api/v1/connections", conn).await.unwrap().status(), 201);
    let p = crate::backends::prefix("stored-sensor");
    let spec = json!({"name": "gated", "tasks": [{"id": "sensor", "kind": "wait",
        "until": [{"exists": {"url": format!("s3://lake/{p}/_SUCCESS"), "connection": "lake"}}], "wait": {"poke": "300ms", "timeout": "1m"}}]});
    let pipeline: serde_json::Value = post("/api/v1/pipelines", spec).await.unwrap().json().await.unwrap();
    let run: serde_json::Value = post(&format!("/api/v1/pipelines/{}/runs", pipeline["id"].as_str().unwrap()), json!({})).await.unwrap().json().await.unwrap();
    let run_id = run["id"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let store = crate::backends::s3();
    use object_store::ObjectStoreExt;
    store.put(&object_store::path::Path::from(format!("{p}/_SUCCESS")), Vec::new().into()).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let run: serde_json::Value = app.client.get(app.url(&format!("/api/v1/runs/{run_id}"))).bearer_auth(&secret).send().await.unwrap().json().await.unwrap();
        if run["state"] != "running" && run["state"] != "queued" {
            assert_eq!(run["state"], "succeeded", "{run}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{run}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
