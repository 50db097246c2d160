//! Post-conditions, checked by the worker at the end of an attempt whose executor
//! succeeded, before the attempt is reported: the attempt's slot is still held, and
//! `consistent` reads exactly what the attempt wrote. A condition that does not hold
//! fails the attempt with its evidence (retryable: the orchestrator's next attempt
//! repairs what was found); one that cannot be checked fails it with that error's class.

use super::ConditionEvaluator;
use crate::compare;
use ferry_common::conditions::{Condition, ProbeError, Verdict};
use ferry_common::executor::{ExecContext, ExecError, ProgressCounters};
use ferry_common::spec::{CheckMode, CheckTask, OnInconsistent, TaskBody};

impl ConditionEvaluator {
    /// `Ok(None)` when every condition holds, `Ok(Some(evidence))` naming the first that
    /// does not.
    pub async fn check_post(&self, ctx: &ExecContext, body: &TaskBody, post: &[Condition]) -> Result<Option<String>, ExecError> {
        if post.is_empty() {
            return Ok(None);
        }
        if ctx.connections.is_some() {
            // The tenant's stored connections are the attempt's, not this evaluator's.
            let own = ConditionEvaluator::new(self.resolver.for_attempt(ctx));
            return Box::pin(own.check_post(&ExecContext { connections: None, ..ctx.clone() }, body, post)).await;
        }
        for c in post {
            let unmet = match c {
                Condition::Consistent(k) => self.consistent(ctx, body, k.mode).await?,
                other => match self.check(other).await {
                    Ok(Verdict::Holds) => None,
                    Ok(Verdict::Unmet(seen)) => Some(seen),
                    Err(ProbeError::Retryable(e)) => return Err(ExecError::Retryable(format!("post-condition {}: {e}", other.describe()))),
                    Err(ProbeError::Permanent(e)) => return Err(ExecError::Fatal(format!("post-condition {}: {e}", other.describe()))),
                },
            };
            if let Some(evidence) = unmet {
                return Ok(Some(format!("post-condition {} failed: {evidence}", c.describe())));
            }
        }
        Ok(None)
    }

    /// Compares the copy's source with each destination as `check` would; the first
    /// destination that differs is the evidence.
    async fn consistent(&self, ctx: &ExecContext, body: &TaskBody, mode: CheckMode) -> Result<Option<String>, ExecError> {
        let Some(sides) = body.as_kind().body_copy_sides() else {
            return Err(ExecError::Fatal(format!("`consistent` needs a copy; this task is a `{}`", body.kind())));
        };
        // Its own counters: the comparison is not the copy's progress.
        let quiet = ExecContext { progress: ProgressCounters::default(), ..ctx.clone() };
        for dest in &sides.destinations {
            let task = CheckTask {
                source: sides.source.clone(),
                target: dest.clone(),
                mode,
                include: sides.include.clone(),
                exclude: sides.exclude.clone(),
                on_inconsistent: OnInconsistent::Report,
            };
            let out = compare::run(&self.resolver, &quiet, &task).await?;
            if let Some(found) = compare::inconsistency(&out, sides.mirror) {
                return Ok(Some(format!("{} against {}: {found}", sides.source.url, dest.url)));
            }
        }
        Ok(None)
    }
}
