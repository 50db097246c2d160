//! Pipelines: YAML specs, cursor pagination, replacing and deleting.

use crate::support::*;
use axum::body::Body;
use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};

#[tokio::test]
async fn yaml_specs_are_accepted() {
    let app = app().await;
    let yaml = "name: from-yaml\ndescription: Made in YAML.\ntasks:\n  - {id: a, kind: noop}\n";
    for ct in [
        "application/yaml",
        "application/x-yaml",
        "text/yaml; charset=utf-8",
    ] {
        let res = app
            .call(Method::POST, "/api/v1/pipelines", Some(ct), yaml)
            .await;
        if ct == "application/yaml" {
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
            assert_eq!(res.body["name"], "from-yaml");
            assert_eq!(res.body["description"], "Made in YAML.");
            assert_eq!(res.body["spec"]["tasks"][0]["kind"], "noop");
            let location = res.headers[header::LOCATION].to_str().unwrap().to_owned();
            let again = app.get(&location).await;
            assert_eq!(again.status, StatusCode::OK);
            assert_eq!(again.body, res.body);
        } else {
            // Same name again: parsed fine, refused as a duplicate.
            res.problem(409);
        }
    }
}

#[tokio::test]
async fn pipelines_are_paginated_with_cursors() {
    let app = app().await;
    for name in ["p1", "p2", "p3"] {
        app.create_pipeline(name).await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/pipelines?limit=1".to_owned();
    loop {
        let res = app.get(&path).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let items = res.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        seen.push(items[0]["name"].as_str().unwrap().to_owned());
        match res.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/pipelines?limit=1&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ["p1", "p2", "p3"]);
    let all = app.get("/api/v1/pipelines").await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 3);
    assert_eq!(all.body["next_cursor"], Value::Null);

    app.get("/api/v1/pipelines?limit=0").await.problem(400);
    app.get("/api/v1/pipelines?limit=abc").await.problem(400);
    app.get("/api/v1/pipelines?limit=-1").await.problem(400);
    app.get("/api/v1/pipelines?cursor=garbage")
        .await
        .problem(400);
}

#[tokio::test]
async fn pipelines_are_replaced_and_deleted() {
    let app = app().await;
    let p = app.create_pipeline("before").await;
    app.create_pipeline("other").await;
    let path = format!("/api/v1/pipelines/{}", id_of(&p));

    let res = app.put_json(&path, &noop_spec("after")).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["name"], "after");
    assert_eq!(res.body["id"], p["id"]);
    app.put_json(&path, &noop_spec("other")).await.problem(409);
    app.put_json(&path, &json!({"name": "after", "tasks": []}))
        .await
        .problem(422);

    let res = app.call(Method::DELETE, &path, None, Body::empty()).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    app.get(&path).await.problem(404);
}

#[tokio::test]
async fn a_manual_run_supplies_the_variables_its_spec_uses() {
    let app = app().await;
    let spec = json!({"name": "hooked", "triggers": [{"webhook": {}}],
        "tasks": [{"id": "c", "kind": "copy", "source": "s3://in/{{ trigger.payload.batch }}/", "destinations": ["s3://out/{{ logical_date }}/"]}]});
    let made = app.post_json("/api/v1/pipelines", &spec).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let runs = format!("/api/v1/pipelines/{}/runs", made.body["id"].as_str().unwrap());
    let bare = app.post_json(&runs, &json!({})).await;
    assert!(bare.problem(422)["errors"][0]["message"].as_str().unwrap().contains("parameters"), "{}", bare.body);
    let asked = app.post_json(&runs, &json!({"logical_time": "2026-12-01T06:00:00Z", "parameters": {"payload": {"batch": "b1"}}})).await;
    assert_eq!(asked.status, 202, "{}", asked.body);
    assert_eq!(asked.body["trigger"]["kind"], "manual");
    assert_eq!(asked.body["trigger"]["logical_time"], "2026-12-01T06:00:00Z");
    assert_eq!(asked.body["trigger"]["detail"]["payload"]["batch"], "b1");
    let wrong = app.post_json(&runs, &json!({"parameter": {}})).await;
    assert!(wrong.problem(400)["detail"].as_str().unwrap().contains("unknown field `parameter`"), "{}", wrong.body);
    for bad in ["[null, null]", "null", "3"] {
        let res = app.call(Method::POST, &runs, Some("application/json"), bad.to_string()).await;
        assert!(res.problem(400)["detail"].as_str().unwrap().contains("must be a JSON object"), "{bad}: {}", res.body);
    }
    let empty = app.call(Method::POST, &runs, None, Body::empty()).await;
    assert_eq!(empty.status, 422, "an empty body is a run with no parameters: {}", empty.body);
}
