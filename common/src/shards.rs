//! Sharded copies: a large `copy` is split by its planning attempt into shards that run
//! as child work on every worker consuming the task's queue.
//!
//! The planning attempt (the "parent") lists the source and the destinations as sorted
//! streams, decides per file, and publishes each full shard as a task message carrying a
//! [`ShardOrder`] (same task, same attempt). Any worker runs it and reports a
//! [`ShardState`] through the coordinator; the parent sums the states into its own
//! progress and result and finishes when every shard has. Shards never reach the
//! orchestrator: to it the parent is the task, so retries, timeouts and cancels work as
//! for any task (a cancel flag is per task, and shards poll it too).
//!
//! A shard message that comes back (its worker died) is redone by another worker, which
//! first re-reads the destination (one `HEAD` per file) so files already landed are
//! skipped. A shard is idempotent, so a duplicate only repeats work.

use crate::CommonError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

/// One shard of a copy: the files it moves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardOrder {
    /// 0-based, unique within the parent attempt.
    pub index: u32,
    /// The files, with what the parent's listing saw at each destination.
    pub files: Vec<ShardFile>,
}

/// A source file of a shard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardFile {
    /// Path relative to the source (and to each destination).
    pub path: String,
    pub size: u64,
    pub modified: DateTime<Utc>,
    /// Per destination, in spec order: the file found there when planning, if any.
    pub dests: Vec<Option<SeenFile>>,
}

/// A destination file as listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenFile {
    pub size: u64,
    pub modified: DateTime<Utc>,
}

/// What a shard reports: progress while it runs, then its outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShardState {
    /// Whether the shard has ended (see `error`).
    pub done: bool,
    /// Why it failed, and whether another attempt might succeed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<(String, bool)>,
    pub files_done: u64,
    pub bytes_done: u64,
    /// Per destination, in the task's destination order.
    #[serde(default)]
    pub tallies: Vec<ShardTally>,
    /// With `verify: checksum`: the shard's manifest items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manifest: Vec<Value>,
}

/// What one shard did at one destination. On the wire it is the array `[files copied,
/// bytes copied, files skipped, bytes skipped]`: a large copy's states carry one per
/// destination per shard, and the array keeps them small.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "[u64; 4]", into = "[u64; 4]")]
pub struct ShardTally {
    pub files_copied: u64,
    pub bytes_copied: u64,
    pub files_skipped: u64,
    pub bytes_skipped: u64,
}

impl From<[u64; 4]> for ShardTally {
    fn from([files_copied, bytes_copied, files_skipped, bytes_skipped]: [u64; 4]) -> Self {
        Self { files_copied, bytes_copied, files_skipped, bytes_skipped }
    }
}

impl From<ShardTally> for [u64; 4] {
    fn from(t: ShardTally) -> Self {
        [t.files_copied, t.bytes_copied, t.files_skipped, t.bytes_skipped]
    }
}

/// What a planning attempt needs to farm out shards: publish them, read their states,
/// and give its worker slot back while it waits (so waiting parents never starve their
/// own shards of slots).
#[async_trait]
pub trait ShardHub: Send + Sync + std::fmt::Debug {
    /// Publishes one shard of this attempt to the task's queue.
    async fn publish(&self, order: ShardOrder) -> Result<(), CommonError>;
    /// The states this attempt's shards have reported so far, by index.
    async fn states(&self) -> Result<HashMap<u32, ShardState>, CommonError>;
    /// Frees the attempt's worker slot; called once the parent only waits.
    fn release_slot(&self);
}
