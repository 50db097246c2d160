//! Triggers on `ferry standalone`: an upstream chain of two pipelines, and a signed
//! webhook (a good call, its replay, a bad signature, an old timestamp, an idempotent
//! retry).

use crate::app::spawn_app_with;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const MASTER: &str = "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU=";



#[tokio::test]
async fn a_succeeded_upstream_run_starts_the_downstream_pipeline_once() {
    let tmp = tempfile::tempdir().unwrap();
    let app = spawn_app_with(&tmp.path().join("data"), &[]);
    let up = app.create_pipeline(&json!({"name": "import-orders", "tasks": [{"id": "a", "kind": "noop"}]})).await;
    let down = app.create_pipeline(&json!({"name": "report", "triggers": [{"upstream": {"pipeline": "import-orders"}}],
        "tasks": [{"id": "b", "kind": "noop"}]})).await;
    let res = app.post_json(&format!("/api/v1/pipelines/{up}/runs"), &json!({})).await;
    assert_eq!(res.status(), 202);
    let up_run: Value = res.json().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let run = loop {
        if let Some(r) = app.runs_of(&down).await.into_iter().find(|r| r["state"] == "succeeded") {
            break r;
        }
        assert!(Instant::now() < deadline, "no downstream run");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(run["trigger"]["kind"], "upstream", "{run}");
    assert_eq!(run["trigger"]["detail"]["run_id"], up_run["id"], "{run}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(app.runs_of(&down).await.len(), 1, "one upstream run fires once");
    let unknown = app.post_json("/api/v1/pipelines", &json!({"name": "bad", "triggers": [{"upstream": {"pipeline": ""}}, {"fresh": {"dataset": "no spaces", "destination": "x"}}],
        "tasks": [{"id": "b", "kind": "noop", }]})).await;
    assert_eq!(unknown.status(), 422);
    let errors = unknown.json::<Value>().await.unwrap()["errors"].to_string();
    assert!(errors.contains("upstream.pipeline") && errors.contains("not a dataset name"), "{errors}");
}

#[tokio::test]
async fn a_signed_webhook_starts_one_run_and_bad_or_replayed_calls_start_none() {
    let tmp = tempfile::tempdir().unwrap();
    let app = spawn_app_with(&tmp.path().join("data"), &[("FERRY_MASTER_KEY", MASTER)]);
    let out = tmp.path().join("out");
    let src = tmp.path().join("in");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("x.csv"), b"1").unwrap();
    let id = app.create_pipeline(&json!({"name": "hooked", "triggers": [{"webhook": {}}],
        "tasks": [{"id": "c", "kind": "copy", "source": format!("file://{}/", src.display()),
                   "destinations": [format!("file://{}/{{{{ trigger.payload.batch }}}}/", out.display())]}]})).await;
    let res = app.post_json(&format!("/api/v1/pipelines/{id}/webhook-secret"), &json!({})).await;
    assert_eq!(res.status(), 201);
    let secret = res.json::<Value>().await.unwrap()["secret"].as_str().unwrap().to_string();
    let call = |body: &'static str, ts: i64, sig: String, key: Option<&'static str>| {
        let mut req = app.client.post(app.url(&format!("/hooks/{id}"))).header("content-type", "application/json")
            .header("X-Ferry-Timestamp", ts.to_string()).header("X-Ferry-Signature", sig).body(body);
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        req.send()
    };
    let now = chrono::Utc::now().timestamp();
    let body = r#"{"batch": "b42"}"#;
    let sig = ferry_api::webhook_signature::sign(&secret, now, body.as_bytes());
    let first = call(body, now, sig.clone(), None).await.unwrap();
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["replayed"], false);
    let replay = call(body, now, sig.clone(), None).await.unwrap();
    assert_eq!(replay.status(), 200, "the same signed request again starts nothing");
    assert_eq!(replay.json::<Value>().await.unwrap()["run_id"], first["run_id"]);
    let forged = call(body, now, ferry_api::webhook_signature::sign("whsec_wrong", now, body.as_bytes()), None).await.unwrap();
    assert_eq!(forged.status(), 401);
    assert_eq!(forged.headers()["content-type"], "application/problem+json");
    let old = now - 600;
    let stale = call(body, old, ferry_api::webhook_signature::sign(&secret, old, body.as_bytes()), None).await.unwrap();
    assert_eq!(stale.status(), 401, "a 10-minute-old request is a replay");
    let absurd = call(body, i64::MIN, sig.clone(), None).await.unwrap();
    assert_eq!(absurd.status(), 401, "a timestamp at i64::MIN is refused, not a server error");
    let unsigned = app.client.post(app.url(&format!("/hooks/{id}"))).body(body).send().await.unwrap();
    assert_eq!(unsigned.status(), 401);
    let nowhere = app.client.post(app.url(&format!("/hooks/{}", uuid::Uuid::now_v7()))).header("X-Ferry-Timestamp", now.to_string())
        .header("X-Ferry-Signature", sig.clone()).body(body).send().await.unwrap();
    assert_eq!(nowhere.status(), 404);
    // Retries of one logical call share an Idempotency-Key (each freshly signed).
    let (t1, t2) = (now + 1, now + 2);
    let again = r#"{"batch": "b43"}"#;
    let a = call(again, t1, ferry_api::webhook_signature::sign(&secret, t1, again.as_bytes()), Some("k-1")).await.unwrap();
    let b = call(again, t2, ferry_api::webhook_signature::sign(&secret, t2, again.as_bytes()), Some("k-1")).await.unwrap();
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (202, 200));
    let missing = r#"{"other": 1}"#;
    let m = call(missing, now, ferry_api::webhook_signature::sign(&secret, now, missing.as_bytes()), None).await.unwrap();
    assert_eq!(m.status(), 422, "the spec uses trigger.payload.batch");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let runs = app.runs_of(&id).await;
        if runs.len() == 2 && runs.iter().all(|r| r["state"] == "succeeded") {
            assert!(runs.iter().all(|r| r["trigger"]["kind"] == "webhook"), "{runs:?}");
            break;
        }
        assert!(Instant::now() < deadline, "expected exactly two webhook runs: {runs:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(out.join("b42").join("x.csv").exists() && out.join("b43").join("x.csv").exists());
}
