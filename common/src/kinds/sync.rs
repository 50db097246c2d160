//! The `sync` kind: two locations kept in step in both directions (rclone's `bisync`),
//! from a stored baseline of the last state both sides agreed on, updated file by file
//! so an interrupted sync never needs a full resync.

use super::{KindCheck, TaskKind};
use crate::location::Location;
use crate::values::{Bandwidth, MaxDelete, Versions};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::copy::Verify;

/// Keep `a` and `b` equal: what changed on one side since the last sync is applied to
/// the other; a change on both is a conflict resolved by `conflict`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SyncTask {
    /// One side: a folder. Its `.ferry/` holds the baseline.
    pub a: Location,
    /// The other side: a folder.
    pub b: Location,
    /// Globs on the relative path; only matching files are synced.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Globs on the relative path; matching files are left alone on both sides.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Which version wins when a file changed on both sides.
    #[serde(default)]
    pub conflict: Conflict,
    /// The most files one run may delete on either side (a count, or a share of that
    /// side's files such as `10%`); above it the run fails before changing anything.
    /// Default `50%`, as rclone bisync's `--max-delete`.
    #[serde(default = "SyncTask::default_max_delete")]
    #[schema(value_type = String)]
    pub max_delete: MaxDelete,
    /// `checksum`: files are compared by BLAKE3 (not only size and time) and each one
    /// written is read back and compared.
    #[serde(default, skip_serializing_if = "Verify::is_none")]
    pub verify: Verify,
    /// Bytes per second the sync may move, both directions together (`50MiB/s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub bandwidth: Option<Bandwidth>,
    /// Keep what the sync overwrites or deletes on either side under `.ferry-versions/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<Versions>,
    /// Decide and report everything, change nothing (not even the baseline).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
}

impl SyncTask {
    fn default_max_delete() -> MaxDelete {
        MaxDelete::Percent(50.0)
    }

    /// A sync with every option at its default.
    pub fn between(a: Location, b: Location) -> Self {
        Self {
            a,
            b,
            include: Vec::new(),
            exclude: Vec::new(),
            conflict: Conflict::Newer,
            max_delete: Self::default_max_delete(),
            verify: Verify::None,
            bandwidth: None,
            versions: None,
            dry_run: false,
        }
    }
}

/// How a file changed on both sides since the last sync is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Conflict {
    /// The later modification time wins (ties: the larger file, then `a`).
    #[default]
    Newer,
    /// The larger file wins (ties: the newer, then `a`).
    Larger,
    /// `a`'s version wins.
    PreferA,
    /// `b`'s version wins.
    PreferB,
    /// Both are kept: the newer keeps the name, the other is renamed
    /// `<name>.conflict-<utc time>` on both sides.
    KeepBoth,
}

impl TaskKind for SyncTask {
    const NAME: &'static str = "sync";
    const FIELDS: &'static [&'static str] =
        &["a", "b", "include", "exclude", "conflict", "max_delete", "verify", "bandwidth", "versions", "dry_run"];

    fn validate(&self, check: &mut KindCheck<'_>) {
        check.location(&self.a, "a");
        check.location(&self.b, "b");
        let (a, b) = (self.a.url.trim_end_matches('/'), self.b.url.trim_end_matches('/'));
        if a == b {
            check.problem("b", "`a` and `b` are the same location");
        } else if a.starts_with(&format!("{b}/")) || b.starts_with(&format!("{a}/")) {
            check.problem("b", "`a` and `b` overlap (one is inside the other)");
        }
        check.globs(&self.include, "include");
        check.globs(&self.exclude, "exclude");
        if let Some(problem) = self.versions.as_ref().and_then(Versions::problem) {
            check.problem("versions", problem);
        }
    }

    fn locations_mut(&mut self) -> Vec<&mut Location> {
        vec![&mut self.a, &mut self.b]
    }

    fn bandwidth(&self) -> Option<Bandwidth> {
        self.bandwidth
    }

    fn set_dry_run(&mut self) {
        self.dry_run = true;
    }

    fn reads(&self) -> Vec<Location> {
        vec![self.a.clone(), self.b.clone()]
    }

    fn writes(&self) -> Vec<Location> {
        vec![self.a.clone(), self.b.clone()]
    }
}
