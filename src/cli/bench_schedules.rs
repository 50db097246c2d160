//! `ferry bench schedules`: N one-task pipelines firing every second. Prints the slots
//! fired against those expected (lost and doubled ones), the fire lag (slot time → run
//! recorded) at p50/p99/max, and this process's CPU (the orchestrator; in the
//! distributed stack the workers are other processes).

use super::bench_stack::{BenchStack, StackArgs};
use super::bench_wait::cpu_seconds;
use chrono::{DateTime, Duration as ChronoDuration, DurationRound, Utc};
use clap::Args;
use ferry_common::schedule::{Overlap, ScheduleSpec};
use ferry_common::spec::{Defaults, NoopTask, PipelineSpec, TaskBody, TaskSpec};
use ferry_store::{DEFAULT_TENANT, PageRequest};
use std::collections::HashSet;
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `ferry bench schedules`.
#[derive(Args, Debug)]
pub(crate) struct SchedulesArgs {
    /// Pipelines, each with an every-second schedule.
    #[arg(long, default_value_t = 200)]
    pipelines: usize,
    /// How long slots are measured.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    hold: Duration,
    #[command(flatten)]
    stack: StackArgs,
}

pub(crate) async fn schedules(a: SchedulesArgs) -> anyhow::Result<ExitCode> {
    let stack = BenchStack::start(&a.stack).await?;
    println!("bench schedules: {} pipelines firing every second for {}, {}", a.pipelines, humantime::format_duration(a.hold), stack.label);
    let schedule = ScheduleSpec {
        cron: "* * * * * *".into(),
        timezone: "UTC".into(),
        catchup: Default::default(),
        overlap: Overlap::Allow,
        jitter: None,
        start_at: None,
        end_at: None,
    };
    let spec = PipelineSpec {
        name: "bench-tick".into(),
        description: None,
        defaults: Defaults::default(),
        bandwidth: None,
        schedule: Some(schedule),
        schedules: Vec::new(),
        triggers: Vec::new(),
        notify: Vec::new(),
        alerts: None,
        tasks: vec![TaskSpec::new("a", TaskBody::Noop(NoopTask::default()))],
    };
    let mut pipelines = Vec::with_capacity(a.pipelines);
    for _ in 0..a.pipelines {
        pipelines.push(stack.create_pipeline(&spec).await?);
    }
    // Measure whole seconds, starting once every pipeline is stored and warmed up.
    let start = Utc::now().duration_trunc(ChronoDuration::seconds(1))? + ChronoDuration::seconds(3);
    let end = start + ChronoDuration::from_std(a.hold)?;
    tokio::time::sleep((start - Utc::now()).to_std().unwrap_or_default()).await;
    let cpu0 = cpu_seconds();
    tokio::time::sleep((end - Utc::now()).to_std().unwrap_or_default()).await;
    let cpu = cpu_seconds() - cpu0;
    // Late slots are still recorded: give them a moment before reading the ledger.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for p in &pipelines {
        stack.store.delete_pipeline(DEFAULT_TENANT, p.id).await?;
    }

    let expected = a.pipelines as u64 * a.hold.as_secs();
    let (mut fired, mut doubled, mut other) = (0u64, 0u64, 0u64);
    let mut lags_ms: Vec<i64> = Vec::new();
    let mut runs: Vec<(uuid::Uuid, DateTime<Utc>)> = Vec::new();
    for p in &pipelines {
        let mut seen: HashSet<DateTime<Utc>> = HashSet::new();
        let mut cursor = None;
        loop {
            let page = stack.store.list_firings(DEFAULT_TENANT, p.id, &PageRequest { cursor: cursor.clone(), limit: 500 }).await?;
            for f in page.items.iter().filter(|f| f.slot >= start && f.slot < end) {
                if !seen.insert(f.slot) {
                    doubled += 1;
                } else if let Some(run) = f.run_id {
                    fired += 1;
                    runs.push((run, f.slot));
                } else {
                    other += 1;
                }
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
    }
    // The lag ends when the run row exists: its creation time, written in the same
    // transaction as the slot's ledger row.
    for chunk in runs.chunks(1000) {
        let ids: Vec<uuid::Uuid> = chunk.iter().map(|(id, _)| *id).collect();
        let created: std::collections::HashMap<uuid::Uuid, DateTime<Utc>> =
            stack.store.get_runs(&ids).await?.into_iter().map(|r| (r.id, r.created_at)).collect();
        lags_ms.extend(chunk.iter().filter_map(|(id, slot)| created.get(id).map(|at| (*at - *slot).num_milliseconds())));
    }
    lags_ms.sort_unstable();
    let pct = |q: f64| lags_ms.get(((lags_ms.len() as f64 * q).ceil() as usize).saturating_sub(1)).copied().unwrap_or(0);
    let lost = expected.saturating_sub(fired + other);
    println!("  slots: {fired} fired of {expected} expected; {lost} lost, {doubled} doubled, {other} recorded without a run");
    println!("  fire lag (slot → run recorded): p50 {} ms, p99 {} ms, max {} ms", pct(0.50), pct(0.99), lags_ms.last().copied().unwrap_or(0));
    let held = a.hold.as_secs_f64();
    println!("  orchestrator process CPU: {cpu:.2} s ({:.1}% of one core)", cpu / held * 100.0);
    tokio::time::sleep(Duration::from_secs(2)).await;
    stack.shutdown().await;
    let floor_met = lost == 0 && doubled == 0 && pct(0.99) < 1000;
    Ok(if floor_met { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
