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
