//! The API against a real (in-memory SQLite) store and the in-process seams.
//!
//! No orchestrator runs here, so runs stay `queued` unless a test moves them with
//! `Store::apply`, as the orchestrator would; the full loop is tested by the root crate.

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chrono::Utc;
use ferry_api::AppState;
use ferry_common::CommonError;
use ferry_common::broker::{Broker, DeliveryStream};
use ferry_common::coordination::{Membership, WorkerInfo};
use ferry_common::inproc::{InProcBroker, InProcCoordinator};
use ferry_common::messages::{TaskEvent, TaskMessage};
use ferry_common::settings::Secret;
use ferry_common::spec::ValidationContext;
use ferry_common::state::{RunState, TaskState};
use ferry_store::{DEFAULT_TENANT, RunRow, Store, TaskRow, WriteBatch};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tower::ServiceExt;
use uuid::Uuid;

const KEY: &str = "test-admin-key-0123456789";
const GHOST: &str = "0193a000-0000-7000-8000-000000000000";

struct App {
    router: Router,
    store: Store,
    coordinator: Arc<InProcCoordinator>,
    run_changes: Arc<AtomicUsize>,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    /// Asserts a problem document with `status` and returns its body.
    fn problem(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        let ct = self.headers[header::CONTENT_TYPE].to_str().unwrap();
        assert!(
            ct.starts_with("application/problem+json"),
            "content-type {ct}"
        );
        assert_eq!(self.body["status"], status);
        assert!(self.body["title"].is_string(), "{}", self.body);
        assert!(self.body["detail"].is_string(), "{}", self.body);
        assert!(self.body["type"].is_string(), "{}", self.body);
        &self.body
    }
}

async fn store() -> Store {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    store.migrate().await.unwrap();
    store.ensure_default_tenant().await.unwrap();
    store
}

async fn app_with_broker(broker: Arc<dyn Broker>) -> App {
    let store = store().await;
    let coordinator = Arc::new(InProcCoordinator::new());
    let run_changes = Arc::new(AtomicUsize::new(0));
    let counter = run_changes.clone();
    let state = AppState {
        store: store.clone(),
        coordinator: coordinator.clone(),
        broker,
        admin_key: Secret::new(KEY),
        validation: ValidationContext::default(),
        on_run_change: Arc::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        }),
    };
    App {
        router: ferry_api::router(state),
        store,
        coordinator,
        run_changes,
    }
}

async fn app() -> App {
    app_with_broker(Arc::new(InProcBroker::new())).await
}

impl App {
    async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<Body>,
    ) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {KEY}"));
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        self.send(req.body(body.into()).unwrap()).await
    }

    async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None, Body::empty()).await
    }

    async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.call(
            Method::POST,
            path,
            Some("application/json"),
            body.to_string(),
        )
        .await
    }

    async fn put_json(&self, path: &str, body: &Value) -> Reply {
        self.call(
            Method::PUT,
            path,
            Some("application/json"),
            body.to_string(),
        )
        .await
    }

    async fn create_pipeline(&self, name: &str) -> Value {
        let res = self.post_json("/api/v1/pipelines", &noop_spec(name)).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        res.body
    }

    async fn create_run(&self, pipeline_id: &str) -> Value {
        let res = self
            .post_json(&format!("/api/v1/pipelines/{pipeline_id}/runs"), &json!({}))
            .await;
        assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
        res.body
    }
}

fn noop_spec(name: &str) -> Value {
    json!({"name": name, "tasks": [{"id": "a", "kind": "noop"}]})
}

fn id_of(v: &Value) -> Uuid {
    v["id"].as_str().unwrap().parse().unwrap()
}

fn task_row(run: &RunRow, key: &str, state: TaskState, report: Option<Value>) -> TaskRow {
    let now = Utc::now();
    TaskRow {
        id: Uuid::now_v7(),
        tenant_id: DEFAULT_TENANT,
        run_id: run.id,
        key: key.to_owned(),
        kind: "check".to_owned(),
        state,
        attempt: 1,
        depends_on: Vec::new(),
        spec: json!({"id": key, "kind": "noop"}),
        queue: "default".to_owned(),
        error: None,
        result: Some(json!({"files_checked": 3})),
        report,
        files_total: 3,
        files_done: 2,
        bytes_total: 300,
        bytes_done: 200,
        retry_at: None,
        created_at: now,
        started_at: Some(now),
        finished_at: None,
        updated_at: now,
    }
}

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
async fn runs_are_created_listed_and_cancelled() {
    let app = app().await;
    let p = app.create_pipeline("runme").await;
    let pid = p["id"].as_str().unwrap();

    let res = app
        .post_json(&format!("/api/v1/pipelines/{pid}/runs"), &json!({}))
        .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    let run = res.body.clone();
    assert_eq!(run["state"], "queued");
    assert_eq!(run["pipeline_id"], pid);
    assert_eq!(run["cancel_requested"], false);
    assert_eq!(run["progress"]["tasks_total"], 0);
    assert_eq!(
        res.headers[header::LOCATION],
        format!("/api/v1/runs/{}", run["id"].as_str().unwrap()).as_str()
    );
    assert_eq!(
        app.run_changes.load(Ordering::SeqCst),
        1,
        "creating a run wakes the orchestrator"
    );

    let rid = run["id"].as_str().unwrap();
    let got = app.get(&format!("/api/v1/runs/{rid}")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, run);

    let second = app.create_run(pid).await;
    let list = app
        .get(&format!("/api/v1/runs?pipeline_id={pid}&state=queued"))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let ids: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second["id"].as_str().unwrap(), rid], "newest first");
    assert!(list.body["items"][0]["progress"].is_object());
    let page = app.get("/api/v1/runs?limit=1").await;
    assert_eq!(page.body["items"].as_array().unwrap().len(), 1);
    assert!(page.body["next_cursor"].is_string());
    let none = app
        .get(&format!("/api/v1/runs?pipeline_id={pid}&state=running"))
        .await;
    assert_eq!(none.body["items"], json!([]));

    let bad = app.get("/api/v1/runs?state=done").await;
    let detail = bad.problem(400)["detail"].as_str().unwrap();
    assert!(
        detail.contains("queued") && detail.contains("cancelled"),
        "{detail}"
    );
    app.get("/api/v1/runs?pipeline_id=nope").await.problem(400);

    let res = app
        .post_json(&format!("/api/v1/runs/{rid}/cancel"), &json!({}))
        .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    assert_eq!(res.body["cancel_requested"], true);
    assert_eq!(
        app.run_changes.load(Ordering::SeqCst),
        3,
        "cancelling wakes the orchestrator"
    );
    let row = app
        .store
        .get_run(DEFAULT_TENANT, rid.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(row.cancel_requested);
    assert_eq!(
        app.get(&format!("/api/v1/runs/{rid}")).await.body["cancel_requested"],
        true
    );

    // A finished run cannot be cancelled.
    let mut finished = app
        .store
        .get_run(DEFAULT_TENANT, id_of(&second))
        .await
        .unwrap()
        .unwrap();
    finished.state = RunState::Succeeded;
    finished.started_at = Some(Utc::now());
    finished.finished_at = Some(Utc::now());
    app.store
        .apply(&WriteBatch {
            runs: vec![finished.clone()],
            ..WriteBatch::default()
        })
        .await
        .unwrap();
    let res = app
        .post_json(&format!("/api/v1/runs/{}/cancel", finished.id), &json!({}))
        .await;
    assert_eq!(res.problem(409)["type"], "urn:ferry:problem:run-finished");
}

#[tokio::test]
async fn tasks_and_reports_are_read() {
    let app = app().await;
    let p = app.create_pipeline("tasks").await;
    let run = app.create_run(p["id"].as_str().unwrap()).await;
    let mut row = app
        .store
        .get_run(DEFAULT_TENANT, id_of(&run))
        .await
        .unwrap()
        .unwrap();
    row.state = RunState::Running;
    row.started_at = Some(Utc::now());
    let with_report = task_row(
        &row,
        "verify",
        TaskState::Succeeded,
        Some(json!({"consistent": true, "missing": []})),
    );
    let without = task_row(&row, "copy", TaskState::Running, None);
    app.store
        .apply(&WriteBatch {
            runs: vec![row.clone()],
            tasks: vec![with_report.clone(), without.clone()],
            transitions: Vec::new(),
        })
        .await
        .unwrap();

    let list = app.get(&format!("/api/v1/runs/{}/tasks", row.id)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let verify = items.iter().find(|t| t["key"] == "verify").unwrap();
    assert_eq!(verify["state"], "succeeded");
    assert_eq!(verify["kind"], "check");
    assert_eq!(verify["attempt"], 1);
    assert_eq!(
        verify["progress"],
        json!({"files_total": 3, "files_done": 2, "bytes_total": 300, "bytes_done": 200})
    );
    assert_eq!(verify["result"]["files_checked"], 3);
    assert_eq!(verify["run_id"], row.id.to_string());

    let page = app
        .get(&format!("/api/v1/runs/{}/tasks?limit=1", row.id))
        .await;
    assert_eq!(page.body["items"].as_array().unwrap().len(), 1);
    assert!(page.body["next_cursor"].is_string());

    let task = app.get(&format!("/api/v1/tasks/{}", with_report.id)).await;
    assert_eq!(task.status, StatusCode::OK);
    assert_eq!(task.body["key"], "verify");

    let report = app
        .get(&format!("/api/v1/tasks/{}/report", with_report.id))
        .await;
    assert_eq!(report.status, StatusCode::OK);
    assert_eq!(report.body, json!({"consistent": true, "missing": []}));
    let page = app
        .get(&format!("/api/v1/tasks/{}/report?kind=missing&limit=10", with_report.id))
        .await;
    assert_eq!(page.body, json!({"items": [], "next_cursor": null}));
    for bad in ["kind=sideways", "kind=extra", "kind=missing&cursor=abc", "kind=missing&limit=0"] {
        app.get(&format!("/api/v1/tasks/{}/report?{bad}", with_report.id))
            .await
            .problem(400);
    }
    app.get(&format!("/api/v1/tasks/{}/report", without.id))
        .await
        .problem(404);

    let run = app.get(&format!("/api/v1/runs/{}", row.id)).await;
    assert_eq!(run.body["state"], "running");
    assert_eq!(run.body["progress"]["tasks_total"], 2);
    assert_eq!(run.body["progress"]["tasks_succeeded"], 1);
    assert_eq!(run.body["progress"]["files_done"], 4);
}

#[tokio::test]
async fn live_workers_are_listed() {
    let app = app().await;
    assert_eq!(app.get("/api/v1/workers").await.body, json!({"items": []}));
    let now = Utc::now();
    let worker = WorkerInfo {
        id: "w-1".to_owned(),
        hostname: "host-a".to_owned(),
        queues: vec!["default".to_owned()],
        concurrency: 4,
        running: Vec::new(),
        started_at: now,
        last_seen: now,
    };
    app.coordinator
        .heartbeat(&worker, Duration::from_secs(60))
        .await
        .unwrap();
    let res = app.get("/api/v1/workers").await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body["items"][0]["id"], "w-1");
    assert_eq!(res.body["items"][0]["concurrency"], 4);
}

#[tokio::test]
async fn probes_need_no_key() {
    let app = app().await;
    let res = app
        .send(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body, json!({"status": "ok"}));
    let res = app
        .send(Request::get("/readyz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        res.body,
        json!({
            "status": "ready",
            "database": "sqlite",
            "broker": "in-process",
            "coordinator": "in-process",
            "dependencies": [
                {"name": "database", "backend": "sqlite", "ready": true},
                {"name": "broker", "backend": "in-process", "ready": true},
                {"name": "coordinator", "backend": "in-process", "ready": true}
            ]
        })
    );
}

/// A broker that is down.
struct DownBroker;

#[async_trait]
impl Broker for DownBroker {
    async fn publish_task(&self, _: &TaskMessage) -> Result<(), CommonError> {
        Err(CommonError::BrokerClosed)
    }
    async fn consume_tasks(
        &self,
        _: &str,
        _: u16,
    ) -> Result<DeliveryStream<TaskMessage>, CommonError> {
        Err(CommonError::BrokerClosed)
    }
    async fn publish_event(&self, _: &TaskEvent) -> Result<(), CommonError> {
        Err(CommonError::BrokerClosed)
    }
    async fn consume_events(&self, _: u16) -> Result<DeliveryStream<TaskEvent>, CommonError> {
        Err(CommonError::BrokerClosed)
    }
    fn name(&self) -> &'static str {
        "down"
    }
    async fn ready(&self) -> Result<(), CommonError> {
        Err(CommonError::BrokerClosed)
    }
    async fn close(&self) {}
}

#[tokio::test]
async fn readyz_names_what_is_down() {
    let app = app_with_broker(Arc::new(DownBroker)).await;
    let res = app
        .send(Request::get("/readyz").body(Body::empty()).unwrap())
        .await;
    let body = res.problem(503);
    assert!(
        body["detail"].as_str().unwrap().contains("broker"),
        "{body}"
    );
    // Liveness does not depend on it.
    let res = app
        .send(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(res.status, StatusCode::OK);
}

#[tokio::test]
async fn docs_and_the_openapi_document_are_served() {
    let app = app().await;
    let res = app
        .send(
            Request::get("/api-docs/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body["paths"]["/api/v1/pipelines"].is_object());
    let res = app
        .send(Request::get("/docs/").body(Body::empty()).unwrap())
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.body.as_str().unwrap().contains("swagger"),
        "{}",
        res.body
    );
}

#[tokio::test]
async fn serve_answers_over_tcp_and_shuts_down() {
    let app = app().await;
    let state = AppState {
        store: app.store.clone(),
        coordinator: app.coordinator.clone(),
        broker: Arc::new(InProcBroker::new()),
        admin_key: Secret::new(KEY),
        validation: ValidationContext::default(),
        on_run_change: Arc::new(|| {}),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(ferry_api::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let res = client
        .post(format!("http://{addr}/api/v1/pipelines"))
        .bearer_auth(KEY)
        .json(&noop_spec("over-tcp"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = client
        .get(format!("http://{addr}/api/v1/pipelines"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json")
    );
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
