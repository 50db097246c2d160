//! `ferry bench wait`: what sensors cost while they wait. N `wait` tasks on a file that
//! never appears are held for a while; the benchmark prints the CPU time this process
//! (the orchestrator, and the idle in-process workers when embedded) spent, the database
//! statements sent, and the most worker slots in use at any sample (the promise is 0).

use super::bench_stack::{BenchStack, StackArgs};
use super::summary::all_tasks;
use clap::Args;
use ferry_common::conditions::{Condition, WaitPolicy};
use ferry_common::location::Location;
use ferry_common::spec::{Defaults, HumanDuration, PipelineSpec, TaskBody, TaskSpec, WaitTask};
use ferry_common::state::TaskState;
use ferry_store::DEFAULT_TENANT;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Arguments of `ferry bench wait`.
#[derive(Args, Debug)]
pub(crate) struct WaitArgs {
    /// Sensors waiting at once.
    #[arg(long, default_value_t = 1_000)]
    tasks: usize,
    /// How long they wait while measured.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    hold: Duration,
    /// Time between two checks of each sensor.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    poke: Duration,
    #[command(flatten)]
    stack: StackArgs,
}

pub(crate) async fn wait(a: WaitArgs) -> anyhow::Result<ExitCode> {
    let dir = tempfile::tempdir()?;
    let never = dir.path().join("never-there");
    // Each sensor its own file, so no two share a check: the worst case for the checker.
    let tasks = (0..a.tasks)
        .map(|i| {
            let until = vec![Condition::Exists(Location::url(format!("{}-{i}", never.display())))];
            let mut t = TaskSpec::new(format!("sensor-{i}"), TaskBody::Wait(WaitTask { until }));
            t.wait = Some(WaitPolicy { poke: HumanDuration(a.poke), timeout: HumanDuration::from_secs(24 * 3600), ..WaitPolicy::default() });
            t
        })
        .collect();
    let spec = PipelineSpec { name: "bench-wait".into(), description: None, defaults: Defaults::default(), bandwidth: None, schedule: None, schedules: Vec::new(), triggers: Vec::new(), notify: Vec::new(), alerts: None, tasks };
    let stack = BenchStack::start(&a.stack).await?;
    println!("bench wait: {} sensors on files that never appear, poke {}, {}", a.tasks, humantime::format_duration(a.poke), stack.label);
    let pipeline = stack.create_pipeline(&spec).await?;
    let run = stack.store.create_run(DEFAULT_TENANT, pipeline.id, &pipeline.spec).await?;
    stack.orchestrator.wake();
    let settle = Instant::now() + Duration::from_secs(120);
    loop {
        let waiting = all_tasks(&stack.store, &run).await?.iter().filter(|t| t.state == TaskState::Waiting && t.wait_deadline.is_some()).count();
        if waiting == a.tasks {
            break;
        }
        anyhow::ensure!(Instant::now() < settle, "only {waiting} of {} sensors were waiting after 120 s", a.tasks);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let (cpu0, statements0, started) = (cpu_seconds(), stack.store.statements_run(), Instant::now());
    let mut most_slots = 0;
    while started.elapsed() < a.hold {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let workers = stack.coordinator.live_workers().await?;
        most_slots = most_slots.max(workers.iter().map(|w| w.running.len()).sum::<usize>());
    }
    let (cpu, statements, held) = (cpu_seconds() - cpu0, stack.store.statements_run() - statements0, started.elapsed().as_secs_f64());
    println!("  held {held:.0} s: every sensor checked about {:.0} times", held / a.poke.as_secs_f64());
    println!("  orchestrator process CPU: {cpu:.2} s ({:.1}% of one core)", cpu / held * 100.0);
    println!("  database statements: {statements} ({:.2}/s)", statements as f64 / held);
    println!("  worker slots in use (most at any 1 s sample): {most_slots}");
    stack.store.request_cancel(DEFAULT_TENANT, run.id).await?;
    stack.orchestrator.wake();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stack.shutdown().await;
    Ok(if most_slots == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// User + system CPU time of this process so far, from /proc (Linux).
pub(crate) fn cpu_seconds() -> f64 {
    cpu_seconds_of("self")
}

/// CPU seconds (user + system) process `pid` (or `self`) has used so far.
pub(crate) fn cpu_seconds_of(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at `) `.
    let rest = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line (11 and 12 after the name).
    (ticks(11) + ticks(12)) / clock_ticks()
}

fn clock_ticks() -> f64 {
    // sysconf(_SC_CLK_TCK) is 100 on every Linux this runs on.
    100.0
}
