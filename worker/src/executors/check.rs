//! The `check` kind: a consistency report of two locations, computed by
//! [`crate::compare`] (see there for the result and report fields). When the two sides
//! differ the task fails (`on_inconsistent: fail`, the default: what depends on the check
//! must not run on bad data), with the counts and first paths in its error, as a
//! permanent failure since checking again finds the same; with `on_inconsistent: report`
//! it succeeds and the answer is in the result (`consistent`) and the report.

use super::support::wrong_body;
use crate::compare::{inconsistency, run};
use crate::stores::StoreResolver;
use ferry_common::executor::{ExecContext, ExecError, Executor, TaskOutput};
use ferry_common::spec::{OnInconsistent, TaskBody};

pub use crate::compare::REPORT_LIMIT;

/// The registry's constructor for this kind.
pub(crate) fn executor(resolver: &StoreResolver) -> std::sync::Arc<dyn Executor> {
    std::sync::Arc::new(CheckExecutor::new(resolver.clone()))
}

/// Runs `check` tasks through the shared store resolver.
#[derive(Debug, Clone)]
pub struct CheckExecutor {
    resolver: StoreResolver,
}

impl CheckExecutor {
    /// A check executor resolving locations with `resolver`.
    pub fn new(resolver: StoreResolver) -> Self {
        Self { resolver }
    }
}

#[async_trait::async_trait]
impl Executor for CheckExecutor {
    fn kind(&self) -> &'static str {
        "check"
    }

    async fn execute(&self, ctx: &ExecContext, body: &TaskBody) -> Result<TaskOutput, ExecError> {
        let TaskBody::Check(task) = body else {
            return Err(wrong_body("check", body));
        };
        let out = run(&self.resolver.for_attempt(ctx), ctx, task).await?;
        if task.on_inconsistent == OnInconsistent::Fail
            && let Some(found) = inconsistency(&out, true)
        {
            return Err(ExecError::Fatal(format!(
                "{} and {} are inconsistent: {found}",
                task.source.url, task.target.url
            )));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
