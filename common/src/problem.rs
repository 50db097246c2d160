//! What spec checking reports (a problem: a path and a sentence) and what it is told about
//! the world (the stored connections). Both the pipeline spec and every kind's own checks
//! use them, so they sit below both.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

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

/// What validation needs to know about the world, passed in so validation stays pure.
#[derive(Debug, Clone, Default)]
pub struct ValidationContext {
    /// Names of the stored connections a location may refer to.
    pub connections: BTreeSet<String>,
    /// Where `file://` locations may point (anywhere unless a server sets roots).
    pub file_roots: crate::file_roots::FileRoots,
    /// The tenant's notification channels, when known (the API knows them; `ferry
    /// validate` on a file does not, and leaves `notify:` channel names unchecked).
    pub channels: Option<BTreeSet<String>>,
}
