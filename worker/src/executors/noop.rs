//! The `noop` kind: does nothing and succeeds at once. It measures what orchestration
//! itself costs and lets a pipeline have a join point.

use ferry_common::executor::{ExecContext, ExecError, Executor, TaskOutput};
use ferry_common::spec::TaskBody;

/// The registry's constructor for this kind.
pub(crate) fn executor(_resolver: &crate::stores::StoreResolver) -> std::sync::Arc<dyn Executor> {
    std::sync::Arc::new(NoopExecutor)
}

/// Succeeds immediately with `{}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopExecutor;

#[async_trait::async_trait]
impl Executor for NoopExecutor {
    fn kind(&self) -> &'static str {
        "noop"
    }

    async fn execute(&self, _ctx: &ExecContext, _body: &TaskBody) -> Result<TaskOutput, ExecError> {
        Ok(TaskOutput {
            result: serde_json::json!({}),
            report: None,
        })
    }
}
