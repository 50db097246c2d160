//! Isolation, route by route: a key of one tenant walks every path of the OpenAPI
//! document against another tenant's objects and must get `404` (or `403` where only the
//! operator may go) for each, and lists that hold none of them. The walk reads the paths
//! from the document itself, so a new route is walked the day it is added, and a path
//! whose parameter the walk cannot fill fails the test until the walk learns it.
//!
//! The victim is first the `default` tenant (the operator's objects): a route that
//! forgot its scope and used the default tenant would hand them out.

use crate::support::{App, app, noop_spec, task_row};
use crate::tenancy::{as_key, tenant_key};
use axum::http::Method;
use ferry_common::state::TaskState;
use ferry_store::WriteBatch;
use serde_json::{Value, json};
use uuid::Uuid;

/// Ids of one tenant's objects, one of each kind a path may name.
pub(crate) struct Victim {
    pub(crate) tenant: Uuid,
    pub(crate) pipeline: String,
    pub(crate) run: String,
    pub(crate) task: String,
    pub(crate) key: String,
    pub(crate) connection: String,
    /// A channel's name (channels are addressed by name).
    pub(crate) channel: String,
    pub(crate) channel_id: String,
    pub(crate) rule: String,
    pub(crate) notification: String,
    /// A dataset delivered once (datasets are addressed by name).
    pub(crate) dataset: String,
    /// An async delivery of that dataset, still retrying.
    pub(crate) delivery: String,
}

/// Gives the tenant of `key` a pipeline, a run with a task, and another key.
pub(crate) async fn objects_of(app: &App, key: &str, tenant: Uuid) -> Victim {
    let p = as_key(app, key, Method::POST, "/api/v1/pipelines", Some(&noop_spec("nightly"))).await;
    assert_eq!(p.status, 201, "{}", p.body);
    let pipeline = p.body["id"].as_str().unwrap().to_string();
    let r = as_key(app, key, Method::POST, &format!("/api/v1/pipelines/{pipeline}/runs"), Some(&json!({}))).await;
    let run = r.body["id"].as_str().unwrap().to_string();
    let row = app.store.get_run(tenant, run.parse().unwrap()).await.unwrap().unwrap();
    let task = task_row(&row, "a", TaskState::Succeeded, Some(json!({"missing": ["x"]})));
    let task_id = task.id.to_string();
    app.store.apply(&WriteBatch { tasks: vec![task], ..WriteBatch::default() }).await.unwrap();
    let k = as_key(app, key, Method::POST, "/api/v1/keys", Some(&json!({"name": "victim", "role": "viewer"}))).await;
    assert_eq!(k.status, 201, "{}", k.body);
    let c = as_key(app, key, Method::POST, "/api/v1/connections", Some(&json!({"name": "lake", "kind": "s3", "secrets": {"secret_access_key": "victim-secret"}}))).await;
    assert_eq!(c.status, 201, "{}", c.body);
    let connection = c.body["id"].as_str().unwrap().to_string();
    let channel = format!("victim-{}", Uuid::now_v7().simple());
    let ch = as_key(app, key, Method::POST, "/api/v1/channels", Some(&json!({"name": channel, "kind": "webhook", "url": "http://127.0.0.1:9/hook", "secret": "victim-secret"}))).await;
    assert_eq!(ch.status, 201, "{}", ch.body);
    let rule = as_key(app, key, Method::POST, "/api/v1/notification-rules", Some(&json!({"on": ["run.failed"], "channels": [channel]}))).await;
    assert_eq!(rule.status, 201, "{}", rule.body);
    let notification = notification_for(app, &row, ch.body["id"].as_str().unwrap().parse().unwrap(), &channel).await;
    let dataset = format!("victim-{}", Uuid::now_v7().simple());
    let marker = ferry_store::DatasetMarkerRow {
        tenant_id: tenant,
        dataset: dataset.clone(),
        destination: "/lake/orders/".into(),
        delivered_at: chrono::Utc::now(),
        pipeline_id: row.pipeline_id,
        run_id: row.id,
        task_id: task_id.parse().unwrap(),
        logical_time: chrono::Utc::now(),
        position: None,
    };
    let mut delivery = crate::support::delivery_row(&row, task_id.parse().unwrap(), "s3://cluster-b/orders/", "async", ferry_common::delivery_state::DeliveryState::Retrying);
    delivery.dataset = Some(dataset.clone());
    let delivery_id = delivery.id.to_string();
    app.store.apply(&WriteBatch { markers: vec![marker], deliveries: vec![delivery], ..WriteBatch::default() }).await.unwrap();
    Victim {
        tenant,
        pipeline,
        run,
        task: task_id,
        key: k.body["key"]["id"].as_str().unwrap().to_string(),
        connection,
        channel,
        channel_id: ch.body["id"].as_str().unwrap().to_string(),
        rule: rule.body["id"].as_str().unwrap().to_string(),
        notification,
        dataset,
        delivery: delivery_id,
    }
}

/// Stores an event of `run` and its notification through `channel`, as the notifier
/// would; the notification's id.
async fn notification_for(app: &App, run: &ferry_store::RunRow, channel_id: Uuid, channel: &str) -> String {
    use ferry_store::{NewEvent, NotificationRow, NotificationState};
    let now = chrono::Utc::now();
    let event = NewEvent::about_run(ferry_common::notify::EventKind::RunFailed, run.tenant_id, run.pipeline_id, run.id, now, json!({}));
    app.store.emit_events(std::slice::from_ref(&event)).await.unwrap();
    let stored = app.store.unrouted_events(100).await.unwrap().into_iter().find(|e| e.id == event.id).unwrap();
    let id = Uuid::now_v7();
    let note = NotificationRow {
        id,
        tenant_id: run.tenant_id,
        event_seq: stored.seq,
        event_id: event.id,
        kind: "run.failed".into(),
        channel_id,
        channel_name: channel.into(),
        run_id: Some(run.id),
        state: NotificationState::Delivered,
        attempts: 1,
        next_attempt_at: now,
        last_answer: Some("200".into()),
        last_attempt_at: Some(now),
        delivered_at: Some(now),
        created_at: now,
    };
    app.store.route_events(&[(stored.seq, json!({"summary": "victim"}))], &[note], now).await.unwrap();
    id.to_string()
}

/// The concrete path for a templated one, filled with the victim's ids.
fn fill(path: &str, v: &Victim) -> String {
    let id = if path.starts_with("/api/v1/pipelines/{id}") {
        v.pipeline.clone()
    } else if path.starts_with("/api/v1/runs/{id}") {
        v.run.clone()
    } else if path.starts_with("/api/v1/tasks/{id}") {
        v.task.clone()
    } else if path.starts_with("/api/v1/keys/{id}") {
        v.key.clone()
    } else if path.starts_with("/api/v1/connections/{id}") {
        v.connection.clone()
    } else if path.starts_with("/api/v1/tenants/{id}") {
        v.tenant.to_string()
    } else if path.starts_with("/api/v1/channels/{name}") {
        return path.replace("{name}", &v.channel);
    } else if path.starts_with("/api/v1/datasets/{name}") {
        return path.replace("{name}", &v.dataset);
    } else if path.starts_with("/api/v1/notification-rules/{id}") {
        v.rule.clone()
    } else if path.starts_with("/api/v1/deliveries/{id}") {
        v.delivery.clone()
    } else {
        panic!("the isolation walk does not know what `{path}` names; teach `fill` which object's id goes there");
    };
    path.replace("{id}", &id)
}

/// Walks every `/api/v1` path and method with `attacker`'s key against `victim`'s objects.
async fn walk(app: &App, attacker: &str, victim: &Victim) {
    let doc: Value = yaml_serde::from_str(&ferry_api::openapi_yaml()).unwrap();
    let ids = [
        &victim.pipeline,
        &victim.run,
        &victim.task,
        &victim.key,
        &victim.connection,
        &victim.tenant.to_string(),
        &victim.channel,
        &victim.channel_id,
        &victim.rule,
        &victim.notification,
        &victim.delivery,
    ]
    .map(|s| s.to_string());
    let mut walked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for method in ops.as_object().unwrap().keys() {
            let m: Method = method.to_uppercase().parse().unwrap();
            if path.contains('{') {
                let concrete = fill(path, victim);
                // A body the route accepts, so the answer is about the object, not the body.
                let body = match m {
                    Method::GET | Method::DELETE => None,
                    Method::PUT if path.starts_with("/api/v1/connections") => Some(json!({"name": "lake", "kind": "s3"})),
                    Method::PUT if path.starts_with("/api/v1/channels") => Some(json!({"name": victim.channel, "kind": "webhook", "url": "http://127.0.0.1:9/x"})),
                    Method::PUT => Some(noop_spec("nightly")),
                    Method::POST if path.ends_with("/backfill") => Some(json!({"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"})),
                    _ => Some(json!({})),
                };
                let res = as_key(app, attacker, m.clone(), &concrete, body.as_ref()).await;
                assert!(
                    res.status == 404 || res.status == 403,
                    "{m} {concrete} ({path}) answered {} to another tenant's key: {}",
                    res.status,
                    res.body
                );
                walked += 1;
            } else if m == Method::GET {
                let res = as_key(app, attacker, m, path, None).await;
                let text = res.body.to_string();
                for id in &ids {
                    assert!(!text.contains(id.as_str()), "GET {path} showed another tenant's object {id}: {text}");
                }
                walked += 1;
            }
        }
    }
    assert!(walked >= 20, "walked only {walked} operations");
}

#[tokio::test]
async fn no_route_hands_one_tenant_anothers_objects() {
    let app = app().await;
    // The operator's objects live in the default tenant.
    let operator = crate::support::KEY;
    let default = objects_of(&app, operator, ferry_store::DEFAULT_TENANT).await;
    let a = tenant_key(&app, "a", "admin").await;
    walk(&app, &a, &default).await;

    // And between two ordinary tenants, with the same pipeline names.
    let b = tenant_key(&app, "b", "admin").await;
    let b_id = app.get("/api/v1/tenants").await.body["items"].as_array().unwrap().iter().find(|t| t["name"] == "b").unwrap()["id"].as_str().unwrap().parse().unwrap();
    let theirs = objects_of(&app, &b, b_id).await;
    let mine = as_key(&app, &a, Method::POST, "/api/v1/pipelines", Some(&noop_spec("nightly"))).await;
    assert_eq!(mine.status, 201, "names are unique per tenant only: {}", mine.body);
    walk(&app, &a, &theirs).await;

    // Nothing the walk sent changed the victims.
    let still = as_key(&app, &b, Method::GET, &format!("/api/v1/pipelines/{}", theirs.pipeline), None).await;
    assert_eq!(still.status, 200, "{}", still.body);
    let still = app.get(&format!("/api/v1/pipelines/{}", default.pipeline)).await;
    assert_eq!(still.body["name"], "nightly");
    let still = as_key(&app, &b, Method::GET, &format!("/api/v1/deliveries/{}", theirs.delivery), None).await;
    assert_eq!(still.body["state"], "retrying", "{}", still.body);
}
