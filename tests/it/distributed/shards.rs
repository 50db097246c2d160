//! A copy split into shards that run on every worker, and a worker killed while it runs
//! shards: its shards come back to the queue and are redone elsewhere, skipping what
//! already landed.

use super::stack::{Opts, Stack, serial};
use super::tree::{Stamp, assert_same_tree, complete_files, count_files, write_random_tree};
use serde_json::json;
use std::collections::HashMap;
use std::time::{Duration, Instant};

#[tokio::test]
async fn shards_spread_over_workers_and_a_killed_workers_shards_are_redone() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let (src, dst) = (tmp.path().join("src"), tmp.path().join("dst"));
    let names: Vec<String> = (0..4).map(|i| format!("p{i}")).collect();
    let (files, _) = write_random_tree(&src, &names, 500, 128 * 1024, 128 * 1024);
    assert_eq!(files, 2000);
    let mut stack = Stack::start(Opts { workers: 3, concurrency: 2, ..Opts::default() });
    let spec = json!({"name": "sharded", "defaults": {"retries": {"max": 3, "initial": "1s"}}, "tasks": [
        {"id": "copy", "kind": "copy", "source": format!("{}/", src.display()),
         "destination": format!("{}/", dst.display()), "shard_files": 50,
         // Slow enough (about 4 s) to kill a worker in the middle; drawn from Redis.
         "bandwidth": "64MiB/s"},
        {"id": "verify", "kind": "check", "depends_on": ["copy"], "mode": "checksum",
         "source": format!("{}/", src.display()), "target": format!("{}/", dst.display())},
    ]});
    let run_id = stack.start_run(&spec).await;

    // Once a few hundred files are in, kill a worker that is not the planning attempt's
    // (that one is listed as running the task; the others run only shards).
    let deadline = Instant::now() + Duration::from_secs(60);
    while count_files(&dst) < 300 {
        assert!(Instant::now() < deadline, "the destination did not reach 300 files in 60 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let parents: Vec<String> = loop {
        let busy: Vec<String> = stack
            .workers()
            .await
            .iter()
            .filter(|w| w["running"].as_array().is_some_and(|r| !r.is_empty()))
            .filter_map(|w| w["id"].as_str().map(str::to_string))
            .collect();
        if !busy.is_empty() {
            break busy;
        }
        assert!(Instant::now() < deadline, "no worker reported running the copy");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let victim = (0..stack.workers.len())
        .find(|&i| !stack.workers[i].killed && !parents.contains(&stack.workers[i].id))
        .expect("a worker that runs only shards");
    stack.kill_9_worker(victim);
    let verified: HashMap<String, Stamp> = complete_files(&src, &dst);
    eprintln!("killed worker {} with {} complete files in the destination", stack.workers[victim].id, verified.len());
    stack.start_worker();

    let run = stack.wait_run(&run_id, Duration::from_secs(120)).await;
    assert_eq!(run["state"], "succeeded", "{run}\n{}", stack.log_tails(30));
    assert_same_tree(&src, &dst);
    let now = complete_files(&src, &dst);
    let rewritten: Vec<&String> = verified.iter().filter(|(rel, stamp)| now.get(*rel) != Some(*stamp)).map(|(rel, _)| rel).collect();
    assert!(rewritten.is_empty(), "{} complete files were copied again, e.g. {:?}", rewritten.len(), &rewritten[..rewritten.len().min(5)]);

    let tasks = stack.tasks(&run_id).await;
    let copy = tasks.iter().find(|t| t["key"] == "copy").unwrap();
    assert_eq!(copy["result"]["shards"], 40, "{copy}");
    assert_eq!(copy["attempt"], 1, "the planning attempt itself was not lost: {copy}");
    let moved = copy["result"]["files_copied"].as_u64().unwrap() + copy["result"]["files_skipped"].as_u64().unwrap();
    assert_eq!(moved, 2000, "{copy}");
    let p = &copy["progress"];
    assert_eq!((p["files_done"].clone(), p["files_total"].clone()), (json!(2000), json!(2000)), "{copy}");
    let verify = tasks.iter().find(|t| t["key"] == "verify").unwrap();
    assert_eq!(verify["result"]["consistent"], true, "{verify}");
}
