//! The pipeline spec: what a tenant writes (YAML or JSON, one schema) to say which data
//! goes where and in which order.
//!
//! Parsing is two-pass on purpose: `parse` first walks the raw document and collects
//! *every* structural problem (unknown kinds and fields, wrong types) with its path, then
//! `validate` checks the meaning (ids, dependencies, cycles, URLs). A user fixing a spec
//! sees all problems at once instead of one per attempt.

mod check;
mod graph;
mod parse;
mod resolve;
mod types;
mod validate;

pub use check::{check_value, check_value_with};
pub use crate::location::Location;
pub use crate::problem::{SpecProblem, ValidationContext};
pub use crate::values::{Bandwidth, ByteSize, HumanDuration, MaxDelete, Versions};
pub use graph::{GraphEdge, GraphNode, PipelineGraph};
pub use parse::{SpecFormat, decode, parse_spec, parse_value};
pub use types::*;
pub use crate::kinds::{CheckMode, CheckTask, Conflict, Converge, CopyTask, Cutover, DEFAULT_DELIVER_WITHIN, DeliveryMode, DeliveryOrdering, Destination, ListedFile, MigrateTask, NoopTask, OnInconsistent, Overwrite, RestoreTask, SyncTask, TaskBody, TaskKind, Verify, WaitTask};
pub use crate::conditions::{Condition, OnTimeout, TriggerRule, WaitPolicy};
pub use validate::validate;

/// Parses and validates in one call, the entry point for every surface (CLI, API).
pub fn load(
    text: &str,
    format: SpecFormat,
    ctx: &ValidationContext,
) -> Result<PipelineSpec, Vec<SpecProblem>> {
    check_value(decode(text, format)?, ctx)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod conditions_tests;
