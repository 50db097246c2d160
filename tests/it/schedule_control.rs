//! Controlling schedules on `ferry standalone`: a slot's logical time reaches the spec,
//! pause and resume with catch-up, backfill in order, and `buffer_one` behind a run that
//! is still going.

use crate::app::{App, KEY, spawn_app};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn firings(app: &App, id: &str) -> Vec<Value> {
    let page: Value = app.get(&format!("/api/v1/pipelines/{id}/firings?limit=500")).await.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

async fn wait_for<T>(what: &str, secs: u64, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}


#[tokio::test]
async fn a_slots_logical_date_names_the_folder_its_run_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let app = spawn_app(&tmp.path().join("data"));
    let src = tmp.path().join("in");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("a.txt"), b"hello").unwrap();
    let out = tmp.path().join("out");
    let spec = json!({"name": "dated", "schedule": {"cron": "* * * * * *", "timezone": "Pacific/Kiritimati"},
        "tasks": [{"id": "c", "kind": "copy", "source": format!("file://{}/", src.display()),
                   "destinations": [format!("file://{}/{{{{ logical_date }}}}/", out.display())]}]});
    let id = app.create_pipeline(&spec).await;
    let started = wait_for("a started slot", 30, async || firings(&app, &id).await.into_iter().find(|f| f["run_id"].is_string())).await;
    let run_id = started["run_id"].as_str().unwrap();
    let run = wait_for("the run to finish", 60, async || {
        let run: Value = app.get(&format!("/api/v1/runs/{run_id}")).await.json().await.unwrap();
        (run["state"] == "succeeded").then_some(run)
    })
    .await;
    assert_eq!(run["trigger"]["kind"], "schedule", "{run}");
    let logical: chrono::DateTime<chrono::Utc> = run["trigger"]["logical_time"].as_str().unwrap().parse().unwrap();
    let slot: chrono::DateTime<chrono::Utc> = started["slot"].as_str().unwrap().parse().unwrap();
    assert_eq!(logical, slot, "the run's logical time is its slot");
    // Kiritimati is UTC+14: the folder is the slot's date there, not in UTC.
    let local = logical.with_timezone(&chrono_tz::Pacific::Kiritimati).format("%Y-%m-%d").to_string();
    assert!(out.join(&local).join("a.txt").exists(), "no {local}/a.txt under {}", out.display());
    let listed: Value = app.get(&format!("/api/v1/runs?trigger=schedule&pipeline_id={id}")).await.json().await.unwrap();
    assert!(!listed["items"].as_array().unwrap().is_empty(), "{listed}");
    let none: Value = app.get(&format!("/api/v1/runs?trigger=webhook&pipeline_id={id}")).await.json().await.unwrap();
    assert!(none["items"].as_array().unwrap().is_empty(), "{none}");
    let bad = app.get("/api/v1/runs?trigger=cron").await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn a_paused_pipeline_ledgers_its_slots_and_catches_up_the_latest_on_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let app = spawn_app(&tmp.path().join("data"));
    let spec = json!({"name": "paused", "schedule": {"cron": "* * * * * *", "catchup": "latest"}, "tasks": [{"id": "a", "kind": "noop"}]});
    let id = app.create_pipeline(&spec).await;
    let res = app.post_json(&format!("/api/v1/pipelines/{id}/pause"), &json!({})).await;
    assert_eq!(res.status(), 200);
    let paused: Value = res.json().await.unwrap();
    assert!(paused["paused_at"].is_string(), "{paused}");
    wait_for("three missed_paused slots", 30, async || {
        (firings(&app, &id).await.iter().filter(|f| f["outcome"] == "missed_paused").count() >= 3).then_some(())
    })
    .await;
    let res = app.post_json(&format!("/api/v1/pipelines/{id}/resume"), &json!({})).await;
    assert_eq!(res.status(), 200);
    let caught = wait_for("the caught-up run", 30, async || {
        firings(&app, &id).await.into_iter().find(|f| f["outcome"] == "caught_up" && f["run_id"].is_string())
    })
    .await;
    let all = firings(&app, &id).await;
    let newest_paused = all.iter().filter(|f| f["outcome"] == "missed_paused").map(|f| f["slot"].as_str().unwrap()).max().unwrap();
    assert!(caught["slot"].as_str().unwrap() > newest_paused, "`latest` catches up the newest paused slot: {all:?}");
    assert_eq!(all.iter().filter(|f| f["outcome"] == "caught_up").count(), 1, "{all:?}");
}

#[tokio::test]
async fn a_backfill_runs_one_run_per_slot_in_order_with_its_logical_time() {
    let tmp = tempfile::tempdir().unwrap();
    let app = spawn_app(&tmp.path().join("data"));
    let spec = json!({"name": "nightly", "schedule": {"cron": "0 30 2 * * *", "timezone": "Europe/Amsterdam"}, "tasks": [{"id": "a", "kind": "noop"}]});
    let id = app.create_pipeline(&spec).await;
    let res = app.post_json(&format!("/api/v1/pipelines/{id}/backfill"), &json!({"from": "2026-10-24T00:00:00Z", "to": "2026-10-27T00:00:00Z"})).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 202, "{body}");
    // 02:30 local: CEST (UTC+2) until the 25th, CET (UTC+1) after. On the 25th clocks
    // fall back at 03:00, so 02:30 happens twice: the slot is the first (CEST).
    assert_eq!(body["slots"], json!(["2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"]));
    let runs = wait_for("three backfill runs to finish", 60, async || {
        let page: Value = app.get(&format!("/api/v1/runs?trigger=backfill&pipeline_id={id}")).await.json().await.unwrap();
        let items = page["items"].as_array().unwrap().clone();
        (items.len() == 3 && items.iter().all(|r| r["state"] == "succeeded")).then_some(items)
    })
    .await;
    // Newest first: the latest slot's run was created last, after the earlier ones ended.
    let logical: Vec<&str> = runs.iter().rev().map(|r| r["trigger"]["logical_time"].as_str().unwrap()).collect();
    assert_eq!(logical, ["2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"]);
    for pair in runs.windows(2) {
        assert!(pair[0]["created_at"].as_str() >= pair[1]["finished_at"].as_str(), "buffer_all: each after the previous {pair:?}");
    }
    let empty = app.post_json(&format!("/api/v1/pipelines/{id}/backfill"), &json!({"from": "2026-10-24T03:00:00Z", "to": "2026-10-24T04:00:00Z"})).await;
    assert_eq!(empty.status(), 422);
    let backwards = app.post_json(&format!("/api/v1/pipelines/{id}/backfill"), &json!({"from": "2026-10-25T00:00:00Z", "to": "2026-10-24T00:00:00Z"})).await;
    assert_eq!(backwards.status(), 422);
}

#[tokio::test]
async fn buffer_one_keeps_one_slot_behind_a_running_run_and_skips_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let app = spawn_app(&tmp.path().join("data"));
    let flag = tmp.path().join("go");
    let spec = json!({"name": "slow", "schedule": {"cron": "* * * * * *", "overlap": "buffer_one"},
        "tasks": [{"id": "hold", "kind": "wait", "until": [{"exists": format!("file://{}", flag.display())}], "wait": {"poke": "500ms", "timeout": "5m"}}]});
    let id = app.create_pipeline(&spec).await;
    wait_for("a buffered slot and two skipped ones", 30, async || {
        let all = firings(&app, &id).await;
        let skipped = all.iter().filter(|f| f["outcome"] == "skipped_overlap").count();
        let buffered = all.iter().filter(|f| f["outcome"] == "buffered").count();
        (skipped >= 2 && buffered == 1).then_some(())
    })
    .await;
    let all = firings(&app, &id).await;
    let buffered = all.iter().find(|f| f["outcome"] == "buffered").unwrap();
    assert!(buffered["pending"] == true && buffered["run_id"].is_null(), "{buffered}");
    std::fs::write(&flag, b"").unwrap();
    wait_for("the buffered slot's run", 30, async || {
        firings(&app, &id).await.into_iter().find(|f| f["outcome"] == "buffered" && f["run_id"].is_string())
    })
    .await;
    // Stop the schedule so the server shuts down quietly.
    let res = app.client.delete(app.url(&format!("/api/v1/pipelines/{id}"))).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(res.status(), 204);
}

#[tokio::test]
async fn the_window_leaves_one_outside_window_row_per_edge() {
    let tmp = tempfile::tempdir().unwrap();
    let app = spawn_app(&tmp.path().join("data"));
    let now = chrono::Utc::now();
    let closes = (now + chrono::Duration::seconds(3)).to_rfc3339();
    let opens = (now + chrono::Duration::hours(1)).to_rfc3339();
    let closing = app.create_pipeline(&json!({"name": "closing", "schedule": {"cron": "* * * * * *", "overlap": "allow", "end_at": closes}, "tasks": [{"id": "a", "kind": "noop"}]})).await;
    let later = app.create_pipeline(&json!({"name": "later", "schedule": {"cron": "* * * * * *", "start_at": opens}, "tasks": [{"id": "a", "kind": "noop"}]})).await;
    tokio::time::sleep(Duration::from_secs(7)).await;
    let all = firings(&app, &closing).await;
    let outside: Vec<&Value> = all.iter().filter(|f| f["outcome"] == "outside_window").collect();
    assert_eq!(outside.len(), 1, "{all:?}");
    assert!(outside[0]["detail"].as_str().unwrap().contains("closed"), "{all:?}");
    let end: chrono::DateTime<chrono::Utc> = closes.parse().unwrap();
    for f in all.iter().filter(|f| f["outcome"] == "started") {
        assert!(f["slot"].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap() < end, "no slot at or after end_at: {f}");
    }
    let before = firings(&app, &later).await;
    assert_eq!(before.len(), 1, "one row says why it is silent: {before:?}");
    assert_eq!(before[0]["outcome"], "outside_window");
    assert!(before[0]["detail"].as_str().unwrap().contains("opens"), "{before:?}");
}
