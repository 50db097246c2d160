//! Stored connections: secrets go in and never come out (not in answers, not in the
//! stored row), a `PUT` without secrets keeps them, bad bodies are named, and a tenant's
//! pipelines may name its connections.

use crate::support::app;
use crate::tenancy::{as_key, tenant_key};
use axum::http::Method;
use serde_json::json;

#[tokio::test]
async fn secrets_are_write_only_and_stored_sealed() {
    let app = app().await;
    let key = tenant_key(&app, "acme", "editor").await;
    let body = json!({"name": "lake", "kind": "s3", "endpoint": "http://127.0.0.1:8333", "region": "us-east-1",
                      "options": {"access_key_id": "ferry", "allow_http": "true"},
                      "secrets": {"secret_access_key": "very-secret-value-42"}});
    let created = as_key(&app, &key, Method::POST, "/api/v1/connections", Some(&body)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["secrets_set"], json!(["secret_access_key"]));
    assert_eq!(created.body["options"]["endpoint"], "http://127.0.0.1:8333");
    let id = created.body["id"].as_str().unwrap().to_string();
    for path in ["/api/v1/connections".to_string(), format!("/api/v1/connections/{id}")] {
        let res = as_key(&app, &key, Method::GET, &path, None).await;
        assert!(!res.body.to_string().contains("very-secret-value-42"), "{path}: {}", res.body);
    }
    let tenant = app.store.get_tenant_by_name("acme").await.unwrap().unwrap().id;
    let stored = app.store.get_connection(tenant, id.parse().unwrap()).await.unwrap().unwrap();
    assert!(!format!("{stored:?}").contains("very-secret-value-42"), "the row holds the secret sealed");
    assert!(stored.secrets.is_some() && stored.key_id.is_some());

    // A PUT without secrets keeps them; one with a password in the URL is refused.
    let mut replaced = body.clone();
    replaced.as_object_mut().unwrap().remove("secrets");
    replaced["region"] = json!("eu-west-1");
    let res = as_key(&app, &key, Method::PUT, &format!("/api/v1/connections/{id}"), Some(&replaced)).await;
    assert_eq!(res.body["secrets_set"], json!(["secret_access_key"]), "{}", res.body);
    let p = as_key(&app, &key, Method::POST, "/api/v1/connections", Some(&json!({"name": "db", "kind": "postgres", "url": "postgres://u:pw@h/db"}))).await;
    assert!(p.problem(400)["detail"].as_str().unwrap().contains("password"), "{}", p.body);
    let p = as_key(&app, &key, Method::POST, "/api/v1/connections", Some(&json!({"name": "x", "kind": "ftp"}))).await;
    assert!(p.problem(400)["detail"].as_str().unwrap().contains("ftp"), "{}", p.body);
    let p = as_key(&app, &key, Method::POST, "/api/v1/connections", Some(&json!({"name": "x", "kind": "s3", "colour": 1}))).await;
    assert!(p.problem(400)["detail"].as_str().unwrap().contains("colour"));
    as_key(&app, &key, Method::POST, "/api/v1/connections", Some(&body)).await.problem(409);

    // The tenant's pipelines may name it; another tenant's may not.
    let spec = json!({"name": "p", "tasks": [{"id": "c", "kind": "copy", "source": {"url": "s3://lake/in/", "connection": "lake"}, "destination": {"url": "s3://lake/out/", "connection": "lake"}}]});
    assert_eq!(as_key(&app, &key, Method::POST, "/api/v1/pipelines", Some(&spec)).await.status, 201);
    let other = tenant_key(&app, "other", "editor").await;
    let p = as_key(&app, &other, Method::POST, "/api/v1/pipelines", Some(&spec)).await;
    assert!(p.problem(422)["errors"][0]["message"].as_str().unwrap().contains("no connection named `lake`"), "{}", p.body);
}
