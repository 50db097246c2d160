//! Errors as problem documents: 401, 400, 404, 405, 409, 413, 415 and 422.

use crate::support::*;
use axum::body::Body;
use axum::http::{Method, Request, header};
use serde_json::json;

#[tokio::test]
async fn requests_without_the_key_get_401_problems() {
    let app = app().await;
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("Basic dGVzdDp0ZXN0"),
        Some("Bearer"),
    ] {
        let mut req = Request::get("/api/v1/pipelines");
        if let Some(auth) = auth {
            req = req.header(header::AUTHORIZATION, auth);
        }
        let res = app.send(req.body(Body::empty()).unwrap()).await;
        res.problem(401);
        assert_eq!(res.headers[header::WWW_AUTHENTICATE], "Bearer", "{auth:?}");
        assert_eq!(res.body["instance"], "/api/v1/pipelines");
    }
    // Every v1 route is guarded, including writes.
    let res = app
        .send(
            Request::post("/api/v1/pipelines")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(noop_spec("sneaky").to_string()))
                .unwrap(),
        )
        .await;
    res.problem(401);
    assert_eq!(app.get("/api/v1/pipelines").await.body["items"], json!([]));
}

#[tokio::test]
async fn malformed_bodies_are_400_and_foreign_types_415() {
    let app = app().await;
    let cases: [(&str, &str); 5] = [
        ("application/json", "{\"name\": "),
        ("application/json", "[1, 2]"),
        ("application/json", ""),
        ("application/yaml", "name: [unclosed\n"),
        ("text/yaml", "just a string"),
    ];
    for (ct, body) in cases {
        let res = app
            .call(Method::POST, "/api/v1/pipelines", Some(ct), body)
            .await;
        res.problem(400);
    }
    let res = app
        .call(
            Method::POST,
            "/api/v1/pipelines",
            Some("text/plain"),
            "name: x",
        )
        .await;
    res.problem(415);
}

#[tokio::test]
async fn unknown_ids_and_routes_are_404_and_bad_ids_400() {
    let app = app().await;
    for path in [
        format!("/api/v1/pipelines/{GHOST}"),
        format!("/api/v1/runs/{GHOST}"),
        format!("/api/v1/runs/{GHOST}/tasks"),
        format!("/api/v1/tasks/{GHOST}"),
        format!("/api/v1/tasks/{GHOST}/report"),
    ] {
        let res = app.get(&path).await;
        res.problem(404);
        assert_eq!(res.body["instance"], path.as_str());
    }
    app.post_json(&format!("/api/v1/pipelines/{GHOST}/runs"), &json!({}))
        .await
        .problem(404);
    app.post_json(&format!("/api/v1/runs/{GHOST}/cancel"), &json!({}))
        .await
        .problem(404);
    app.put_json(&format!("/api/v1/pipelines/{GHOST}"), &noop_spec("x"))
        .await
        .problem(404);
    app.call(
        Method::DELETE,
        &format!("/api/v1/pipelines/{GHOST}"),
        None,
        Body::empty(),
    )
    .await
    .problem(404);

    // Unknown routes, with or without a key.
    app.get("/api/v1/nope").await.problem(404);
    app.send(Request::get("/nope").body(Body::empty()).unwrap())
        .await
        .problem(404);

    let res = app.get("/api/v1/runs/not-a-uuid").await;
    assert!(
        res.problem(400)["detail"]
            .as_str()
            .unwrap()
            .contains("not-a-uuid")
    );
}

#[tokio::test]
async fn a_method_not_allowed_is_a_405_problem() {
    let app = app().await;
    let res = app
        .call(Method::DELETE, "/api/v1/runs", None, Body::empty())
        .await;
    res.problem(405);
    assert!(res.headers.contains_key(header::ALLOW));
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = app().await;
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(11 * 1024 * 1024));
    let res = app
        .call(
            Method::POST,
            "/api/v1/pipelines",
            Some("application/json"),
            huge,
        )
        .await;
    res.problem(413);
}

#[tokio::test]
async fn a_duplicate_name_is_409() {
    let app = app().await;
    app.create_pipeline("dup").await;
    let res = app.post_json("/api/v1/pipelines", &noop_spec("dup")).await;
    let body = res.problem(409);
    assert!(body["detail"].as_str().unwrap().contains("dup"), "{body}");
}

#[tokio::test]
async fn an_invalid_spec_is_422_with_every_problem() {
    let app = app().await;
    let bad = json!({"name": "bad", "tasks": [
        {"id": "a", "kind": "teleport"},
        {"id": "b", "kind": "noop", "depends_on": ["ghost"]},
        {"id": "c", "kind": "copy", "source": "ftp://x/y", "destination": "/tmp/z/"}
    ]});
    let res = app.post_json("/api/v1/pipelines", &bad).await;
    let body = res.problem(422);
    assert_eq!(body["type"], "urn:ferry:problem:invalid-spec");
    let errors = body["errors"].as_array().unwrap();
    for e in errors {
        assert!(e["path"].is_string() && e["message"].is_string(), "{e}");
    }
    let paths: Vec<&str> = errors.iter().map(|e| e["path"].as_str().unwrap()).collect();
    for expected in ["tasks[0].kind", "tasks[1].depends_on[0]", "tasks[2].source"] {
        assert!(
            paths.contains(&expected),
            "{expected} missing from {paths:?}"
        );
    }

    // A missing field, a relative path and an empty task list are problems too.
    let res = app
        .post_json("/api/v1/pipelines", &json!({"tasks": []}))
        .await;
    res.problem(422);
    let rel = json!({"name": "rel", "tasks": [{"id": "c", "kind": "copy", "source": "data/", "destination": "/tmp/z/"}]});
    let res = app.post_json("/api/v1/pipelines", &rel).await;
    assert_eq!(res.problem(422)["errors"][0]["path"], "tasks[0].source");
}
