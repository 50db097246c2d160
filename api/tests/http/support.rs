//! What every test here shares: an app over an in-memory SQLite store and the in-process
//! seams ([`app`]), requests with the admin key, and replies checked as problem documents.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chrono::Utc;
use ferry_api::AppState;
use ferry_common::broker::Broker;
use ferry_common::inproc::{InProcBroker, InProcCoordinator};
use ferry_common::secret::Secret;
use ferry_common::spec::ValidationContext;
use ferry_common::state::TaskState;
use ferry_store::{DEFAULT_TENANT, RunRow, Store, TaskRow};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tower::ServiceExt;
use uuid::Uuid;

pub(crate) const KEY: &str = "test-admin-key-0123456789";
pub(crate) const GHOST: &str = "0193a000-0000-7000-8000-000000000000";

pub(crate) struct App {
    pub(crate) router: Router,
    pub(crate) store: Store,
    pub(crate) coordinator: Arc<InProcCoordinator>,
    pub(crate) run_changes: Arc<AtomicUsize>,
}

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
}

impl Reply {
    /// Asserts a problem document with `status` and returns its body.
    pub(crate) fn problem(&self, status: u16) -> &Value {
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

pub(crate) async fn store() -> Store {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    store.migrate().await.unwrap();
    store.ensure_default_tenant().await.unwrap();
    store
}

pub(crate) async fn app_with_broker(broker: Arc<dyn Broker>) -> App {
    app_with(broker, None).await
}

/// An app whose keys are limited to `limit` requests.
pub(crate) async fn app_limited(limit: ferry_api::rate_limit::RateLimit) -> App {
    app_with(Arc::new(InProcBroker::new()), Some(limit)).await
}

async fn app_with(broker: Arc<dyn Broker>, rate_limit: Option<ferry_api::rate_limit::RateLimit>) -> App {
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
        master_key: Some(ferry_common::sealed::MasterKey::from_base64("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=").unwrap()),
        notify_sender: ferry_notifier::Sender::new(None, std::time::Duration::from_secs(5)).unwrap(),
        rate_limit,
    };
    App {
        router: ferry_api::router(state),
        store,
        coordinator,
        run_changes,
    }
}

pub(crate) async fn app() -> App {
    app_with_broker(Arc::new(InProcBroker::new())).await
}

impl App {
    pub(crate) async fn send(&self, req: Request<Body>) -> Reply {
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

    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<Body>,
    ) -> Reply {
        self.call_as(KEY, method, path, content_type, body).await
    }

    /// A request with `key` as the bearer token.
    pub(crate) async fn call_as(
        &self,
        key: &str,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<Body>,
    ) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {key}"));
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        self.send(req.body(body.into()).unwrap()).await
    }

    pub(crate) async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None, Body::empty()).await
    }

    pub(crate) async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.call(
            Method::POST,
            path,
            Some("application/json"),
            body.to_string(),
        )
        .await
    }

    pub(crate) async fn put_json(&self, path: &str, body: &Value) -> Reply {
        self.call(
            Method::PUT,
            path,
            Some("application/json"),
            body.to_string(),
        )
        .await
    }

    pub(crate) async fn create_pipeline(&self, name: &str) -> Value {
        let res = self.post_json("/api/v1/pipelines", &noop_spec(name)).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        res.body
    }

    pub(crate) async fn create_run(&self, pipeline_id: &str) -> Value {
        let res = self
            .post_json(&format!("/api/v1/pipelines/{pipeline_id}/runs"), &json!({}))
            .await;
        assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
        res.body
    }
}

pub(crate) fn noop_spec(name: &str) -> Value {
    json!({"name": name, "tasks": [{"id": "a", "kind": "noop"}]})
}

pub(crate) fn id_of(v: &Value) -> Uuid {
    v["id"].as_str().unwrap().parse().unwrap()
}

pub(crate) fn task_row(run: &RunRow, key: &str, state: TaskState, report: Option<Value>) -> TaskRow {
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
        waiting_for: None,
        wait_deadline: None,
        lost: 0,
        failure: None,
    }
}

/// A delivery of `task` (a task of `run`) to `destination`, as the orchestrator creates it.
pub(crate) fn delivery_row(run: &RunRow, task: Uuid, destination: &str, mode: &str, state: ferry_common::delivery_state::DeliveryState) -> ferry_store::DeliveryRow {
    let now = Utc::now();
    ferry_store::DeliveryRow {
        id: Uuid::now_v7(),
        tenant_id: run.tenant_id,
        pipeline_id: run.pipeline_id,
        run_id: run.id,
        task_id: task,
        task_key: "orders".into(),
        dataset: Some("orders".into()),
        destination: destination.into(),
        mode: mode.into(),
        state,
        body: None,
        queue: "default".into(),
        files: 1,
        bytes: 1,
        result: None,
        attempts: u32::from(mode == "async"),
        last_error: None,
        blocked_by: None,
        incremental: false,
        logical_time: now,
        deliver_by: (mode == "async").then(|| now + chrono::Duration::days(7)),
        next_attempt_at: None,
        created_at: now,
        started_at: None,
        finished_at: None,
    }
}
