//! `ferry bench notify`: how fast a notifier turns events into webhook calls.
//!
//! 1. **Latency.** Runs of a one-task pipeline are started at `--rate / 2` per second for
//!    `--hold` (each run raises `run.started` and `run.succeeded`, so `--rate` events per
//!    second), on the embedded or the distributed stack; a notifier (in this process
//!    when embedded, a `ferry notifier` child process when distributed) delivers each to a
//!    signed webhook channel whose receiver runs here. Latency is the receiver's clock
//!    minus the event's time (the state change's, stamped by the orchestrator before its
//!    commit). Prints p50/p99/max and lost/doubled events.
//! 2. **Throughput.** `--burst` events are put in the outbox at once; prints how many
//!    notifications per second the one notifier delivers to the local receiver.

use super::bench_stack::{BenchStack, StackArgs};
use super::bench_wait::cpu_seconds_of;
use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use chrono::{DateTime, SubsecRound, Utc};
use clap::Args;
use ferry_common::notify::{EventKind, NotifyRule};
use ferry_common::sealed::MasterKey;
use ferry_common::spec::{Defaults, NoopTask, PipelineSpec, TaskBody, TaskSpec};
use ferry_store::{ChannelRow, DEFAULT_TENANT, NewEvent};
use std::collections::HashMap;
use std::process::{Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Arguments of `ferry bench notify`.
#[derive(Args, Debug)]
pub(crate) struct NotifyArgs {
    /// Events per second during the latency phase (two per run).
    #[arg(long, default_value_t = 100)]
    rate: u32,
    /// How long events are raised.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    hold: Duration,
    /// Events put in the outbox at once for the throughput phase (0 skips it).
    #[arg(long, default_value_t = 5000)]
    burst: usize,
    #[command(flatten)]
    stack: StackArgs,
}

/// What the receiver saw: per event id, how often, and the first latency.
type Seen = Arc<Mutex<HashMap<String, (u32, f64)>>>;

async fn receive(State(seen): State<Seen>, body: Bytes) -> StatusCode {
    let now = Utc::now();
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&body) else { return StatusCode::BAD_REQUEST };
    let id = doc["id"].as_str().unwrap_or_default().to_string();
    let at = doc["at"].as_str().and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.with_timezone(&Utc));
    let latency = at.map(|t| (now - t).num_microseconds().unwrap_or(0) as f64 / 1000.0).unwrap_or(f64::NAN);
    let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
    let entry = seen.entry(id).or_insert((0, latency));
    entry.0 += 1;
    StatusCode::OK
}

pub(crate) async fn notify(a: NotifyArgs) -> anyhow::Result<ExitCode> {
    let stack = BenchStack::start(&a.stack).await?;
    let seen: Seen = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let app = Router::new().route("/hook", post(receive)).with_state(seen.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let key_text = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>())
    };
    let key = MasterKey::from_base64(&key_text).map_err(anyhow::Error::msg)?;
    let now = Utc::now().trunc_subsecs(6);
    let channel = format!("bench-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    stack
        .store
        .create_channel(&ChannelRow {
            id: uuid::Uuid::now_v7(),
            tenant_id: DEFAULT_TENANT,
            name: channel.clone(),
            kind: "webhook".into(),
            config: serde_json::json!({"url": url, "format": "json"}),
            secret: Some(key.seal(b"bench-secret")),
            created_at: now,
            updated_at: now,
        })
        .await?;
    let spec = PipelineSpec {
        name: "bench-notify".into(),
        description: None,
        defaults: Defaults::default(),
        bandwidth: None,
        schedule: None,
        schedules: Vec::new(),
        triggers: Vec::new(),
        notify: vec![NotifyRule { on: vec!["run.started".into(), "run.succeeded".into()], channels: vec![channel.clone()] }],
        alerts: None,
        tasks: vec![TaskSpec::new("a", TaskBody::Noop(NoopTask::default()))],
    };
    let pipeline = stack.create_pipeline(&spec).await?;

    // The notifier: a process of its own on the distributed stack, as deployed.
    let shutdown = tokio_util::sync::CancellationToken::new();
    let mut child = None;
    if a.stack.distributed() {
        let urls = a.stack.urls();
        let c = Command::new(std::env::current_exe()?)
            .arg("notifier")
            .env("FERRY_DATABASE_URL", urls.database.clone().context("the distributed stack needs FERRY_DATABASE_URL")?)
            .env("FERRY_REDIS_URL", &urls.redis)
            .env("FERRY_REDIS_PREFIX", stack.redis_prefix.clone().unwrap_or_default())
            .env("FERRY_MASTER_KEY", &key_text)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting the notifier process")?;
        child = Some(c);
    } else {
        let notifier = ferry_notifier::Notifier::new(stack.store.clone(), stack.coordinator.clone(), ferry_notifier::NotifierConfig::default(), Some(key))?;
        let token = shutdown.clone();
        tokio::spawn(async move {
            let _ = notifier.run(token).await;
        });
    }
    let where_ = if child.is_some() { "a `ferry notifier` process" } else { "an in-process notifier" };
    println!("bench notify: {} events/s for {} through {where_}, {}", a.rate, humantime::format_duration(a.hold), stack.label);

    // Latency: runs at rate/2 per second, each raising two events.
    let runs_per_sec = (a.rate / 2).max(1);
    let every = Duration::from_secs_f64(1.0 / f64::from(runs_per_sec));
    let cpu0 = child.as_ref().map(|c| cpu_seconds_of(&c.id().to_string()));
    let started = Instant::now();
    let mut runs = 0u64;
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    while started.elapsed() < a.hold {
        tick.tick().await;
        stack.store.create_run(DEFAULT_TENANT, pipeline.id, &pipeline.spec).await?;
        stack.orchestrator.wake();
        runs += 1;
    }
    let raised = Instant::now();
    let expected = runs as usize * 2;
    while seen.lock().map(|s| s.len()).unwrap_or(0) < expected && raised.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let cpu = match (&child, cpu0) {
        (Some(c), Some(c0)) => Some(cpu_seconds_of(&c.id().to_string()) - c0),
        _ => None,
    };
    let (mut lat, doubled): (Vec<f64>, u32) = {
        let s = seen.lock().unwrap_or_else(|p| p.into_inner());
        (s.values().map(|(_, l)| *l).collect(), s.values().map(|(n, _)| n - 1).sum())
    };
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat.get(((lat.len() as f64 * p).ceil() as usize).saturating_sub(1)).copied().unwrap_or(f64::NAN);
    println!("  events: {expected} raised by {runs} runs; delivered {} ({} lost, {doubled} doubled)", lat.len(), expected.saturating_sub(lat.len()));
    println!("  event → webhook latency: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms", pct(0.50), pct(0.99), pct(1.0));
    if let Some(cpu) = cpu {
        println!("  notifier process CPU: {cpu:.1} s over {:.0} s ({:.0}% of one core)", a.hold.as_secs_f64(), 100.0 * cpu / a.hold.as_secs_f64());
    }

    // Throughput: a burst in the outbox, drained by the one notifier.
    if a.burst > 0 {
        seen.lock().unwrap_or_else(|p| p.into_inner()).clear();
        let at = Utc::now();
        let events: Vec<NewEvent> = (0..a.burst)
            .map(|i| {
                let mut e = NewEvent::about_run(EventKind::RunSucceeded, DEFAULT_TENANT, pipeline.id, uuid::Uuid::now_v7(), at, serde_json::json!({"n": i}));
                e.run_id = None;
                e
            })
            .collect();
        let t0 = Instant::now();
        stack.store.emit_events(&events).await?;
        while seen.lock().map(|s| s.len()).unwrap_or(0) < a.burst && t0.elapsed() < Duration::from_secs(300) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let got = seen.lock().map(|s| s.len()).unwrap_or(0);
        let secs = t0.elapsed().as_secs_f64();
        println!("  throughput: {got} of {} notifications delivered in {secs:.2} s = {:.0} notifications/s (one notifier, 8 calls at once per channel)", a.burst, got as f64 / secs);
    }

    shutdown.cancel();
    if let Some(mut c) = child {
        let _ = Command::new("kill").arg("-TERM").arg(c.id().to_string()).status();
        let _ = c.wait();
    }
    stack.store.delete_pipeline(DEFAULT_TENANT, pipeline.id).await?;
    stack.store.delete_channel(DEFAULT_TENANT, &channel).await?;
    stack.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
