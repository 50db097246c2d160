//! A schedule firing on `ferry standalone`: an every-second schedule starts runs, each
//! slot is in the ledger once, and deleting the pipeline stops it.

use crate::app::spawn_app;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

#[tokio::test]
async fn an_every_second_schedule_fires_each_slot_once() {
    let tmp = tempfile::tempdir().unwrap();
    let app = spawn_app(&tmp.path().join("data"));
    let spec = json!({"name": "ticker", "schedule": {"cron": "* * * * * *", "overlap": "allow"}, "tasks": [{"id": "a", "kind": "noop"}]});
    let res = app.post_json("/api/v1/pipelines", &spec).await;
    assert_eq!(res.status(), 201);
    let pipeline: Value = res.json().await.unwrap();
    let id = pipeline["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    let firings = loop {
        let page: Value = app.get(&format!("/api/v1/pipelines/{id}/firings")).await.json().await.unwrap();
        let items = page["items"].as_array().unwrap().clone();
        if items.len() >= 3 {
            break items;
        }
        assert!(Instant::now() < deadline, "fewer than 3 firings in 30 s: {page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let slots: BTreeSet<&str> = firings.iter().map(|f| f["slot"].as_str().unwrap()).collect();
    assert_eq!(slots.len(), firings.len(), "each slot once: {firings:?}");
    for f in &firings {
        assert_eq!(f["outcome"], "started", "{f}");
        let run: Value = app.get(&format!("/api/v1/runs/{}", f["run_id"].as_str().unwrap())).await.json().await.unwrap();
        assert_eq!(run["pipeline_id"], id.as_str(), "{run}");
    }
    let schedule: Value = app.get(&format!("/api/v1/pipelines/{id}/schedule")).await.json().await.unwrap();
    assert_eq!(schedule["items"][0]["next_utc"].as_array().unwrap().len(), 10, "{schedule}");
    assert_eq!(schedule["items"][0]["timezone"], "UTC");
    let res = app.client.delete(app.url(&format!("/api/v1/pipelines/{id}"))).bearer_auth(crate::app::KEY).send().await.unwrap();
    assert_eq!(res.status(), 204);
}
