//! A live migration on the distributed stack while a writer changes the source: the
//! worker is killed with `kill -9` in the middle of a pass and the orchestrator is
//! restarted; the migration resumes from its records, converges once the writer stops,
//! waits for `POST /api/v1/tasks/{id}/cutover`, then cuts over with the destination equal
//! to the source byte for byte.

use super::stack::{Opts, Stack, serial};
use super::tree::count_files;
use crate::backends::live::local_tree;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_manual_migration_survives_a_killed_worker_and_a_new_orchestrator_then_cuts_over() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let (src, dst) = (tmp.path().join("src"), tmp.path().join("dst"));
    std::fs::create_dir_all(&src).unwrap();
    for i in 0..120u32 {
        let body: Vec<u8> = (0..32 * 1024u32).map(|j| (j.wrapping_mul(31) ^ i) as u8).collect();
        std::fs::write(src.join(format!("f{i:03}.bin")), body).unwrap();
    }
    let mut stack = Stack::start(Opts::default());
    let spec = json!({
        "name": "live-move",
        "tasks": [{
            "id": "move", "kind": "migrate",
            "source": format!("{}/", src.display()), "destination": format!("{}/", dst.display()),
            "cutover": "manual", "delete_extraneous": true, "bandwidth": "1MiB/s",
            "converge": {"max_changed": 0, "max_passes": 100, "pass_interval": "1s"},
            "max_lost": 5
        }]
    });
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, src) = (stop.clone(), src.clone());
        std::thread::spawn(move || {
            let mut i = 0u32;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                std::fs::write(src.join(format!("w{i}.txt")), format!("written {i}")).unwrap();
                std::fs::write(src.join(format!("f{:03}.bin", i % 120)), format!("changed at {i}")).unwrap();
                if i > 5 {
                    let _ = std::fs::remove_file(src.join(format!("w{}.txt", i - 5)));
                }
                std::thread::sleep(Duration::from_millis(150));
            }
        })
    };
    let run_id = stack.start_run(&spec).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while count_files(&dst) < 20 {
        assert!(Instant::now() < deadline, "the first pass did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stack.kill_9_worker(0);
    stack.start_worker();
    stack.kill_9_orchestrator(0);
    stack.start_orchestrator();
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();

    // Converged, and waiting for the cutover.
    let deadline = Instant::now() + Duration::from_secs(120);
    let task = loop {
        let tasks = stack.tasks(&run_id).await;
        let t = tasks.into_iter().next().unwrap_or(Value::Null);
        if t["progress"]["passes"]["converged"] == true && t["state"] == "running" {
            break t;
        }
        assert!(Instant::now() < deadline, "never converged: {t}\n{}", stack.log_tails(40));
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let still = stack.run(&run_id).await.unwrap();
    assert_eq!(still["state"], "running", "a manual migration waits for its cutover: {still}");
    let (status, body) = stack.post_json(&format!("/api/v1/tasks/{}/cutover", task["id"].as_str().unwrap()), &json!({})).await;
    assert_eq!(status, 202, "{body}");
    let run = stack.wait_run(&run_id, Duration::from_secs(60)).await;
    assert_eq!(run["state"], "succeeded", "{run}\n{}", stack.log_tails(40));
    let tasks = stack.tasks(&run_id).await;
    let result = &tasks[0]["result"];
    assert!(result["passes_total"].as_u64().unwrap() >= 3, "{result}");
    assert_eq!(local_tree(&src), local_tree(&dst), "the destination equals the source byte for byte");
}
