//! `ferry bench noop|chain|wait|schedules`: what orchestration costs, measured end to end on the
//! embedded default (SQLite in a fresh temporary folder, in-process broker): from the
//! moment a run is created to the moment its final state is committed.

use anyhow::Context;
use clap::{Args, Subcommand};
use super::bench_stack::{BenchStack, StackArgs};
use ferry_common::spec::{Defaults, NoopTask, PipelineSpec, TaskBody, TaskSpec};
use ferry_common::state::RunState;
use ferry_store::{DEFAULT_TENANT, PipelineRow};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The benchmarks.
#[derive(Subcommand, Debug)]
pub(crate) enum BenchCommand {
    /// One root task fanning out to N no-op tasks; prints tasks/s.
    Noop(NoopArgs),
    /// A chain of N no-op steps, each waiting for the previous; prints end-to-end time.
    Chain(ChainArgs),
    /// N `wait` sensors on a file that never appears, held for a while; prints what
    /// waiting costs (orchestrator CPU, database statements, worker slots).
    Wait(super::bench_wait::WaitArgs),
    /// N one-task pipelines firing every second; prints slots fired against expected,
    /// the fire lag p50/p99 and the orchestrator's CPU.
    Schedules(super::bench_schedules::SchedulesArgs),
    /// Event → webhook latency at a steady rate, and notifications/s of one notifier.
    Notify(super::bench_notify::NotifyArgs),
}

/// Arguments of `ferry bench noop`.
#[derive(Args, Debug)]
pub(crate) struct NoopArgs {
    /// Fan-out width.
    #[arg(long, default_value_t = 10_000)]
    tasks: usize,
    /// Runs to measure (the median is reported).
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    #[command(flatten)]
    stack: StackArgs,
}

/// Arguments of `ferry bench chain`.
#[derive(Args, Debug)]
pub(crate) struct ChainArgs {
    /// Steps in the chain.
    #[arg(long, default_value_t = 40)]
    steps: usize,
    /// Runs to measure (the median is reported).
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    #[command(flatten)]
    stack: StackArgs,
}

pub(crate) async fn execute(cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        BenchCommand::Noop(a) => noop(a).await,
        BenchCommand::Chain(a) => chain(a).await,
        BenchCommand::Wait(a) => super::bench_wait::wait(a).await,
        BenchCommand::Schedules(a) => super::bench_schedules::schedules(a).await,
        BenchCommand::Notify(a) => super::bench_notify::notify(a).await,
    }
}

fn noop_task(id: String, depends_on: Vec<String>) -> TaskSpec {
    TaskSpec { depends_on, ..TaskSpec::new(id, TaskBody::Noop(NoopTask {})) }
}

async fn noop(a: NoopArgs) -> anyhow::Result<ExitCode> {
    let mut tasks = vec![noop_task("root".into(), vec![])];
    tasks.extend((0..a.tasks).map(|i| noop_task(format!("t{i}"), vec!["root".into()])));
    let total = tasks.len();
    let spec = PipelineSpec {
        name: "bench-noop".into(),
        description: None,
        defaults: Defaults::default(),
        bandwidth: None,
        schedule: None,
        schedules: Vec::new(),
        triggers: Vec::new(),
        notify: Vec::new(),
        alerts: None,
        tasks,
    };
    let stack = BenchStack::start(&a.stack).await?;
    println!("bench noop: 1 root → {} no-op tasks ({total} in all), {}", a.tasks, stack.label);
    let pipeline = stack.create_pipeline(&spec).await?;
    let mut rates = Vec::new();
    for i in 1..=a.repeat.max(1) {
        let (took, run_id) = one_run(&stack, &pipeline).await?;
        let rate = total as f64 / took.as_secs_f64();
        let (p50, p99) = latency(&stack, run_id).await?;
        println!(
            "  run {i}: {:>8.1} ms  {:>8.0} tasks/s   task latency queued→finished p50 {p50:.1} ms, p99 {p99:.1} ms",
            took.as_secs_f64() * 1000.0,
            rate
        );
        rates.push(rate);
    }
    let rate = median(&mut rates);
    println!("median: {rate:.0} tasks/s");
    stack.shutdown().await;
    if a.stack.distributed() {
        print_ceiling(&a.stack.amqp_url(), total, rate).await?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn chain(a: ChainArgs) -> anyhow::Result<ExitCode> {
    let steps = a.steps.max(1);
    let tasks = (0..steps)
        .map(|i| noop_task(format!("s{i}"), if i == 0 { vec![] } else { vec![format!("s{}", i - 1)] }))
        .collect();
    let spec = PipelineSpec {
        name: "bench-chain".into(),
        description: None,
        defaults: Defaults::default(),
        bandwidth: None,
        schedule: None,
        schedules: Vec::new(),
        triggers: Vec::new(),
        notify: Vec::new(),
        alerts: None,
        tasks,
    };
    let stack = BenchStack::start(&a.stack).await?;
    println!("bench chain: {steps} no-op steps in sequence, {}", stack.label);
    let pipeline = stack.create_pipeline(&spec).await?;
    let mut times = Vec::new();
    for i in 1..=a.repeat.max(1) {
        let (took, _) = one_run(&stack, &pipeline).await?;
        let ms = took.as_secs_f64() * 1000.0;
        println!("  run {i}: {ms:>7.1} ms end to end ({:.2} ms/step)", ms / steps as f64);
        times.push(ms);
    }
    let m = median(&mut times);
    println!("median: {m:.1} ms for {steps} steps ({:.2} ms/step)", m / steps as f64);
    stack.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// Measures what RabbitMQ alone does with as many small persistent, confirmed messages
/// (publish → consume → ack through lapin), and prints Ferry's rate as a share of it.
async fn print_ceiling(amqp_url: &str, n: usize, ferry_rate: f64) -> anyhow::Result<()> {
    let took = ferry_amqp::raw_round_trip(amqp_url, "ferry.bench.raw", n, 256).await?;
    let raw = n as f64 / took.as_secs_f64();
    println!(
        "raw RabbitMQ ceiling (lapin, {n} persistent confirmed 256 B messages, publish → consume → ack): {raw:.0} msg/s; Ferry runs {ferry_rate:.0} tasks/s = {:.0}% of it",
        ferry_rate / raw * 100.0
    );
    Ok(())
}

/// Creates a run and waits for its terminal state; the time between the two.
async fn one_run(stack: &BenchStack, pipeline: &PipelineRow) -> anyhow::Result<(Duration, Uuid)> {
    let mut updates = stack.orchestrator.subscribe();
    let started = Instant::now();
    let run = stack.store.create_run(DEFAULT_TENANT, pipeline.id, &pipeline.spec).await?;
    stack.orchestrator.wake();
    loop {
        let u = tokio::time::timeout(Duration::from_secs(600), updates.recv())
            .await
            .context("the run did not finish within 10 minutes")??;
        if u.run_id == run.id {
            anyhow::ensure!(u.state == RunState::Succeeded, "benchmark run ended {}", u.state);
            return Ok((started.elapsed(), run.id));
        }
    }
}

/// p50 and p99 of queued → succeeded per task, in ms, from the recorded transitions.
async fn latency(stack: &BenchStack, run_id: Uuid) -> anyhow::Result<(f64, f64)> {
    let transitions = stack.store.list_transitions(run_id).await?;
    let mut queued = std::collections::HashMap::new();
    let mut lat = Vec::new();
    for t in transitions {
        let Some(task) = t.task_id else { continue };
        match t.to_state.as_str() {
            "queued" => {
                queued.insert(task, t.at);
            }
            "succeeded" => {
                if let Some(q) = queued.get(&task) {
                    lat.push((t.at - *q).num_microseconds().unwrap_or(0) as f64 / 1000.0);
                }
            }
            _ => {}
        }
    }
    if lat.is_empty() {
        return Ok((0.0, 0.0));
    }
    lat.sort_by(f64::total_cmp);
    let pick = |q: f64| lat[((lat.len() as f64 - 1.0) * q).round() as usize];
    Ok((pick(0.5), pick(0.99)))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
