//! The service around the API: live workers, probes, docs and serving over TCP.

use crate::support::*;
use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Utc;
use ferry_api::AppState;
use ferry_common::CommonError;
use ferry_common::broker::{Broker, DeliveryStream};
use ferry_common::coordination::{Membership, WorkerInfo};
use ferry_common::inproc::InProcBroker;
use ferry_common::messages::{TaskEvent, TaskMessage};
use ferry_common::secret::Secret;
use ferry_common::spec::ValidationContext;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

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
        master_key: None,
        notify_sender: ferry_notifier::Sender::new(None, std::time::Duration::from_secs(5)).unwrap(),
        rate_limit: None,
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
