//! The `check` kind: a consistency report of two locations (missing, extra, differ).

use super::{KindCheck, TaskKind};
pub use crate::conditions::CheckMode;
use crate::location::Location;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Compare two locations and report what is missing, extra or different.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CheckTask {
    /// The side taken as the truth.
    pub source: Location,
    /// The side checked against it.
    pub target: Location,
    #[serde(default)]
    pub mode: CheckMode,
    /// Globs on the relative path; only matching files are compared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Globs on the relative path; matching files are not compared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// What a difference does to the task: `fail` it (the default, so what depends on
    /// the check does not run on bad data) or only `report` it and succeed.
    #[serde(default, skip_serializing_if = "OnInconsistent::is_fail")]
    pub on_inconsistent: OnInconsistent,
}

/// What an inconsistent `check` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnInconsistent {
    /// The task fails (permanently: checking again finds the same) and its dependants
    /// are skipped; the counts and first paths are in its error.
    #[default]
    Fail,
    /// The task succeeds; the differences are its result and report.
    Report,
}

impl OnInconsistent {
    fn is_fail(&self) -> bool {
        *self == OnInconsistent::Fail
    }
}

impl TaskKind for CheckTask {
    const NAME: &'static str = "check";
    const FIELDS: &'static [&'static str] = &["source", "target", "mode", "include", "exclude", "on_inconsistent"];

    fn validate(&self, check: &mut KindCheck<'_>) {
        check.location(&self.source, "source");
        check.location(&self.target, "target");
        check.globs(&self.include, "include");
        check.globs(&self.exclude, "exclude");
    }

    fn locations_mut(&mut self) -> Vec<&mut Location> {
        vec![&mut self.source, &mut self.target]
    }

    fn reads(&self) -> Vec<Location> {
        vec![self.source.clone(), self.target.clone()]
    }
}

