//! The seam between the orchestrator, which decides when a condition is checked, and
//! the evaluator that checks it against stores and databases (in the worker crate, which
//! links their clients).

use super::Condition;
use async_trait::async_trait;

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The condition holds.
    Holds,
    /// It does not hold yet; the text says what was seen (`3 of 24 files`).
    Unmet(String),
}

/// Why a condition could not be checked. The class decides what happens to the task:
/// a retryable error (a store or database that cannot be reached) counts as "not yet"
/// until the deadline; a permanent one (invalid SQL, refused credentials) fails it now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// The next check may succeed.
    #[error("{0}")]
    Retryable(String),
    /// The next check will fail the same way.
    #[error("{0}")]
    Permanent(String),
}

/// One object a listing saw: its path below the listed prefix, its size, and its tag
/// (the etag, or the modification time where a store has none) — what tells a changed
/// object from the same one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    pub path: String,
    pub size: u64,
    pub tag: String,
}

/// A listing as the store yields it, page by page, never collected whole.
pub type ObjectListing = futures::stream::BoxStream<'static, Result<ListedObject, ProbeError>>;

/// Checks conditions against the world. One evaluator serves every run the orchestrator
/// leads; it holds no worker slot.
#[async_trait]
pub trait ConditionProbe: Send + Sync {
    /// Checks one condition once.
    async fn probe(&self, condition: &Condition) -> Result<Verdict, ProbeError>;

    /// Checks one condition once with a tenant's stored connections (sealed, as the run's
    /// task messages carry them) over the evaluator's own. An evaluator that cannot open
    /// them says so; with none it is [`ConditionProbe::probe`].
    async fn probe_with(&self, condition: &Condition, stored: &[crate::connections::SealedConnection]) -> Result<Verdict, ProbeError> {
        if stored.is_empty() {
            self.probe(condition).await
        } else {
            Err(ProbeError::Permanent("this evaluator cannot use stored connections".into()))
        }
    }

    /// Lists the objects under a location (file-arrival triggers watch prefixes this
    /// way), with a tenant's stored connections over the evaluator's own.
    async fn list_objects(&self, location: &crate::location::Location, stored: &[crate::connections::SealedConnection]) -> Result<ObjectListing, ProbeError> {
        let _ = (location, stored);
        Err(ProbeError::Permanent("this evaluator cannot list stores".into()))
    }
}
