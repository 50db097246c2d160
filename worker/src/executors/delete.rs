//! The `delete` executor: list the target once, select with the task's patterns, check
//! the `max_delete` guard against everything the target holds, then delete (or, in a dry
//! run, only report). A file already gone counts as deleted, so a retried attempt
//! finishes what a lost one started.

use super::support::{cancellable, wrong_body};
use crate::error::store_exec_error;
use crate::listing::{Entry, Filter, list};
use crate::stores::StoreResolver;
use ferry_common::executor::{ExecContext, ExecError, Executor, TaskOutput};
use ferry_common::kinds::{DeleteTask, TaskBody};
use futures::{StreamExt, TryStreamExt};
use object_store::ObjectStoreExt;
use serde_json::json;

/// Deletes issued at once.
const DELETES_IN_FLIGHT: usize = 16;
/// Paths named in the report; the counts stay exact beyond it.
const REPORTED_PATHS: usize = 1_000;

/// The registry's constructor for this kind.
pub(crate) fn executor(resolver: &StoreResolver) -> std::sync::Arc<dyn Executor> {
    std::sync::Arc::new(DeleteExecutor::new(resolver.clone()))
}

/// Runs `delete` tasks through the shared store resolver.
#[derive(Debug, Clone)]
pub struct DeleteExecutor {
    resolver: StoreResolver,
}

impl DeleteExecutor {
    /// A delete executor resolving locations with `resolver`.
    pub fn new(resolver: StoreResolver) -> Self {
        Self { resolver }
    }
}

#[async_trait::async_trait]
impl Executor for DeleteExecutor {
    fn kind(&self) -> &'static str {
        "delete"
    }

    async fn execute(&self, ctx: &ExecContext, body: &TaskBody) -> Result<TaskOutput, ExecError> {
        let TaskBody::Delete(task) = body else {
            return Err(wrong_body("delete", body));
        };
        run(&self.resolver.for_attempt(ctx), ctx, task).await
    }
}

async fn run(resolver: &StoreResolver, ctx: &ExecContext, task: &DeleteTask) -> Result<TaskOutput, ExecError> {
    let filter = Filter::new(&task.include, &task.exclude)?;
    let target = resolver.resolve_full(&task.target)?;
    // Everything the target holds, so a percentage guard is a share of all of it; the
    // patterns select from that.
    let listing = cancellable(&ctx.cancel, async {
        list(&target, &Filter::all())
            .await
            .map_err(|e| store_exec_error(&format!("listing {}", target.url), e))
    })
    .await?;
    let held = listing.entries.len() as u64;
    let doomed: Vec<Entry> = listing.entries.into_iter().filter(|e| filter.matches(&e.rel_path)).collect();
    let bytes: u64 = doomed.iter().map(|e| e.size).sum();
    if let Some(max) = task.max_delete
        && !max.allows(doomed.len() as u64, held)
    {
        let examples: Vec<&str> = doomed.iter().take(3).map(|e| e.rel_path.as_str()).collect();
        return Err(ExecError::Fatal(format!(
            "deleting {} of the {held} files at {} (e.g. {}) is more than max_delete allows ({max}); nothing was deleted",
            doomed.len(),
            target.url,
            examples.join(", ")
        )));
    }
    ctx.progress.add_total(doomed.len() as u64, bytes);
    let paths: Vec<String> = doomed.iter().take(REPORTED_PATHS).map(|e| e.rel_path.clone()).collect();
    let count = doomed.len() as u64;
    if !task.dry_run {
        let (store, url) = (target.store.as_ref(), &target.url);
        futures::stream::iter(doomed)
            .map(|e| async move {
                if ctx.cancel.is_cancelled() {
                    return Err(ExecError::Cancelled);
                }
                match store.delete(&e.location).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {
                        ctx.progress.add_done(1, e.size);
                        Ok(())
                    }
                    Err(err) => Err(store_exec_error(&format!("deleting {} from {url}", e.rel_path), err)),
                }
            })
            .buffer_unordered(DELETES_IN_FLIGHT)
            .try_collect::<()>()
            .await?;
    }
    let verb = if task.dry_run { "would_delete" } else { "deleted" };
    let summary = format!(
        "{} {count} files ({bytes} bytes), kept {}",
        if task.dry_run { "dry run: would delete" } else { "deleted" },
        held - count
    );
    Ok(TaskOutput {
        result: json!({
            "summary": summary,
            "target": target.url.as_str(),
            verb: count,
            "bytes": bytes,
            "kept": held - count,
            "dry_run": task.dry_run,
        }),
        report: Some(json!({ verb: paths, "truncated": count > REPORTED_PATHS as u64 })),
    })
}

#[cfg(test)]
mod tests;
