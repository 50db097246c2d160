//! Tenants and keys: the operator manages tenants, a tenant admin its keys; roles gate
//! requests (401 without a usable key, 403 for a role too weak), a revoked or expired key
//! is refused saying so, and every change lands in the audit log.

use crate::support::{App, app, noop_spec};
use axum::body::Body;
use axum::http::Method;
use serde_json::{Value, json};

/// Creates tenant `name` and a key of `role` for it; the key's secret.
pub(crate) async fn tenant_key(app: &App, name: &str, role: &str) -> String {
    let res = app.post_json("/api/v1/tenants", &json!({"name": name})).await;
    assert!(res.status == 201 || res.status == 409, "{}", res.body);
    key_for(app, name, role).await
}

/// Creates another key of `role` for existing tenant `name`.
pub(crate) async fn key_for(app: &App, name: &str, role: &str) -> String {
    let res = app.post_json("/api/v1/keys", &json!({"name": format!("{name}-{role}"), "role": role, "tenant": name})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    res.body["secret"].as_str().unwrap().to_string()
}

pub(crate) async fn as_key(app: &App, key: &str, method: Method, path: &str, body: Option<&Value>) -> crate::support::Reply {
    match body {
        Some(b) => app.call_as(key, method, path, Some("application/json"), b.to_string()).await,
        None => app.call_as(key, method, path, None, Body::empty()).await,
    }
}

#[tokio::test]
async fn the_operator_manages_tenants_and_bad_bodies_are_named() {
    let app = app().await;
    let res = app.post_json("/api/v1/tenants", &json!({"name": "acme", "file_roots": ["/data/acme"]})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let id = res.body["id"].as_str().unwrap().to_string();
    assert_eq!(res.body["file_roots"], json!(["/data/acme"]));
    app.post_json("/api/v1/tenants", &json!({"name": "acme"})).await.problem(409);
    let p = app.post_json("/api/v1/tenants", &json!({"name": "no spaces"})).await;
    assert!(p.problem(400)["detail"].as_str().unwrap().contains("no spaces"));
    let p = app.post_json("/api/v1/tenants", &json!({"name": "x", "colour": "blue"})).await;
    assert!(p.problem(400)["detail"].as_str().unwrap().contains("colour"), "{}", p.body);
    let p = app.post_json("/api/v1/tenants", &json!({"name": "y", "file_roots": ["relative"]})).await;
    assert!(p.problem(400)["detail"].as_str().unwrap().contains("relative"));

    let res = app.call(Method::PATCH, &format!("/api/v1/tenants/{id}"), Some("application/json"), json!({"name": "acme-2"}).to_string()).await;
    assert_eq!(res.body["name"], "acme-2", "{}", res.body);
    let listed = app.get("/api/v1/tenants").await;
    let names: Vec<&str> = listed.body["items"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"default") && names.contains(&"acme-2"), "{names:?}");
    let res = app.call(Method::DELETE, &format!("/api/v1/tenants/{id}"), None, Body::empty()).await;
    assert_eq!(res.status, 204);
    app.get(&format!("/api/v1/tenants/{id}")).await.problem(404);
    let default = ferry_store::DEFAULT_TENANT;
    app.call(Method::DELETE, &format!("/api/v1/tenants/{default}"), None, Body::empty()).await.problem(409);
}

#[tokio::test]
async fn a_tenant_with_runs_in_flight_cannot_be_deleted() {
    let app = app().await;
    let key = tenant_key(&app, "busy", "admin").await;
    let p = as_key(&app, &key, Method::POST, "/api/v1/pipelines", Some(&noop_spec("p"))).await;
    let pid = p.body["id"].as_str().unwrap();
    as_key(&app, &key, Method::POST, &format!("/api/v1/pipelines/{pid}/runs"), Some(&json!({}))).await;
    let tenant = app.get("/api/v1/tenants").await.body["items"].as_array().unwrap().iter().find(|t| t["name"] == "busy").unwrap()["id"].as_str().unwrap().to_string();
    let p = app.call(Method::DELETE, &format!("/api/v1/tenants/{tenant}"), None, Body::empty()).await;
    assert!(p.problem(409)["detail"].as_str().unwrap().contains("1 run(s)"), "{}", p.body);
}

#[tokio::test]
async fn roles_gate_what_a_key_may_do() {
    let app = app().await;
    let admin = tenant_key(&app, "acme", "admin").await;
    let viewer = key_for(&app, "acme", "viewer").await;
    let runner = key_for(&app, "acme", "runner").await;
    let editor = key_for(&app, "acme", "editor").await;

    assert_eq!(as_key(&app, &viewer, Method::GET, "/api/v1/pipelines", None).await.status, 200);
    let p = as_key(&app, &viewer, Method::POST, "/api/v1/pipelines", Some(&noop_spec("p"))).await;
    assert!(p.problem(403)["detail"].as_str().unwrap().contains("`viewer`"), "{}", p.body);
    as_key(&app, &runner, Method::POST, "/api/v1/pipelines", Some(&noop_spec("p"))).await.problem(403);
    let created = as_key(&app, &editor, Method::POST, "/api/v1/pipelines", Some(&noop_spec("p"))).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let runs = format!("/api/v1/pipelines/{}/runs", created.body["id"].as_str().unwrap());
    as_key(&app, &viewer, Method::POST, &runs, Some(&json!({}))).await.problem(403);
    assert_eq!(as_key(&app, &runner, Method::POST, &runs, Some(&json!({}))).await.status, 202);
    as_key(&app, &editor, Method::POST, "/api/v1/keys", Some(&json!({"name": "k", "role": "viewer"}))).await.problem(403);
    assert_eq!(as_key(&app, &admin, Method::POST, "/api/v1/keys", Some(&json!({"name": "k", "role": "viewer"}))).await.status, 201);
    // A tenant admin is not the operator.
    as_key(&app, &admin, Method::GET, "/api/v1/tenants", None).await.problem(403);
    as_key(&app, &admin, Method::GET, "/api/v1/workers", None).await.problem(403);
    as_key(&app, &admin, Method::POST, "/api/v1/keys", Some(&json!({"name": "k", "role": "admin", "tenant": "default"}))).await.problem(403);
    // No key, a wrong key, a malformed one: 401.
    as_key(&app, "fk_000000000000_nope", Method::GET, "/api/v1/pipelines", None).await.problem(401);
    as_key(&app, "nonsense", Method::GET, "/api/v1/pipelines", None).await.problem(401);
    // The operator's key still acts on the default tenant, as the single admin key did.
    let own = app.get("/api/v1/pipelines").await;
    assert_eq!(own.body["items"], json!([]), "the operator's default tenant has none of acme's pipelines");
}

#[tokio::test]
async fn revoked_and_expired_keys_are_refused_saying_so() {
    let app = app().await;
    let admin = tenant_key(&app, "acme", "admin").await;
    let res = as_key(&app, &admin, Method::POST, "/api/v1/keys", Some(&json!({"name": "ci", "role": "runner"}))).await;
    let (id, ci) = (res.body["key"]["id"].as_str().unwrap().to_string(), res.body["secret"].as_str().unwrap().to_string());
    assert!(ci.starts_with(&format!("fk_{}_", res.body["key"]["prefix"].as_str().unwrap())));
    let listed = as_key(&app, &admin, Method::GET, "/api/v1/keys", None).await;
    assert!(!listed.body.to_string().contains(&ci), "a listing never shows a secret");
    assert_eq!(as_key(&app, &ci, Method::GET, "/api/v1/runs", None).await.status, 200);
    assert_eq!(as_key(&app, &admin, Method::DELETE, &format!("/api/v1/keys/{id}"), None).await.status, 204);
    let p = as_key(&app, &ci, Method::GET, "/api/v1/runs", None).await;
    assert!(p.problem(401)["detail"].as_str().unwrap().contains("revoked"), "{}", p.body);

    let res = as_key(&app, &admin, Method::POST, "/api/v1/keys", Some(&json!({"name": "old", "role": "viewer", "expires_at": "2020-01-01T00:00:00Z"}))).await;
    let old = res.body["secret"].as_str().unwrap().to_string();
    let p = as_key(&app, &old, Method::GET, "/api/v1/runs", None).await;
    assert!(p.problem(401)["detail"].as_str().unwrap().contains("expired"), "{}", p.body);
    let p = as_key(&app, &admin, Method::POST, "/api/v1/keys", Some(&json!({"name": "x", "role": "root"}))).await;
    assert!(p.problem(400)["detail"].as_str().unwrap().contains("role"), "{}", p.body);
}

#[tokio::test]
async fn every_change_is_audited_and_each_tenant_reads_its_own() {
    let app = app().await;
    let a = tenant_key(&app, "a", "admin").await;
    let b = tenant_key(&app, "b", "admin").await;
    let created = as_key(&app, &a, Method::POST, "/api/v1/pipelines", Some(&noop_spec("nightly"))).await;
    let pid = created.body["id"].as_str().unwrap().to_string();
    as_key(&app, &b, Method::POST, "/api/v1/pipelines", Some(&noop_spec("nightly"))).await;
    as_key(&app, &a, Method::DELETE, &format!("/api/v1/pipelines/{pid}"), None).await;

    let log = as_key(&app, &a, Method::GET, "/api/v1/audit", None).await;
    let items = log.body["items"].as_array().unwrap();
    assert_eq!(items[0]["action"], "DELETE /api/v1/pipelines/{id}", "{}", log.body);
    assert_eq!(items[0]["object_id"], pid);
    assert_eq!(items[1]["action"], "POST /api/v1/pipelines");
    assert_eq!(items[1]["object_id"], pid, "a creation is recorded with the new object's id");
    assert!(items.iter().all(|e| e["tenant_id"] == items[0]["tenant_id"]), "only a's entries");
    assert!(items.iter().all(|e| e["key_id"].is_string()));
    let all = app.get("/api/v1/audit?limit=500").await;
    assert!(all.body["items"].as_array().unwrap().len() > items.len(), "the operator reads every tenant's");
    as_key(&app, &a, Method::GET, "/api/v1/audit?tenant=b", None).await.problem(403);
}

#[tokio::test]
async fn local_paths_outside_a_tenants_file_roots_are_refused_at_validation() {
    let app = app().await;
    let tmp = tempfile::tempdir().unwrap();
    let (root, outside) = (tmp.path().join("root"), tmp.path().join("outside"));
    std::fs::create_dir_all(root.join("in")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("escape")).unwrap();
    let res = app.post_json("/api/v1/tenants", &json!({"name": "rooted", "file_roots": [root.display().to_string()]})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let key = key_for(&app, "rooted", "editor").await;
    let copy = |src: String, dst: String| json!({"name": "c", "tasks": [{"id": "c", "kind": "copy", "source": src, "destination": dst}]});
    let inside = copy(format!("{}/in/", root.display()), format!("{}/out/", root.display()));
    assert_eq!(as_key(&app, &key, Method::POST, "/api/v1/pipelines", Some(&inside)).await.status, 201);

    let p = as_key(&app, &key, Method::POST, "/api/v1/pipelines", Some(&copy("/etc/".into(), format!("{}/out/", root.display())))).await;
    let body = p.problem(422);
    let err = &body["errors"][0];
    assert_eq!(err["path"], "tasks[0].source", "{body}");
    let msg = err["message"].as_str().unwrap();
    assert!(msg.contains("/etc/") && msg.contains(&root.display().to_string()), "{msg}");
    let p = as_key(&app, &key, Method::POST, "/api/v1/pipelines", Some(&copy(format!("{}/escape/", root.display()), format!("{}/out/", root.display())))).await;
    assert!(p.problem(422)["errors"][0]["message"].as_str().unwrap().contains("symlink"), "{}", p.body);
    let p = as_key(&app, &key, Method::POST, "/api/v1/pipelines", Some(&copy(format!("{}/in/../../x/", root.display()), format!("{}/out/", root.display())))).await;
    assert!(p.problem(422)["errors"][0]["message"].as_str().unwrap().contains(".."), "{}", p.body);
}

#[tokio::test]
async fn a_key_over_its_rate_limit_gets_429_with_retry_after() {
    let app = crate::support::app_limited(ferry_api::rate_limit::RateLimit { per_sec: 1, burst: 3 }).await;
    let key = tenant_key(&app, "busy", "viewer").await;
    for _ in 0..3 {
        assert_eq!(as_key(&app, &key, Method::GET, "/api/v1/runs", None).await.status, 200);
    }
    let res = as_key(&app, &key, Method::GET, "/api/v1/runs", None).await;
    res.problem(429);
    let retry: u64 = res.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    // Another key has its own bucket (the operator's, here).
    assert_eq!(app.get("/api/v1/runs").await.status, 200);
}
