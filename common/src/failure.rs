//! Failure classes: whether another attempt could succeed. Retries are spent only on
//! retryable failures; a permanent one (refused credentials, a missing source, a spec
//! problem found at run time) fails the task at once instead of repeating it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Whether a failure may go away by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    /// Network, timeouts, 5xx, throttling, a read-back mismatch, a lost worker, a failed
    /// post-condition: worth another attempt.
    Retryable,
    /// Authentication or permission refused, source missing, invalid archive, path
    /// escape, `max_delete` exceeded, a spec problem: the next attempt fails the same way.
    Permanent,
}

impl FailureClass {
    /// The class of an attempt that ended with `retryable`.
    pub fn of(retryable: bool) -> Self {
        if retryable { FailureClass::Retryable } else { FailureClass::Permanent }
    }
}

/// The last failure of a task, as stored with it and shown by the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Failure {
    pub class: FailureClass,
    pub message: String,
    /// The attempt that failed (0 when the task failed before any attempt: a timed-out
    /// wait, a permanent condition error).
    pub attempt: u32,
    /// Set when a post-condition failed the attempt: the next attempt repairs what it
    /// found.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub post_condition: bool,
}
