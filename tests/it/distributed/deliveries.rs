//! Deliveries to several clusters on the distributed stack, against the real S3 server
//! (SeaweedFS, behind a gate that stops it) and the Azure emulator: one copy with a local
//! sync destination and two async ones. While S3 is down the runs succeed, run 2's S3
//! delivery queues behind run 1's, the source is deleted, and when S3 comes back both
//! deliveries complete in order from the local copy. Then every worker and the
//! orchestrator are killed with a delivery pending, and it completes once after the
//! restart; and a destination that stays down past `deliver_within` ends `failed`.

use super::port_gate::PortGate;
use super::servers::free_port;
use super::stack::{Opts, Stack, serial};
use crate::backends::{azurite_connection, prefix, require_stores, s3};
use crate::fixtures::{read_tree, write_tree};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use object_store::{ObjectStore, ObjectStoreExt};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

/// How long an async delivery may take to reach a state: one S3 attempt against a closed
/// port retries inside object_store for about a minute before it fails.
const DELIVERY_WAIT: Duration = Duration::from_secs(240);

fn connections(dir: &Path, gate: u16, dead: u16) -> String {
    let s3 = |name: &str, port: u16| {
        format!("{name}:\n  endpoint: http://127.0.0.1:{port}\n  region: us-east-1\n  access_key_id: ferry\n  secret_access_key: ${{FERRY_IT_S3_SECRET}}\n  allow_http: true\n")
    };
    let text = format!("{}{}{}", s3("b", gate), s3("dead", dead), azurite_connection("c", 10000));
    let path = dir.join("connections.yaml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

async fn deliveries(stack: &Stack, run: &str, destination: &str) -> Vec<Value> {
    let (s, page) = stack.get(&format!("/api/v1/deliveries?destination={destination}&limit=500")).await;
    assert_eq!(s, 200, "{page}");
    page["items"].as_array().unwrap().iter().filter(|d| d["run_id"] == run).cloned().collect()
}

/// Polls the one delivery of `run` to `destination` until `ok` holds.
async fn wait_delivery(stack: &Stack, run: &str, destination: &str, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + DELIVERY_WAIT;
    loop {
        let found = deliveries(stack, run, destination).await;
        assert!(found.len() <= 1, "one delivery per run and destination: {found:?}");
        if let Some(d) = found.first().filter(|d| ok(d)) {
            return d.clone();
        }
        assert!(Instant::now() < deadline, "run {run}'s delivery to {destination} never became {what}: {found:?}\n{}", stack.log_tails(30));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn start(stack: &Stack, pipeline: &str) -> String {
    let (s, run) = stack.post_json(&format!("/api/v1/pipelines/{pipeline}/runs"), &json!({})).await;
    assert_eq!(s, 202, "{run}");
    run["id"].as_str().unwrap().to_owned()
}

async fn create(stack: &Stack, spec: &Value) -> String {
    let (s, p) = stack.post_json("/api/v1/pipelines", spec).await;
    assert_eq!(s, 201, "{p}");
    p["id"].as_str().unwrap().to_owned()
}

fn at(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap_or_else(|| panic!("a time: {v}")).parse().unwrap()
}

/// The objects under `prefix` in the shared bucket, as (relative path, bytes).
async fn s3_tree(prefix: &str) -> Vec<(String, Vec<u8>)> {
    let store = s3();
    let root = object_store::path::Path::from(prefix);
    let metas: Vec<_> = store.list(Some(&root)).try_collect().await.unwrap();
    let mut out = Vec::new();
    for m in metas {
        let bytes = store.get(&m.location).await.unwrap().bytes().await.unwrap();
        out.push((m.location.as_ref()[prefix.len() + 1..].to_owned(), bytes.to_vec()));
    }
    out.sort();
    out
}

fn sorted(mut tree: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    tree.sort();
    tree
}

#[tokio::test]
async fn async_deliveries_outlast_a_stopped_s3_in_order_read_the_source_once_and_survive_restarts() {
    let _serial = serial();
    require_stores();
    let tmp = tempfile::tempdir().unwrap();
    let (src, lake) = (tmp.path().join("src"), tmp.path().join("lake"));
    write_tree(&src, &[("2026/a.csv", "a1"), ("2026/b.csv", "b1")]);
    let mut gate = PortGate::closed(8333);
    let conns = connections(tmp.path(), gate.port, free_port());
    let env = vec![("FERRY_CONNECTIONS".into(), conns), ("FERRY_IT_S3_SECRET".into(), "ferrysecret".into())];
    let mut stack = Stack::start(Opts { workers: 2, env, ..Opts::default() });
    let p = prefix("deliveries");
    let (s3_url, az_url, lake_url) = (format!("s3://lake/{p}/"), format!("az://ferry/{p}/"), format!("{}/", lake.display()));

    // A copy whose destinations are all async has nothing to read them from.
    let only_async = json!({"name": "nowhere", "tasks": [{"id": "x", "kind": "copy", "source": format!("{}/", src.display()),
        "destinations": [{"url": s3_url, "connection": "b", "delivery": "async"}]}]});
    let (s, refused) = stack.post_json("/api/v1/pipelines", &only_async).await;
    assert_eq!(s, 422, "{refused}");
    assert!(refused.to_string().contains("first sync destination"), "{refused}");

    let import = create(&stack, &json!({"name": "orders-import", "tasks": [{
        "id": "orders", "kind": "copy", "source": format!("{}/", src.display()), "dataset": "orders", "incremental": true,
        "destinations": [lake_url, {"url": s3_url, "connection": "b", "delivery": "async"},
                         {"url": az_url, "connection": "c", "delivery": "async", "deliver_within": "24h"}]}]})).await;
    // A destination that never comes up, with a short window.
    let doomed_dir = tmp.path().join("doomed");
    let doomed = create(&stack, &json!({"name": "doomed", "tasks": [{"id": "d", "kind": "copy", "source": format!("{}/", src.display()),
        "destinations": [format!("{}/", doomed_dir.display()), {"url": format!("s3://lake/{p}-dead/"), "connection": "dead", "delivery": "async", "deliver_within": "3s"}]}]})).await;
    let doomed_run = start(&stack, &doomed).await;
    // Cluster B's own pipeline waits for its copy, not for the import.
    let on_b = create(&stack, &json!({"name": "on-cluster-b", "tasks": [{"id": "ready", "kind": "wait",
        "until": [{"fresh": {"dataset": "orders", "destination": s3_url, "within": "1h"}}], "wait": {"poke": "1s", "timeout": "10m"}}]})).await;

    // Run 1 with S3 down: the task succeeds; its S3 delivery retries, Azure's completes.
    let run1 = start(&stack, &import).await;
    assert_eq!(stack.wait_run(&run1, Duration::from_secs(60)).await["state"], "succeeded");
    let waiting = start(&stack, &on_b).await;
    let d1 = wait_delivery(&stack, &run1, &s3_url, "retrying", |d| d["state"] == "retrying").await;
    assert!(d1["last_error"].as_str().is_some_and(|e| !e.is_empty()), "{d1}");
    assert_eq!(d1["blocked_by"], Value::Null);
    wait_delivery(&stack, &run1, &az_url, "delivered", |d| d["state"] == "delivered").await;
    let task = stack.tasks(&run1).await.remove(0);
    let states: Vec<(&str, &str)> = task["destinations"].as_array().unwrap().iter().map(|d| (d["delivery"].as_str().unwrap(), d["state"].as_str().unwrap())).collect();
    assert_eq!(states.len(), 3, "{task}");
    assert_eq!(states[0], ("sync", "delivered"), "{task}");
    assert!(["retrying", "running"].contains(&states[1].1), "{task}");
    let dataset = stack.get_ok("/api/v1/datasets/orders", Duration::from_secs(10)).await;
    let marked: Vec<&str> = dataset["destinations"].as_array().unwrap().iter().map(|m| m["destination"].as_str().unwrap()).collect();
    assert!(marked.contains(&lake_url.as_str()) && !marked.contains(&s3_url.as_str()), "S3 holds nothing yet: {dataset}");

    // Run 2 (b.csv rewritten, c.csv new) succeeds locally; its S3 delivery queues behind run 1's.
    write_tree(&src, &[("2026/b.csv", "b2-longer"), ("2026/c.csv", "c2")]);
    let run2 = start(&stack, &import).await;
    assert_eq!(stack.wait_run(&run2, Duration::from_secs(60)).await["state"], "succeeded");
    let d1_id = d1["id"].as_str().unwrap();
    wait_delivery(&stack, &run2, &s3_url, "queued behind run 1's", |d| d["state"] == "pending" && d["blocked_by"] == d1_id).await;
    let sensor = stack.tasks(&waiting).await.remove(0);
    assert_eq!(sensor["state"], "waiting", "{sensor}");

    // The source goes away; S3 comes back: both deliveries complete, in order, from the lake.
    std::fs::remove_dir_all(&src).unwrap();
    gate.open();
    let d1 = wait_delivery(&stack, &run1, &s3_url, "delivered", |d| d["state"] == "delivered").await;
    let d2 = wait_delivery(&stack, &run2, &s3_url, "delivered", |d| d["state"] == "delivered").await;
    assert!(at(&d1["finished_at"]) <= at(&d2["started_at"]), "run 1's delivery finished first: {d1} {d2}");
    assert_eq!(d1["result"]["changed"], json!(["2026/b.csv"]), "run 2 had rewritten b.csv at the lake: {d1}");
    assert_eq!(s3_tree(&p).await, sorted(read_tree(&lake)), "S3 holds what the lake holds");
    let dataset = stack.get_ok("/api/v1/datasets/orders", Duration::from_secs(10)).await;
    let marker = dataset["destinations"].as_array().unwrap().iter().find(|m| m["destination"] == s3_url.as_str()).cloned().expect("an S3 marker");
    assert_eq!(marker["run_id"], run2.as_str(), "{marker}");
    assert_eq!(at(&marker["delivered_at"]), at(&d2["finished_at"]));
    let sensed = stack.wait_run(&waiting, Duration::from_secs(60)).await;
    assert_eq!(sensed["state"], "succeeded", "{sensed}");
    assert!(at(&sensed["finished_at"]) >= at(&d1["finished_at"]), "the wait ended only once S3 had the data: {sensed}");

    // Killed with a delivery pending: it completes once after the restart.
    gate.close();
    write_tree(&src, &[("2026/d.csv", "d3")]);
    let run3 = start(&stack, &import).await;
    assert_eq!(stack.wait_run(&run3, Duration::from_secs(60)).await["state"], "succeeded");
    wait_delivery(&stack, &run3, &s3_url, "attempted", |d| d["attempts"].as_u64() >= Some(1)).await;
    for i in 0..stack.workers.len() {
        stack.kill_9_worker(i);
    }
    stack.kill_9_orchestrator(0);
    gate.open();
    stack.start_orchestrator();
    stack.start_worker();
    stack.start_worker();
    let d3 = wait_delivery(&stack, &run3, &s3_url, "delivered", |d| d["state"] == "delivered").await;
    assert_eq!(d3["result"]["files_copied"], 1, "{d3}");
    let delivered_rows = stack.psql(&format!("SELECT count(*) FROM deliveries WHERE run_id = '{run3}' AND destination = '{s3_url}'"));
    assert_eq!(delivered_rows.trim(), "1");
    assert_eq!(s3_tree(&p).await, sorted(read_tree(&lake)));

    // The destination that never came up fails once its window has passed.
    let dead = format!("s3://lake/{p}-dead/");
    let failed = wait_delivery(&stack, &doomed_run, &dead, "failed", |d| d["state"] == "failed").await;
    assert!(failed["last_error"].as_str().unwrap().contains("deliver_within"), "{failed}");
    let events = stack.psql("SELECT count(*) FROM events WHERE kind = 'delivery.failed'");
    assert_eq!(events.trim(), "1", "one delivery.failed event");
}
