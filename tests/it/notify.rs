//! The notifier in `ferry standalone`: channels through the API, a failing run that mails
//! the SMTP sink and posts a signed webhook, a receiver that fails before it answers,
//! `run.late`, and the bad input a channel or a rule can carry.

use crate::app::{App, KEY, spawn_app_with};
use crate::receiver::{Receiver, require_smtp_sink, signed_by, wait_for_mail};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const MASTER_KEY: &str = "BgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgY=";
const SECRET: &str = "whsec_test_secret";

fn app(dir: &std::path::Path) -> App {
    spawn_app_with(
        dir,
        &[
            ("FERRY_MASTER_KEY", MASTER_KEY),
            ("FERRY_SMTP_URL", "smtp://127.0.0.1:1025"),
            ("FERRY_SMTP_FROM", "ferry@example.test"),
            ("FERRY_PUBLIC_URL", "http://ferry.example.test"),
            ("FERRY_NOTIFIER_DETECT_EVERY", "500ms"),
        ],
    )
}

async fn send(app: &App, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(KEY);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn channel(app: &App, body: Value) {
    let (status, answer) = send(app, reqwest::Method::POST, "/api/v1/channels", Some(body)).await;
    assert_eq!(status, 201, "{answer}");
}

/// Waits until `/api/v1/notifications?run=` shows `n` notifications all in `state`.
async fn wait_notifications(app: &App, run: &str, n: usize, state: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, page) = send(app, reqwest::Method::GET, &format!("/api/v1/notifications?run={run}"), None).await;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        if items.len() >= n && items.iter().all(|i| i["state"] == state) {
            return items;
        }
        assert!(Instant::now() < deadline, "notifications of run {run} not {n} × {state}: {page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_failing_run_mails_the_sink_and_posts_a_signed_webhook() {
    require_smtp_sink();
    let tmp = tempfile::tempdir().unwrap();
    let app = app(&tmp.path().join("data"));
    let receiver = Receiver::start().await;
    channel(&app, json!({"name": "ops-webhook", "kind": "webhook", "url": receiver.url, "secret": SECRET})).await;
    channel(&app, json!({"name": "oncall-mail", "kind": "email", "to": ["oncall@example.test"]})).await;
    let missing = tmp.path().join("does-not-exist.csv");
    let spec = json!({
        "name": "nightly-load",
        "notify": [{"on": ["run.failed", "task.failed"], "channels": ["ops-webhook", "oncall-mail"]},
                   {"on": ["run.succeeded"], "channels": ["ops-webhook"]}],
        "tasks": [{"id": "load", "kind": "copy", "source": missing.to_str().unwrap(),
                   "destination": format!("{}/", tmp.path().join("out").display())}]
    });
    let (_, run) = app.create_and_run(&spec).await;
    assert_eq!(run["state"], "failed");
    let run_id = run["id"].as_str().unwrap().to_string();
    assert_eq!(run["links"]["notifications"], format!("/api/v1/notifications?run={run_id}"));

    let calls = receiver
        .wait_for("run.failed and task.failed", Duration::from_secs(30), |c| {
            ["run.failed", "task.failed"].iter().all(|k| c.iter().any(|call| call.event == *k))
        })
        .await;
    for call in &calls {
        assert!(signed_by(call, SECRET), "the signature verifies under the channel's secret: {call:?}");
        assert!(!signed_by(call, "another-secret"));
        assert_eq!(call.body["id"], call.event_id.as_str(), "X-Ferry-Event-Id is the document's id");
        assert_eq!(call.body["run"]["id"], run_id.as_str());
        assert_eq!(call.body["pipeline"]["name"], "nightly-load");
    }
    let failed = calls.iter().find(|c| c.event == "run.failed").unwrap();
    assert_eq!(failed.body["failed_tasks"][0]["key"], "load", "{}", failed.body);
    assert_eq!(failed.body["run"]["url"], format!("http://ferry.example.test/api/v1/runs/{run_id}"));
    assert!(!calls.iter().any(|c| c.event == "run.succeeded"), "no rule sends run.succeeded of a failed run");

    let mail = wait_for_mail(&[&run_id, "Event: run.failed"], Duration::from_secs(30)).await;
    assert!(mail.contains("To: oncall@example.test"), "{mail}");
    assert!(mail.contains("Subject: Ferry: pipeline `nightly-load`"), "the subject names the pipeline: {mail}");
    assert!(mail.contains("Failed tasks:") && mail.contains("  - load: "), "the body lists the failed task: {mail}");
    assert!(mail.contains(&format!("Run: http://ferry.example.test/api/v1/runs/{run_id}")), "{mail}");

    // Two events × two channels, each delivered once, each with its attempt recorded.
    let items = wait_notifications(&app, &run_id, 4, "delivered").await;
    assert_eq!(items.len(), 4, "{items:?}");
    for item in &items {
        assert_eq!(item["attempts"], 1, "{item}");
        assert!(item["last_answer"].as_str().is_some_and(|a| a.starts_with('2')), "{item}");
    }
    let (_, by_channel) = send(&app, reqwest::Method::GET, &format!("/api/v1/notifications?run={run_id}&channel=oncall-mail&state=delivered"), None).await;
    assert_eq!(by_channel["items"].as_array().unwrap().len(), 2, "{by_channel}");
    let (status, bad) = send(&app, reqwest::Method::GET, "/api/v1/notifications?state=sent", None).await;
    assert_eq!(status, 400, "{bad}");
}

#[tokio::test]
async fn a_receiver_that_fails_three_times_gets_the_event_on_the_fourth() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(&tmp.path().join("data"));
    let receiver = Receiver::start().await;
    receiver.fail_next(3);
    channel(&app, json!({"name": "flaky", "kind": "webhook", "url": receiver.url})).await;
    let spec = json!({"name": "ok", "notify": [{"on": ["run.succeeded"], "channels": ["flaky"]}],
                      "tasks": [{"id": "n", "kind": "noop"}]});
    let (_, run) = app.create_and_run(&spec).await;
    let run_id = run["id"].as_str().unwrap();
    // Backoff 1 s, 2 s, 4 s: the fourth call comes about 7 s after the first.
    let calls = receiver.wait_for("a 2xx-answered call", Duration::from_secs(40), |c| c.iter().any(|x| x.ok)).await;
    assert_eq!(calls.len(), 4, "three failures, then the delivery: {calls:?}");
    assert!(calls.iter().all(|c| c.event_id == calls[0].event_id), "every attempt carries the same event id");
    assert!(calls[0].signature.is_none(), "a channel without a secret sends no signature");
    let items = wait_notifications(&app, run_id, 1, "delivered").await;
    assert_eq!(items[0]["attempts"], 4, "{}", items[0]);
    assert_eq!(items[0]["event"]["id"], calls[0].event_id.as_str());
}

#[tokio::test]
async fn a_run_past_its_max_duration_is_late_once() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(&tmp.path().join("data"));
    let receiver = Receiver::start().await;
    channel(&app, json!({"name": "ops", "kind": "webhook", "url": receiver.url})).await;
    let flag = tmp.path().join("never");
    let spec = json!({"name": "slow", "notify": [{"on": ["run.late"], "channels": ["ops"]}],
                      "alerts": {"max_duration": "2s"},
                      "tasks": [{"id": "hold", "kind": "wait", "until": [{"exists": format!("file://{}", flag.display())}],
                                 "wait": {"poke": "500ms", "timeout": "5m"}}]});
    let pipeline: Value = app.post_json("/api/v1/pipelines", &spec).await.json().await.unwrap();
    let run_id = app.start_run(&pipeline).await;
    let calls = receiver.wait_for("run.late", Duration::from_secs(30), |c| c.iter().any(|x| x.event == "run.late")).await;
    assert_eq!(calls[0].body["run"]["id"], run_id.as_str());
    assert_eq!(calls[0].body["detail"]["reason"], "max_duration");
    // Still late, but within repeat_after (1 h): no second notification.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receiver.calls().iter().filter(|c| c.event == "run.late").count(), 1);
    let _ = app.post_json(&format!("/api/v1/runs/{run_id}/cancel"), &json!({})).await;
}

#[tokio::test]
async fn channels_keep_their_secret_and_refuse_what_they_cannot_use() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(&tmp.path().join("data"));
    let receiver = Receiver::start().await;
    let (status, created) = send(&app, reqwest::Method::POST, "/api/v1/channels",
        Some(json!({"name": "ops", "kind": "webhook", "url": receiver.url, "secret": SECRET, "format": "slack"}))).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["signed"], true);
    let (_, listed) = send(&app, reqwest::Method::GET, "/api/v1/channels", None).await;
    assert!(!listed.to_string().contains(SECRET), "no answer shows the secret: {listed}");

    // The test call answers with what the receiver said; a Slack channel sends {text, blocks}.
    let (status, tested) = send(&app, reqwest::Method::POST, "/api/v1/channels/ops/test", None).await;
    assert_eq!((status, &tested["delivered"], &tested["status"]), (200, &json!(true), &json!(200)), "{tested}");
    let call = &receiver.calls()[0];
    assert!(signed_by(call, SECRET));
    assert!(call.body["text"].as_str().unwrap().contains("test notification"), "{}", call.body);
    assert_eq!(call.body["blocks"][0]["type"], "section");
    assert_eq!(call.event_id, tested["event_id"].as_str().unwrap());

    // A PUT without `secret` keeps it.
    let (status, replaced) = send(&app, reqwest::Method::PUT, "/api/v1/channels/ops",
        Some(json!({"name": "ops", "kind": "webhook", "url": receiver.url}))).await;
    assert_eq!((status, &replaced["signed"], &replaced["format"]), (200, &json!(true), &json!("json")), "{replaced}");

    // Unreachable: accepted, and the test call says why.
    let dead = format!("http://127.0.0.1:{}/hook", free_port());
    let (status, _) = send(&app, reqwest::Method::POST, "/api/v1/channels", Some(json!({"name": "dead", "kind": "webhook", "url": dead}))).await;
    assert_eq!(status, 201);
    let (status, tested) = send(&app, reqwest::Method::POST, "/api/v1/channels/dead/test", None).await;
    assert_eq!((status, &tested["delivered"]), (200, &json!(false)), "{tested}");
    assert!(tested["detail"].as_str().unwrap().to_lowercase().contains("connect"), "says why: {tested}");

    // Bad channels are named.
    for (body, needle) in [
        (json!({"name": "x", "kind": "webhook"}), "needs its `url`"),
        (json!({"name": "x", "kind": "webhook", "url": "ftp://h/"}), "http or https"),
        (json!({"name": "x", "kind": "email", "to": ["not-an-address"]}), "`to[0]`"),
        (json!({"name": "x", "kind": "email", "to": []}), "at least one address"),
        (json!({"name": "x", "kind": "pager", "url": "http://h/"}), "kind"),
        (json!({"name": "x y", "kind": "email", "to": ["a@b.c"]}), "channel name"),
    ] {
        let (status, problem) = send(&app, reqwest::Method::POST, "/api/v1/channels", Some(body.clone())).await;
        assert!(status == 400 || status == 422, "{body} → {status} {problem}");
        assert!(problem["detail"].as_str().unwrap_or_default().contains(needle), "{body} → {problem}");
    }
    let (status, _) = send(&app, reqwest::Method::POST, "/api/v1/channels", Some(json!({"name": "ops", "kind": "email", "to": ["a@b.c"]}))).await;
    assert_eq!(status, 409, "a second channel of the same name");

    // Rules name known events and existing channels, in specs and tenant-wide.
    let (status, problem) = send(&app, reqwest::Method::POST, "/api/v1/notification-rules",
        Some(json!({"on": ["run.failed", "run.exploded"], "channels": ["ops", "nobody"]}))).await;
    assert_eq!(status, 422, "{problem}");
    let paths: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["on[1]", "channels[1]"], "{problem}");
    let spec = json!({"name": "p", "notify": [{"on": ["run.failed"], "channels": ["nobody"]}], "tasks": [{"id": "n", "kind": "noop"}]});
    let res = app.post_json("/api/v1/pipelines", &spec).await;
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["path"], "notify[0].channels[0]", "{problem}");
    let (status, rule) = send(&app, reqwest::Method::POST, "/api/v1/notification-rules", Some(json!({"on": ["run.failed"], "channels": ["ops"]}))).await;
    assert_eq!(status, 201, "{rule}");
    let (status, problem) = send(&app, reqwest::Method::DELETE, "/api/v1/channels/ops", None).await;
    assert_eq!(status, 409, "a channel a rule names is not deleted: {problem}");
    let (status, _) = send(&app, reqwest::Method::DELETE, &format!("/api/v1/notification-rules/{}", rule["id"].as_str().unwrap()), None).await;
    assert_eq!(status, 204);
    let (status, _) = send(&app, reqwest::Method::DELETE, "/api/v1/channels/ops", None).await;
    assert_eq!(status, 204);
    let (status, _) = send(&app, reqwest::Method::GET, "/api/v1/channels/ops", None).await;
    assert_eq!(status, 404);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn a_slow_receiver_does_not_hold_up_another_channel() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(&tmp.path().join("data"));
    let (slow, fast) = (Receiver::start().await, Receiver::start().await);
    // Every call to `slow` takes 8 s; it has 8 slots, and 12 events to take.
    slow.slow_next(1000, Duration::from_secs(8));
    channel(&app, json!({"name": "slow", "kind": "webhook", "url": slow.url})).await;
    channel(&app, json!({"name": "fast", "kind": "webhook", "url": fast.url})).await;
    let spec = json!({"name": "many", "notify": [{"on": ["run.succeeded"], "channels": ["slow", "fast"]}],
                      "tasks": [{"id": "n", "kind": "noop"}]});
    let pipeline: Value = app.post_json("/api/v1/pipelines", &spec).await.json().await.unwrap();
    for _ in 0..12 {
        app.start_run(&pipeline).await;
    }
    fast.wait_for("12 events", Duration::from_secs(30), |c| c.len() >= 12).await;
    assert!(slow.calls().is_empty(), "the fast channel got everything before the slow one answered once");
    assert!(slow.arrived() >= 1, "the slow channel is being called meanwhile");
}
