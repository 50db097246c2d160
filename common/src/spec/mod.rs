//! The pipeline spec: what a tenant writes (YAML or JSON, one schema) to say which data
//! goes where and in which order.
//!
//! Parsing is two-pass on purpose: `parse` first walks the raw document and collects
//! *every* structural problem (unknown kinds and fields, wrong types) with its path, then
//! `validate` checks the meaning (ids, dependencies, cycles, URLs). A user fixing a spec
//! sees all problems at once instead of one per attempt.

mod bandwidth;
mod byte_size;
mod check;
mod duration;
mod max_delete;
mod parse;
mod resolve;
mod types;
mod validate;

pub use check::{check_value, check_value_with};
pub use bandwidth::Bandwidth;
pub use byte_size::ByteSize;
pub use duration::HumanDuration;
pub use max_delete::MaxDelete;
pub use parse::{SpecFormat, decode, parse_spec, parse_value};
pub use types::*;
pub use crate::kinds::{CheckMode, CheckTask, CopyTask, NoopTask, Overwrite, TaskBody, TaskKind, Verify};
pub use validate::{ValidationContext, validate};

use serde::{Deserialize, Serialize};

/// One problem found in a spec: where (a path such as `tasks[2].depends_on[0]`) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecProblem {
    /// Location inside the document, `$` for the document itself.
    pub path: String,
    /// A sentence saying what is wrong and, where possible, what is expected.
    pub message: String,
}

impl SpecProblem {
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for SpecProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

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
