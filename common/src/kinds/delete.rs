//! The `delete` kind: removes the files under a location that its patterns select, as
//! Data Factory's Delete activity, `rclone delete` and `azcopy remove` do: the clean-up
//! step after a move, or the expiry of old partitions.

use super::{KindCheck, TaskKind};
use crate::location::Location;
use crate::values::MaxDelete;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Delete the files at a location (a prefix, or one file) that `include`/`exclude` select.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeleteTask {
    /// What to delete from: a prefix ending in `/`, or one file.
    pub target: Location,
    /// Globs on the path relative to the target; only matching files are deleted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Globs on the path relative to the target; matching files are kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// The most files the task may delete (a count, or a percentage of the files at the
    /// target such as `50%`); above it the task fails before it deletes anything, so a
    /// mistyped prefix does not empty a bucket. No limit when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub max_delete: Option<MaxDelete>,
    /// List what would be deleted (the task's report) and delete nothing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
}

impl TaskKind for DeleteTask {
    const NAME: &'static str = "delete";
    const FIELDS: &'static [&'static str] = &["target", "include", "exclude", "max_delete", "dry_run"];

    fn validate(&self, check: &mut KindCheck<'_>) {
        check.location(&self.target, "target");
        check.globs(&self.include, "include");
        check.globs(&self.exclude, "exclude");
    }

    fn locations_mut(&mut self) -> Vec<&mut Location> {
        vec![&mut self.target]
    }

    fn set_dry_run(&mut self) {
        self.dry_run = true;
    }

    fn writes(&self) -> Vec<Location> {
        vec![self.target.clone()]
    }
}
