//! The `restore` kind: a folder rebuilt as it was at a moment, into another folder, from
//! its current files and the versions kept under `.ferry-versions/` (see
//! [`crate::versions`] for how the state at a moment is read off them).

use super::copy::copy_one;
use super::support::wrong_body;
use crate::listing::{Entry, Filter, list};
use crate::stores::StoreResolver;
use crate::versions::{state_at, versions_under};
use ferry_common::executor::{ExecContext, ExecError, Executor, TaskOutput};
use ferry_common::spec::TaskBody;
use futures::{StreamExt, TryStreamExt};
use serde_json::json;
use std::collections::BTreeMap;

/// Files written at once.
const FILES_IN_FLIGHT: usize = 16;

/// The registry's constructor for this kind.
pub(crate) fn executor(resolver: &StoreResolver) -> std::sync::Arc<dyn Executor> {
    std::sync::Arc::new(RestoreExecutor { resolver: resolver.clone() })
}

/// Runs `restore` tasks.
#[derive(Debug, Clone)]
pub struct RestoreExecutor {
    resolver: StoreResolver,
}

#[async_trait::async_trait]
impl Executor for RestoreExecutor {
    fn kind(&self) -> &'static str {
        "restore"
    }

    async fn execute(&self, ctx: &ExecContext, body: &TaskBody) -> Result<TaskOutput, ExecError> {
        let TaskBody::Restore(task) = body else {
            return Err(wrong_body("restore", body));
        };
        let resolver = self.resolver.for_attempt(ctx);
        let mut from = resolver.resolve_full(&task.location)?;
        let mut to = resolver.resolve_full(&task.to)?;
        (from.explicit_prefix, to.explicit_prefix) = (true, true);
        let store_err = |what: &str, e| crate::error::store_exec_error(what, e);
        let current = list(&from, &Filter::all()).await.map_err(|e| store_err(&format!("listing {}", from.url), e))?;
        let versions = versions_under(&from).await.map_err(|e| store_err(&format!("listing the versions at {}", from.url), e))?;
        let current: BTreeMap<String, Entry> = current.entries.into_iter().map(|e| (e.rel_path.clone(), e)).collect();
        let mut paths: Vec<&String> = current.keys().chain(versions.keys()).collect();
        paths.sort();
        paths.dedup();
        let picks: Vec<(String, Entry, bool)> = paths
            .into_iter()
            .filter_map(|p| {
                let kept = versions.get(p).map(Vec::as_slice).unwrap_or_default();
                let pick = state_at(kept, current.get(p), task.at)?;
                let from_version = !current.get(p).is_some_and(|c| c.location == pick.location);
                // Written under the path it had, wherever its content is kept now.
                Some((p.clone(), Entry { rel_path: p.clone(), ..pick.clone() }, from_version))
            })
            .collect();
        ctx.progress.add_total(picks.len() as u64, picks.iter().map(|(_, e, _)| e.size).sum());
        let from_versions = picks.iter().filter(|(_, _, v)| *v).count();
        let bytes: u64 = futures::stream::iter(picks)
            .map(|(_, e, _)| {
                let (from, to) = (&from, &to);
                async move {
                    copy_one(ctx, from, &e, to, false).await?;
                    ctx.progress.add_done(1, e.size);
                    Ok::<u64, ExecError>(e.size)
                }
            })
            .buffer_unordered(FILES_IN_FLIGHT)
            .try_fold(0, |acc, n| async move { Ok(acc + n) })
            .await?;
        let files = ctx.progress.snapshot().files_done;
        Ok(TaskOutput {
            result: json!({
                "location": task.location.url,
                "at": task.at,
                "to": task.to.url,
                "files_restored": files,
                "bytes_restored": bytes,
                "from_versions": from_versions,
                "summary": format!("{files} files as of {} ({from_versions} from kept versions)", task.at.to_rfc3339()),
            }),
            report: None,
        })
    }
}

#[cfg(test)]
mod tests;
