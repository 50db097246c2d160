//! The `migrate` kind: a copy of a location that is still being written to, repeated in
//! passes until it converges and is cut over (WANdisco LiveData Migrator's job), or for
//! ever (`cutover: never`: continuous replication for a DR copy).
//!
//! Pass 1 copies everything; each later pass lists the source again and copies only what
//! changed against the per-path records the earlier passes left (see the worker's
//! `executors::migrate` for where they live and what they cost).

use super::{CopySides, KindCheck, TaskKind};
use crate::location::Location;
use crate::values::{Bandwidth, HumanDuration, MaxDelete, Versions};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::copy::{Overwrite, Verify};

/// Copy a live location in passes until it converges, then cut over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MigrateTask {
    /// What is migrated: a prefix (a folder) or a URL with `{url, connection}`.
    pub source: Location,
    /// Where it goes: a folder, written with the source's relative paths.
    pub destination: Location,
    /// Globs on the path relative to the source; only matching files are migrated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Globs on the path relative to the source; matching files are left alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// What a pass does with a file already at the destination that no record covers:
    /// one there before the migration, or one a killed attempt wrote without recording
    /// it (files the records show changed are always copied). Default `checksum`: such a
    /// file is kept only if its content is the source's, since a writer may have changed
    /// the source while it was being copied and the destination's time is the copy's;
    /// `skip` and `newer` trust sizes and times instead, and are faster.
    #[serde(default = "MigrateTask::default_overwrite")]
    pub overwrite: Overwrite,
    /// What each pass confirms about what it wrote, and the mode of the cutover's check
    /// (`none`: sizes; `checksum`: BLAKE3 of both sides).
    #[serde(default, skip_serializing_if = "Verify::is_none")]
    pub verify: Verify,
    /// Bytes per second the migration may move, across every worker (`50MiB/s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub bandwidth: Option<Bandwidth>,
    /// When the migration counts as caught up, and how long it may take to get there.
    #[serde(default)]
    pub converge: Converge,
    /// What happens once converged: `auto` cuts over at once, `manual` keeps passing
    /// until `POST /api/v1/tasks/{id}/cutover`, `never` replicates for ever.
    #[serde(default)]
    pub cutover: Cutover,
    /// Propagate deletions: a file that vanished from the source since it was copied is
    /// deleted at the destination (files the migration never copied are left alone).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delete_extraneous: bool,
    /// With `delete_extraneous`: the most files one pass may delete (a count, or a share
    /// of the files migrated such as `5%`); above it the pass fails before deleting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub max_delete: Option<MaxDelete>,
    /// Keep what is overwritten or deleted at the destination under `.ferry-versions/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<Versions>,
}

/// When a migration has caught up with its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Converge {
    /// A pass that finds at most this many changed files has converged.
    #[serde(default)]
    pub max_changed: u64,
    /// Passes before convergence allowed; the task fails after that many without it
    /// (passes after convergence, waiting for a manual cutover, do not count).
    #[serde(default = "Converge::default_max_passes")]
    pub max_passes: u32,
    /// The pause between two passes.
    #[serde(default = "Converge::default_pass_interval")]
    #[schema(value_type = String)]
    pub pass_interval: HumanDuration,
}

impl Converge {
    fn default_max_passes() -> u32 {
        20
    }
    fn default_pass_interval() -> HumanDuration {
        HumanDuration::from_secs(30)
    }
}

impl Default for Converge {
    fn default() -> Self {
        Self { max_changed: 0, max_passes: Self::default_max_passes(), pass_interval: Self::default_pass_interval() }
    }
}

/// What a converged migration does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cutover {
    /// Run a final pass and a check, and succeed (the default: a `ferry run` ends).
    #[default]
    Auto,
    /// Keep passing until someone asks for the cutover through the API.
    Manual,
    /// Never cut over: continuous replication.
    Never,
}

impl MigrateTask {
    fn default_overwrite() -> Overwrite {
        Overwrite::Checksum
    }
}

impl TaskKind for MigrateTask {
    const NAME: &'static str = "migrate";
    const FIELDS: &'static [&'static str] = &[
        "source",
        "destination",
        "include",
        "exclude",
        "overwrite",
        "verify",
        "bandwidth",
        "converge",
        "cutover",
        "delete_extraneous",
        "max_delete",
        "versions",
    ];

    fn validate(&self, check: &mut KindCheck<'_>) {
        check.location(&self.source, "source");
        check.location(&self.destination, "destination");
        if self.destination.url.trim_end_matches('/') == self.source.url.trim_end_matches('/') {
            check.problem("destination", "destination is the same as the source");
        }
        check.globs(&self.include, "include");
        check.globs(&self.exclude, "exclude");
        if self.converge.max_passes == 0 {
            check.problem("converge.max_passes", "must be at least 1");
        }
        if self.max_delete.is_some() && !self.delete_extraneous {
            check.problem("max_delete", "max_delete limits deletions, and this migration deletes nothing; add `delete_extraneous: true` or remove it");
        }
        if let Some(problem) = self.versions.as_ref().and_then(Versions::problem) {
            check.problem("versions", problem);
        }
    }

    fn locations_mut(&mut self) -> Vec<&mut Location> {
        vec![&mut self.source, &mut self.destination]
    }

    fn bandwidth(&self) -> Option<Bandwidth> {
        self.bandwidth
    }

    fn reads(&self) -> Vec<Location> {
        vec![self.source.clone()]
    }

    fn writes(&self) -> Vec<Location> {
        vec![self.destination.clone()]
    }

    fn copy_sides(&self) -> Option<CopySides> {
        Some(CopySides {
            source: self.source.clone(),
            destinations: vec![self.destination.clone()],
            include: self.include.clone(),
            exclude: self.exclude.clone(),
            mirror: self.delete_extraneous,
        })
    }

    fn set_repair(&mut self) {
        self.overwrite = Overwrite::Checksum;
    }
}
