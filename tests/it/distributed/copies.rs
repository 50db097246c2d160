//! Copies spread over several worker processes, and workers killed in the middle.

use super::stack::{Opts, Stack, serial};
use super::tree::{Stamp, assert_same_tree, complete_files, count_files, write_random_tree};
use super::{assert_copied_and_consistent, copy_spec, folders};
use std::collections::HashMap;
use std::time::{Duration, Instant};

#[tokio::test]
async fn three_workers_copy_2000_files() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let (src, dst) = (tmp.path().join("src"), tmp.path().join("dst"));
    let names = folders(4);
    let (files, _) = write_random_tree(&src, &names, 500, 1024, 8 * 1024);
    assert_eq!(files, 2000);
    let stack = Stack::start(Opts { workers: 3, ..Opts::default() });

    let run_id = stack.start_run(&copy_spec("three-workers", &src, &dst, &names, vec![])).await;
    let run = stack.wait_run(&run_id, Duration::from_secs(80)).await;

    assert_eq!(run["state"], "succeeded", "{run}");
    assert_eq!(run["progress"]["tasks_total"], 5, "{run}");
    assert_eq!(run["progress"]["tasks_succeeded"], 5, "{run}");
    assert_same_tree(&src, &dst);
    assert_copied_and_consistent(&stack, &run_id, 2000).await;
}

/// Waits for a worker that `/api/v1/workers` lists as running a task and that is one of
/// our live processes; returns its index. Panics when the run ends first.
async fn busy_worker(stack: &Stack, run_id: &str) -> usize {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        for w in stack.workers().await {
            let busy = w["running"].as_array().is_some_and(|r| !r.is_empty());
            if busy && let Some(i) = w["id"].as_str().and_then(|id| stack.live_worker_by_id(id)) {
                return i;
            }
        }
        let run = stack.run(run_id).await.unwrap_or_default();
        assert!(
            run["state"] == "running" || run["state"] == "queued" || run.is_null(),
            "the run ended before a worker could be killed in the middle of a task \
             (make the copy bigger): {run}"
        );
        assert!(Instant::now() < deadline, "no live worker ran a task for 30 s; run: {run}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits until the destination holds at least `n` files (at their final names).
async fn wait_files(dst: &std::path::Path, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while count_files(dst) < n {
        assert!(Instant::now() < deadline, "the destination did not reach {n} files in 60 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn killed_workers_lose_nothing() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let (src, dst) = (tmp.path().join("src"), tmp.path().join("dst"));
    let names = folders(4);
    write_random_tree(&src, &names, 500, 256 * 1024, 256 * 1024);
    let mut stack = Stack::start(Opts {
        workers: 3,
        concurrency: 2,
        ..Opts::default()
    });

    // `overwrite` defaults to `skip`: a new attempt keeps files of the same size. Local
    // copies are fast enough to end before a kill lands, so the run gets a bandwidth
    // budget (drawn from Redis by every worker): 500 MiB at 80 MiB/s is about 6 s.
    let mut spec = copy_spec("killed-workers", &src, &dst, &names, vec![]);
    spec["bandwidth"] = serde_json::json!("80MiB/s");
    // No retries: an attempt lost with its worker must not spend one (issue #11).
    spec["defaults"]["retries"] = serde_json::json!({"max": 0});
    let run_id = stack.start_run(&spec).await;

    // file → (inode, mtime) of every file that was complete when a worker was killed.
    let mut verified: HashMap<String, Stamp> = HashMap::new();
    let mut killed = Vec::new();
    for round in 0..2 {
        let want = if round == 0 { 50 } else { count_files(&dst) + 100 };
        wait_files(&dst, want).await;
        let victim = busy_worker(&stack, &run_id).await;
        let id = stack.workers[victim].id.clone();
        stack.kill_9_worker(victim);
        let now = complete_files(&src, &dst);
        eprintln!(
            "round {round}: killed worker {id} (pid {}); {} complete files in the destination",
            stack.workers[victim].pid(),
            now.len()
        );
        for (rel, stamp) in &verified {
            assert_eq!(now.get(rel), Some(stamp), "{rel} was complete at an earlier kill and has been rewritten since");
        }
        verified.extend(now);
        killed.push(id);
        stack.start_worker();
    }

    let run = stack.wait_run(&run_id, Duration::from_secs(80)).await;
    assert_eq!(run["state"], "succeeded", "{run}");
    assert_same_tree(&src, &dst);

    let now = complete_files(&src, &dst);
    let rewritten: Vec<&String> = verified.iter().filter(|(rel, stamp)| now.get(*rel) != Some(*stamp)).map(|(rel, _)| rel).collect();
    assert!(
        rewritten.is_empty(),
        "{} of the {} files that were complete when a worker was killed were copied again (new inode or mtime), e.g. {:?}",
        rewritten.len(),
        verified.len(),
        &rewritten[..rewritten.len().min(5)]
    );
    assert_copied_and_consistent(&stack, &run_id, 2000).await;
    let tasks = stack.tasks(&run_id).await;
    let attempts: Vec<String> = tasks.iter().map(|t| format!("{}: attempt {}", t["key"], t["attempt"])).collect();
    eprintln!("killed workers {killed:?}; {attempts:?}");
    stack.assert_all_alive();
}

#[tokio::test]
async fn a_terminated_worker_hands_its_tasks_back_and_exits_0() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let (src, dst) = (tmp.path().join("src"), tmp.path().join("dst"));
    let names = folders(4);
    write_random_tree(&src, &names, 400, 256 * 1024, 256 * 1024);
    let mut stack = Stack::start(Opts {
        workers: 2,
        concurrency: 2,
        ..Opts::default()
    });
    // Slowed as in `killed_workers_lose_nothing`: 400 MiB at 80 MiB/s.
    let mut spec = copy_spec("terminated-worker", &src, &dst, &names, vec![]);
    spec["bandwidth"] = serde_json::json!("80MiB/s");
    let run_id = stack.start_run(&spec).await;
    wait_files(&dst, 20).await;
    let victim = busy_worker(&stack, &run_id).await;

    // The stack's FERRY_SHUTDOWN_GRACE is 2 s: the copies it holds outlast it and are
    // handed back to the queue; the process then exits 0 on its own.
    let started = Instant::now();
    let status = stack.workers[victim].terminate(Duration::from_secs(20));
    let log = stack.workers[victim].stderr();
    let status = status.unwrap_or_else(|| panic!("the worker did not exit within 20 s of SIGTERM\n{log}"));
    assert!(status.success(), "the worker exited with {status}\n{log}");
    eprintln!("worker exited {status} {:?} after SIGTERM", started.elapsed());

    let run = stack.wait_run(&run_id, Duration::from_secs(80)).await;
    assert_eq!(run["state"], "succeeded", "{run}");
    assert_same_tree(&src, &dst);
    assert_copied_and_consistent(&stack, &run_id, 1600).await;
}
