//! Incremental copies in order, at a sync destination: run 2's copy waits (`waiting`,
//! naming run 1's delivery) while run 1's same task has not finished, and writes only
//! after it; with `ordering: fail` it fails at once instead, naming the earlier run.

use crate::app::{App, spawn_app};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn task_of(app: &App, run: &str) -> Value {
    let tasks: Value = app.get(&format!("/api/v1/runs/{run}/tasks")).await.json().await.unwrap();
    tasks["items"][0].clone()
}

async fn wait_task(app: &App, run: &str, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let t = task_of(app, run).await;
        if ok(&t) {
            return t;
        }
        assert!(Instant::now() < deadline, "run {run}'s task never {what}: {t}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_incremental_copy_waits_for_the_earlier_runs_delivery_or_fails_when_told() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("landing");
    crate::fixtures::write_tree(&src, &[("a.csv", "a")]);
    let flag = tmp.path().join("_GO");
    let app = spawn_app(&tmp.path().join("data"));
    let spec = |name: &str, ordering: &str| {
        json!({"name": name, "tasks": [{"id": "orders", "kind": "copy", "source": format!("{}/", src.display()),
            "destination": format!("{}/", tmp.path().join(name).display()), "dataset": name, "incremental": true, "ordering": ordering,
            "pre": [{"exists": flag.display().to_string()}], "wait": {"poke": "200ms", "timeout": "2m"}}]})
    };
    for ordering in ["wait", "fail"] {
        let name = format!("ordered-{ordering}");
        let pipeline = app.create_pipeline(&spec(&name, ordering)).await;
        let pipeline = json!({"id": pipeline});
        let run1 = app.start_run(&pipeline).await;
        wait_task(&app, &run1, "waited for its flag", |t| t["waiting_for"].as_str().is_some_and(|w| w.contains("not found"))).await;
        let run2 = app.start_run(&pipeline).await;
        if ordering == "fail" {
            let done = app.wait_run(&run2).await;
            assert_eq!(done["state"], "failed", "{done}");
            let t = task_of(&app, &run2).await;
            assert!(t["error"].as_str().unwrap().contains("ordering: fail") && t["error"].as_str().unwrap().contains(&run1), "{t}");
            std::fs::write(&flag, "").unwrap();
            assert_eq!(app.wait_run(&run1).await["state"], "succeeded");
            std::fs::remove_file(&flag).unwrap();
            continue;
        }
        let queued = wait_task(&app, &run2, "queued behind run 1", |t| t["waiting_for"].as_str().is_some_and(|w| w.contains(&run1))).await;
        assert_eq!(queued["state"], "waiting", "{queued}");
        assert!(queued["waiting_for"].as_str().unwrap().contains("earlier delivery of `orders`"), "{queued}");
        std::fs::write(&flag, "").unwrap();
        let first = app.wait_run(&run1).await;
        let second = app.wait_run(&run2).await;
        assert_eq!((first["state"].as_str(), second["state"].as_str()), (Some("succeeded"), Some("succeeded")));
        let (t1, t2) = (task_of(&app, &run1).await, task_of(&app, &run2).await);
        assert!(t1["finished_at"].as_str().unwrap() <= t2["started_at"].as_str().unwrap(), "run 2 wrote after run 1: {t1} {t2}");
        assert_eq!(t2["destinations"][0]["state"], "delivered", "{t2}");
        std::fs::remove_file(&flag).unwrap();
    }
}
