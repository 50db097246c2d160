//! The typed spec. Field names here are the names users write; keep them stable.

use super::Bandwidth;
use super::ByteSize;
use super::HumanDuration;
use super::MaxDelete;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A whole pipeline: a named DAG of tasks with shared defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineSpec {
    /// Unique per tenant; how people and alerts refer to the pipeline.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub defaults: Defaults,
    /// Bytes per second all of a run's copies may move together, across every worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth: Option<Bandwidth>,
    pub tasks: Vec<TaskSpec>,
}

/// Settings every task inherits unless it sets its own.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Defaults {
    #[serde(default)]
    pub retries: RetryPolicy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<HumanDuration>,
}

/// How often and how patiently a failed attempt is retried. The default is no retry, as
/// in Airflow and Data Factory: retrying is a choice, not a surprise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = run once).
    #[serde(default)]
    pub max: u32,
    #[serde(default)]
    pub backoff: Backoff,
    #[serde(default = "RetryPolicy::default_initial")]
    pub initial: HumanDuration,
    #[serde(default = "RetryPolicy::default_max_delay")]
    pub max_delay: HumanDuration,
}

impl RetryPolicy {
    fn default_initial() -> HumanDuration {
        HumanDuration::from_secs(2)
    }
    fn default_max_delay() -> HumanDuration {
        HumanDuration::from_secs(300)
    }

    /// Delay before retry number `retry` (1-based), capped at `max_delay`.
    pub fn delay(&self, retry: u32) -> std::time::Duration {
        let initial = self.initial.0;
        let delay = match self.backoff {
            Backoff::Fixed => initial,
            Backoff::Exponential => {
                let factor = 2u32.saturating_pow(retry.saturating_sub(1).min(30));
                initial.saturating_mul(factor)
            }
        };
        delay.min(self.max_delay.0)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max: 0,
            backoff: Backoff::default(),
            initial: Self::default_initial(),
            max_delay: Self::default_max_delay(),
        }
    }
}

/// Growth of the delay between retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backoff {
    Fixed,
    #[default]
    Exponential,
}

/// One node of the DAG: identity, ordering and policy, plus the kind-specific body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskSpec {
    /// Unique within the pipeline; `depends_on` refers to it.
    pub id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<RetryPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<HumanDuration>,
    #[serde(flatten)]
    pub body: TaskBody,
}

impl TaskSpec {
    /// The retry policy in force: the task's own, else the pipeline's default.
    pub fn retry_policy<'a>(&'a self, defaults: &'a Defaults) -> &'a RetryPolicy {
        self.retries.as_ref().unwrap_or(&defaults.retries)
    }

    /// The timeout in force, if any.
    pub fn effective_timeout(&self, defaults: &Defaults) -> Option<HumanDuration> {
        self.timeout.or(defaults.timeout)
    }
}

/// What a task does. The tag is the spec's `kind` field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TaskBody {
    Copy(CopyTask),
    Check(CheckTask),
    Noop(NoopTask),
}

impl TaskBody {
    /// The `kind` string as written in specs and shown by the API.
    pub fn kind(&self) -> &'static str {
        match self {
            TaskBody::Copy(_) => "copy",
            TaskBody::Check(_) => "check",
            TaskBody::Noop(_) => "noop",
        }
    }
}

/// Copy files from one location to one or more others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopyTask {
    pub source: Location,
    /// Where to write; `destination` (one) is accepted as shorthand when parsing.
    pub destinations: Vec<Location>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub overwrite: Overwrite,
    /// Mirror: after copying, delete destination files the source does not have (among
    /// those the include/exclude patterns select; excluded files are never deleted).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delete_extraneous: bool,
    /// With `delete_extraneous`: the most files one destination may lose; above it the
    /// task fails before it writes or deletes anything. No limit when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    /// Bytes per second this task may move, across every worker running it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth: Option<Bandwidth>,
    /// Most files per shard of a large copy (default [`CopyTask::DEFAULT_SHARD_FILES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard_files: Option<u64>,
    /// Most bytes per shard of a large copy (default [`CopyTask::DEFAULT_SHARD_BYTES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard_bytes: Option<ByteSize>,
}

impl CopyTask {
    /// Files per shard unless the spec says otherwise: enough to keep a worker busy for
    /// seconds, small enough that a shard message stays well under a megabyte.
    pub const DEFAULT_SHARD_FILES: u64 = 5_000;
    /// Bytes per shard unless the spec says otherwise: a lost shard costs at most this.
    pub const DEFAULT_SHARD_BYTES: u64 = 8 << 30;

    /// The shard limits in force: (files, bytes).
    pub fn shard_limits(&self) -> (u64, u64) {
        (
            self.shard_files.unwrap_or(Self::DEFAULT_SHARD_FILES).max(1),
            self.shard_bytes.map_or(Self::DEFAULT_SHARD_BYTES, |b| b.0),
        )
    }
}

/// End-to-end verification of a copy, for stores that share no native hash (S3 multipart
/// ETags are not MD5s, local files have none): the check rclone falls back to size for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
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

/// Compare two locations and report what is missing, extra or different.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckTask {
    pub source: Location,
    pub target: Location,
    #[serde(default)]
    pub mode: CheckMode,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

/// How deeply `check` compares files present on both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckMode {
    /// Sizes only: fast, catches truncation and most partial writes.
    #[default]
    Size,
    /// Sizes, then a content hash of both sides.
    Checksum,
}

/// Does nothing; measures what orchestration itself costs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NoopTask {}

/// A place data lives: a URL, optionally bound to a stored connection holding credentials
/// (so secrets never appear in the spec). Written as a plain string or `{url, connection}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub url: String,
    pub connection: Option<String>,
}

impl Location {
    /// A location with no connection.
    pub fn url(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            connection: None,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum LocationRepr {
    Url(String),
    Full {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        connection: Option<String>,
    },
}

impl Serialize for Location {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.connection {
            None => LocationRepr::Url(self.url.clone()),
            Some(c) => LocationRepr::Full {
                url: self.url.clone(),
                connection: Some(c.clone()),
            },
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Location {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match LocationRepr::deserialize(d).map_err(|_| {
            serde::de::Error::custom("expected a URL string or {url, connection}")
        })? {
            LocationRepr::Url(url) => Ok(Location::url(url)),
            LocationRepr::Full { url, connection } => Ok(Location { url, connection }),
        }
    }
}
