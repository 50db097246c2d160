//! The `copy` kind: files from one location to one or more others, read once.

mod destination;

pub use destination::{DEFAULT_DELIVER_WITHIN, DeliveryMode, Destination};

use super::{CopySides, KindCheck, TaskKind};
use crate::location::Location;
use crate::problem::SpecProblem;
use crate::values::{Bandwidth, ByteSize, MaxDelete, Versions};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// Copy files from one location to one or more others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CopyTask {
    /// What to read: a URL or `{url, connection}`.
    pub source: Location,
    /// Where to write; `destination` (one) is accepted as shorthand when parsing. Each is
    /// `sync` (written by the task) unless it says `delivery: async`.
    pub destinations: Vec<Destination>,
    /// What this copy delivers: each success moves the dataset's freshness marker at
    /// every destination (`GET /api/v1/datasets/{name}`, the `fresh` condition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// Each run's data reaches a destination only after the previous run's has: a sync
    /// destination's task waits, an async delivery queues behind the earlier one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub incremental: bool,
    /// With `incremental`: wait for an earlier delivery (default) or fail at once.
    #[serde(default, skip_serializing_if = "DeliveryOrdering::is_wait")]
    pub ordering: DeliveryOrdering,
    /// Copy exactly these paths (relative to the source) instead of every file under it,
    /// as rclone's `--files-from`. A file whose size (or BLAKE3, when verifying) is not
    /// the one given is copied as it is now and reported in `changed`. Async deliveries
    /// carry their run's files this way (an empty list copies nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<ListedFile>>,
    /// Globs on the path relative to the source; only matching files are copied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Globs on the path relative to the source; matching files are left alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub overwrite: Overwrite,
    /// Mirror: after copying, delete destination files the source does not have (among
    /// those the include/exclude patterns select; excluded files are never deleted).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delete_extraneous: bool,
    /// With `delete_extraneous`: the most files one destination may lose (a count, or a
    /// percentage such as `5%`); above it the task fails before it writes or deletes
    /// anything. No limit when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub max_delete: Option<MaxDelete>,
    /// Decide everything (copy, skip, delete, and why) but write and delete nothing; the
    /// decisions are the task's report. `ferry run --dry-run` sets it on every copy.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    /// What the copy confirms about every file it leaves at a destination.
    #[serde(default, skip_serializing_if = "Verify::is_none")]
    pub verify: Verify,
    /// The source is one archive (`.zip`, `.tar`, `.tar.gz`/`.tgz`, `.gz`) whose files are
    /// written under each destination as it streams, instead of the archive itself.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unpack: bool,
    /// Bytes per second this task may move, across every worker running it (`50MiB/s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub bandwidth: Option<Bandwidth>,
    /// Keep what the copy replaces or deletes at each destination under
    /// `.ferry-versions/` (`{keep: 5}` or `{keep_for: 30d}`), for `ferry restore`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<Versions>,
    /// Most files per shard of a large copy (default [`CopyTask::DEFAULT_SHARD_FILES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard_files: Option<u64>,
    /// Most bytes per shard of a large copy (default [`CopyTask::DEFAULT_SHARD_BYTES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub shard_bytes: Option<ByteSize>,
}

impl CopyTask {
    /// Files per shard unless the spec says otherwise: enough to keep a worker busy for
    /// seconds, small enough that a shard message stays well under a megabyte.
    pub const DEFAULT_SHARD_FILES: u64 = 5_000;
    /// Bytes per shard unless the spec says otherwise: a lost shard costs at most this.
    pub const DEFAULT_SHARD_BYTES: u64 = 8 << 30;

    /// A copy with every option at its default, for code that builds tasks (a delivery's
    /// attempt, tests).
    pub fn between(source: Location, destinations: Vec<Destination>) -> Self {
        Self {
            source,
            destinations,
            dataset: None,
            incremental: false,
            ordering: DeliveryOrdering::Wait,
            files: None,
            include: Vec::new(),
            exclude: Vec::new(),
            overwrite: Overwrite::Skip,
            delete_extraneous: false,
            max_delete: None,
            dry_run: false,
            verify: Verify::None,
            unpack: false,
            bandwidth: None,
            versions: None,
            shard_files: None,
            shard_bytes: None,
        }
    }

    /// The destinations the task itself writes, in spec order.
    pub fn sync_destinations(&self) -> impl Iterator<Item = &Location> {
        self.destinations.iter().filter(|d| d.is_sync()).map(|d| &d.location)
    }

    /// What each destination a copy wrote holds of its files after it (copied + kept):
    /// `(files, bytes)` in the order of `result.destinations` (the sync destinations; the
    /// worker's `executors::copy` docs describe the result).
    pub fn held_per_destination(result: Option<&Value>) -> Vec<(u64, u64)> {
        let count = |r: &Value, a: &str, b: &str| r[a].as_u64().unwrap_or(0) + r[b].as_u64().unwrap_or(0);
        result
            .and_then(|r| r["destinations"].as_array())
            .into_iter()
            .flatten()
            .map(|r| (count(r, "files_copied", "files_skipped"), count(r, "bytes_copied", "bytes_skipped")))
            .collect()
    }

    /// Where async deliveries read from: the first sync destination.
    pub fn first_sync(&self) -> Option<&Location> {
        self.sync_destinations().next()
    }

    /// Whether some destination is delivered after the task.
    pub fn has_async(&self) -> bool {
        self.destinations.iter().any(|d| !d.is_sync())
    }

    fn validate_delivery(&self, check: &mut KindCheck<'_>) {
        if self.has_async() && self.dry_run {
            check.problem("destinations", "a dry run delivers nothing, so it cannot have `delivery: async` destinations");
        }
        if self.has_async() && (self.unpack || self.delete_extraneous) {
            check.problem("destinations", "async delivery is not available with `unpack` or `delete_extraneous` yet");
        }
        if self.ordering == DeliveryOrdering::Fail && !self.incremental {
            check.problem("ordering", "ordering applies to incremental copies; add `incremental: true` or remove it");
        }
        if self.files.is_some() && (self.unpack || self.delete_extraneous) {
            check.problem("files", "a list of files cannot be combined with `unpack` or `delete_extraneous`");
        }
        for (j, f) in self.files.iter().flatten().enumerate() {
            let bad = f.path.is_empty() || f.path.starts_with('/') || f.path.split('/').any(|s| s == ".." || s.is_empty());
            if bad {
                check.problem(&format!("files[{j}].path"), format!("`{}` is not a relative path under the source", f.path));
            }
        }
    }

    /// The shard limits in force: (files, bytes).
    pub fn shard_limits(&self) -> (u64, u64) {
        (
            self.shard_files.unwrap_or(Self::DEFAULT_SHARD_FILES).max(1),
            self.shard_bytes.map_or(Self::DEFAULT_SHARD_BYTES, |b| b.0),
        )
    }
}

impl TaskKind for CopyTask {
    const NAME: &'static str = "copy";
    const FIELDS: &'static [&'static str] = &[
        "source",
        "destinations",
        "destination",
        "include",
        "exclude",
        "overwrite",
        "delete_extraneous",
        "max_delete",
        "dry_run",
        "verify",
        "unpack",
        "bandwidth",
        "shard_files",
        "shard_bytes",
        "dataset",
        "incremental",
        "ordering",
        "files",
        "versions",
    ];

    /// `destination: x` is `destinations: [x]`, the common case of one target.
    fn normalize(body: &mut Map<String, Value>, path: &str, problems: &mut Vec<SpecProblem>) {
        if let Some(single) = body.remove("destination") {
            if body.contains_key("destinations") {
                problems.push(SpecProblem::new(
                    format!("{path}.destination"),
                    "give either `destination` or `destinations`, not both",
                ));
            } else {
                body.insert("destinations".into(), Value::Array(vec![single]));
            }
        }
    }

    fn validate(&self, check: &mut KindCheck<'_>) {
        check.location(&self.source, "source");
        if self.destinations.is_empty() {
            check.problem("destinations", "a copy needs at least one destination");
        } else if self.first_sync().is_none() {
            check.problem(
                "destinations",
                "every destination is `delivery: async`, and async deliveries are read from the first sync destination; make one destination sync",
            );
        }
        for (j, dest) in self.destinations.iter().enumerate() {
            let field = format!("destinations[{j}]");
            check.location(&dest.location, &field);
            if dest.location.url.trim_end_matches('/') == self.source.url.trim_end_matches('/') {
                check.problem(&field, "destination is the same as the source");
            }
            match dest.deliver_within {
                Some(_) if dest.is_sync() => check.problem(
                    &format!("{field}.deliver_within"),
                    "deliver_within bounds an async delivery's retries; add `delivery: async` or remove it",
                ),
                Some(w) if w.0.is_zero() => check.problem(&format!("{field}.deliver_within"), "must be longer than 0s"),
                _ => {}
            }
        }
        self.validate_delivery(check);
        if self.max_delete.is_some() && !self.delete_extraneous {
            check.problem(
                "max_delete",
                "max_delete limits deletions, and this copy deletes nothing; add `delete_extraneous: true` or remove it",
            );
        }
        check.globs(&self.include, "include");
        check.globs(&self.exclude, "exclude");
        if let Some(problem) = self.versions.as_ref().and_then(Versions::problem) {
            check.problem("versions", problem);
        }
        if self.versions.is_some() && self.unpack {
            check.problem("versions", "versions are not kept when unpacking an archive yet");
        }
        if let Some(name) = &self.dataset
            && !crate::values::is_dataset_name(name)
        {
            check.problem("dataset", format!("`{name}` is not a dataset name: 1 to 128 letters, digits, `-`, `_` or `.`"));
        }
        if self.dataset.is_some() && self.dry_run {
            check.problem("dataset", "a dry run delivers nothing, so it cannot move a dataset's freshness");
        }
    }

    fn locations_mut(&mut self) -> Vec<&mut Location> {
        std::iter::once(&mut self.source).chain(self.destinations.iter_mut().map(|d| &mut d.location)).collect()
    }

    fn bandwidth(&self) -> Option<Bandwidth> {
        self.bandwidth
    }

    fn set_dry_run(&mut self) {
        self.dry_run = true;
    }

    fn reads(&self) -> Vec<Location> {
        vec![self.source.clone()]
    }

    fn writes(&self) -> Vec<Location> {
        self.destinations.iter().map(|d| d.location.clone()).collect()
    }

    /// Only the sync destinations: an async one holds the data later, not when the task's
    /// post-conditions are checked.
    fn copy_sides(&self) -> Option<CopySides> {
        Some(CopySides {
            source: self.source.clone(),
            destinations: self.sync_destinations().cloned().collect(),
            include: self.include.clone(),
            exclude: self.exclude.clone(),
            mirror: self.delete_extraneous,
        })
    }

    /// Compares contents, so a file the post-condition found different (even at the same
    /// size) is rewritten and a missing one copied.
    fn set_repair(&mut self) {
        self.overwrite = Overwrite::Checksum;
    }
}

/// With `incremental: true`, what a run does when an earlier run's delivery to the same
/// destination has not completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOrdering {
    /// Wait for it (a sync destination's task is `waiting`; an async delivery queues).
    #[default]
    Wait,
    /// Fail at once, naming the earlier delivery.
    Fail,
}

impl DeliveryOrdering {
    /// Whether this is the default (left out when serialising).
    pub fn is_wait(&self) -> bool {
        *self == DeliveryOrdering::Wait
    }
}

/// One file of an explicit list: its path under the source and, optionally, what it is
/// expected to be there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListedFile {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Hex BLAKE3 of the content, when the run that wrote it verified it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blake3: Option<String>,
}

/// End-to-end verification of a copy, for stores that share no native hash (S3 multipart
/// ETags are not MD5s, local files have none): the check rclone falls back to size for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verify {
    /// Trust each store's acknowledgement of the write (and sizes for skips).
    #[default]
    None,
    /// Hash the source with BLAKE3 as it is read, read back every file written and compare,
    /// confirm files left in place by hashing both sides, and keep a manifest (path, size,
    /// hash) as the task's report.
    Checksum,
}

impl Verify {
    /// Whether nothing is verified (the default, left out when serialising).
    pub fn is_none(&self) -> bool {
        *self == Verify::None
    }
}

/// What to do when the destination already has a file at the same path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Overwrite {
    /// Keep the destination file when its size matches (LiveData Migrator's "Skip").
    #[default]
    Skip,
    /// Replace every file.
    Overwrite,
    /// Replace when the source is newer or the size differs.
    Newer,
    /// Replace when the content hash differs (reads both sides).
    Checksum,
}
