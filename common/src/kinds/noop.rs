//! The `noop` kind: does nothing, so what is measured is orchestration itself.

use super::TaskKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Does nothing; measures what orchestration itself costs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
pub struct NoopTask {}

impl TaskKind for NoopTask {
    const NAME: &'static str = "noop";
    const FIELDS: &'static [&'static str] = &[];
}
