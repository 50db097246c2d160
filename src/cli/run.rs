//! `ferry run SPEC`: one pipeline, to completion, on the embedded default.

use super::common_args::EmbeddedArgs;
use super::progress::RunBars;
use super::{spec_file, summary};
use anyhow::Context;
use clap::Args as ClapArgs;
use ferry::embedded::Embedded;
use ferry_common::spec::PipelineSpec;
use ferry_common::state::RunState;
use ferry_store::{DEFAULT_TENANT, PageRequest, PipelineRow, Store, StoreError};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `ferry run`.
#[derive(ClapArgs, Debug)]
pub(crate) struct Args {
    /// The pipeline spec (YAML or JSON). Relative paths in it are read from its folder.
    spec: PathBuf,
    #[command(flatten)]
    embedded: EmbeddedArgs,
    /// No progress bars (they are hidden anyway when stderr is not a terminal).
    #[arg(long)]
    no_progress: bool,
    /// Decide what every copy would copy, skip or delete, and why, without writing or
    /// deleting anything; prints the decisions.
    #[arg(long)]
    dry_run: bool,
}

pub(crate) async fn execute(args: Args) -> anyhow::Result<ExitCode> {
    let spec = match spec_file::load(&args.spec) {
        Ok(spec) => spec,
        Err(e) => {
            spec_file::report(&args.spec, &e);
            return Ok(ExitCode::from(2));
        }
    };
    let stack = Embedded::start(&args.embedded.options()).await?;
    let outcome = run_to_end(&stack, &spec, !args.no_progress, args.dry_run).await;
    stack.shutdown().await;
    let state = outcome?;
    Ok(if state == RunState::Succeeded { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

pub(super) async fn run_to_end(stack: &Embedded, spec: &PipelineSpec, progress: bool, dry_run: bool) -> anyhow::Result<RunState> {
    let store = &stack.store;
    let pipeline = upsert_pipeline(store, spec).await?;
    let mut updates = stack.orchestrator.subscribe();
    // A dry run is a run of the stored pipeline with every copy told not to write; the
    // stored spec stays as written.
    let run_spec = if dry_run { serde_json::to_value(as_dry_run(spec))? } else { pipeline.spec.clone() };
    let run = store.create_run(DEFAULT_TENANT, pipeline.id, &run_spec).await?;
    stack.orchestrator.wake();
    let bars = RunBars::new(spec.tasks.len(), progress);
    // Only a run with a migration or a sync has pass figures to show.
    let passes = progress && spec.tasks.iter().any(|t| matches!(t.body.kind(), "migrate" | "sync"));
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let mut cancel_sent = false;
    loop {
        tokio::select! {
            update = updates.recv() => match update {
                Ok(u) if u.run_id == run.id => break,
                Ok(_) => {}
                Err(_) => {
                    // Lagged or closed: look at the stored state instead.
                    if store.get_run(DEFAULT_TENANT, run.id).await?.is_some_and(|r| r.state.is_terminal()) {
                        break;
                    }
                }
            },
            _ = tick.tick() => {
                if let Some(p) = store.run_progress(&[run.id]).await?.get(&run.id) {
                    bars.update(p);
                }
                if passes {
                    bars.passes(super::progress::pass_line(stack, run.id).await);
                }
            }
            _ = tokio::signal::ctrl_c(), if !cancel_sent => {
                eprintln!("cancelling run {} (Ctrl-C again to quit at once)", run.id);
                store.request_cancel(DEFAULT_TENANT, run.id).await?;
                stack.orchestrator.wake();
                cancel_sent = true;
            }
        }
    }
    let final_run = store.get_run(DEFAULT_TENANT, run.id).await?.context("the run disappeared")?;
    if let Some(p) = store.run_progress(&[run.id]).await?.get(&run.id) {
        bars.finish(p);
    }
    let tasks = summary::all_tasks(store, &final_run).await?;
    summary::print(&final_run, &tasks, 50);
    super::run_deliveries::settle(store, &final_run).await?;
    Ok(final_run.state)
}

/// The spec with every task that changes data turned into a dry run. Post-conditions are
/// dropped (a dry run writes nothing for them to find); pre-conditions and sensors still
/// gate, as they would for real.
fn as_dry_run(spec: &PipelineSpec) -> PipelineSpec {
    let mut spec = spec.clone();
    for task in &mut spec.tasks {
        task.body.as_kind_mut().body_set_dry_run();
        task.post.clear();
    }
    spec
}

/// Stores the spec under its name: created the first time, replaced after, so each
/// `ferry run` of the same file adds a run to the same pipeline's history.
async fn upsert_pipeline(store: &Store, spec: &PipelineSpec) -> anyhow::Result<PipelineRow> {
    let value = serde_json::to_value(spec)?;
    match store.create_pipeline(DEFAULT_TENANT, &spec.name, &value).await {
        Ok(p) => Ok(p),
        Err(StoreError::Conflict(_)) => {
            let existing = find_by_name(store, &spec.name).await?.context("pipeline vanished")?;
            store
                .update_pipeline(DEFAULT_TENANT, existing.id, &spec.name, &value)
                .await?
                .context("pipeline vanished")
        }
        Err(e) => Err(e.into()),
    }
}

async fn find_by_name(store: &Store, name: &str) -> anyhow::Result<Option<PipelineRow>> {
    let mut page = PageRequest { cursor: None, limit: 500 };
    loop {
        let p = store.list_pipelines(DEFAULT_TENANT, &page).await?;
        if let Some(found) = p.items.into_iter().find(|x| x.name == name) {
            return Ok(Some(found));
        }
        match p.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => return Ok(None),
        }
    }
}
