//! Each server restarted in the middle of a run: the run still succeeds and the copy is
//! complete. The stack points at a private instance of the server under test (see
//! `servers`), so the shared ones are never disturbed.

use super::servers::{PrivatePostgres, PrivateRabbit, PrivateRedis};
use super::stack::{Endpoints, Opts, Stack, serial};
use super::tree::{assert_same_tree, count_files, write_random_tree};
use super::{assert_copied_and_consistent, copy_spec, folders};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Noops in a chain next to the copies, so the run outlasts the restart (a link takes
/// 10–40 ms here; `rabbitmqctl stop` alone takes seconds before the broker goes away).
const CHAIN: usize = 200;
/// The chain when RabbitMQ restarts.
const RABBIT_CHAIN: usize = 600;

/// How long a server stays down (RabbitMQ's own stop and start take several seconds).
const OUTAGE: Duration = Duration::from_secs(2);

fn chain(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let mut t = json!({"id": format!("wait-{i:03}"), "kind": "noop"});
            if i > 0 {
                t["depends_on"] = json!([format!("wait-{:03}", i - 1)]);
            }
            t
        })
        .collect()
}

enum Private {
    Redis(PrivateRedis),
    Postgres(PrivatePostgres),
    Rabbit(PrivateRabbit),
}

impl Private {
    fn restart(&mut self) {
        match self {
            Private::Redis(r) => {
                r.kill();
                std::thread::sleep(OUTAGE);
                r.start_again();
            }
            Private::Postgres(p) => {
                p.stop();
                std::thread::sleep(OUTAGE);
                p.start_again();
            }
            Private::Rabbit(r) => {
                r.stop();
                r.start_again();
            }
        }
    }
}

async fn restart_mid_run(mut server: Private, name: &str) {
    let mut endpoints = Endpoints::shared();
    match &server {
        Private::Redis(r) => endpoints.redis_port = r.port,
        Private::Postgres(p) => endpoints.pg_port = p.port,
        Private::Rabbit(r) => {
            endpoints.amqp_port = r.port;
            endpoints.mgmt = None;
        }
    }
    let chain_len = if matches!(server, Private::Rabbit(_)) { RABBIT_CHAIN } else { CHAIN };
    let tmp = tempfile::tempdir().unwrap();
    let (src, dst) = (tmp.path().join("src"), tmp.path().join("dst"));
    let names = folders(8);
    write_random_tree(&src, &names, 250, 64 * 1024, 64 * 1024);
    let mut stack = Stack::start(Opts {
        endpoints,
        workers: 2,
        ..Opts::default()
    });

    let started = Instant::now();
    let run_id = stack.start_run(&copy_spec(name, &src, &dst, &names, chain(chain_len))).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while count_files(&dst) < 100 {
        assert!(Instant::now() < deadline, "the copy did not start within 60 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = stack.run(&run_id).await.expect("run");
    assert!(
        !["succeeded", "failed", "cancelled"].contains(&before["state"].as_str().unwrap_or_default()),
        "the run ended before the restart: {before}"
    );
    let t = Instant::now();
    server.restart();
    let after = stack.run(&run_id).await;
    eprintln!(
        "{name}: restarted in {:?}, {:?} after the run started, with {} files copied; before: {}; after: {}",
        t.elapsed(),
        started.elapsed() - t.elapsed(),
        count_files(&dst),
        before["progress"],
        after.as_ref().map_or("API unavailable".to_string(), |r| format!("{} {}", r["state"], r["progress"]))
    );
    // The run must outlast the restart, or the test proves nothing.
    if let Some(after) = &after {
        assert_eq!(after["state"], "running", "the run did not outlast the restart: {after}");
    }

    let run = stack.wait_run(&run_id, Duration::from_secs(80)).await;
    eprintln!("{name}: the run took {:?}", started.elapsed());
    assert_eq!(run["state"], "succeeded", "{run}");
    assert_eq!(run["progress"]["tasks_succeeded"], (8 + chain_len + 1) as u64, "{run}");
    assert_same_tree(&src, &dst);
    assert_copied_and_consistent(&stack, &run_id, 2000).await;
    stack.assert_all_alive();
    drop(stack);
    drop(server);
}

#[tokio::test]
async fn redis_restart_mid_run() {
    let _serial = serial();
    restart_mid_run(Private::Redis(PrivateRedis::start()), "redis-restart").await;
}

#[tokio::test]
async fn postgres_restart_mid_run() {
    let _serial = serial();
    restart_mid_run(Private::Postgres(PrivatePostgres::start()), "postgres-restart").await;
}

#[tokio::test]
async fn rabbitmq_restart_mid_run() {
    let _serial = serial();
    restart_mid_run(Private::Rabbit(PrivateRabbit::start()), "rabbitmq-restart").await;
}
