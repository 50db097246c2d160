//! Conditions: facts about data that gate a task. The same list serves three places:
//! `pre` (all must hold before a task is dispatched), `until` (what a `wait` sensor waits
//! for) and `post` (all must hold after an attempt succeeds, before its dependants start).
//!
//! This module is the spec side (types, text, validation). Checking a condition against
//! the world needs stores and database clients, which `common` does not link; the
//! [`ConditionProbe`] seam lets the orchestrator ask an evaluator without knowing how it
//! answers.

mod check;
mod policy;
mod probe;

pub use check::{ConditionSlot, check_conditions};
pub use policy::{OnTimeout, TriggerRule, WaitPolicy};
pub use probe::{ConditionProbe, ListedObject, ObjectListing, ProbeError, Verdict};

use crate::location::Location;
use crate::values::ByteSize;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One condition, written as a one-key mapping: `{exists: s3://landing/_SUCCESS}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// A file exists; a URL ending in `/` means a prefix holding at least one file.
    Exists(Location),
    /// A prefix holds at least `count` files.
    MinFiles(MinFiles),
    /// A file is at least `bytes` long.
    MinSize(MinSize),
    /// A table (or view) exists in a database connection.
    TableExists(TableExists),
    /// A read-only SQL query returns true (one boolean, or one number where non-zero is true).
    Query(SqlQuery),
    /// Post-condition of a copy: the source and every destination hold the same files, as
    /// a `check` of them would find.
    Consistent(Consistent),
    /// A dataset was delivered to a destination recently: its freshness marker (moved by
    /// each successful copy that names the dataset) is newer than `within`.
    Fresh(Fresh),
}

/// `fresh`: `{dataset, destination, within}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fresh {
    /// The dataset, as a copy's `dataset` names it.
    pub dataset: String,
    /// The destination URL, as written in that copy's `destinations`.
    pub destination: String,
    /// How old the last delivery may be (`2h`).
    #[schema(value_type = String)]
    pub within: crate::values::HumanDuration,
}

/// `min_files`: `{url, connection, count}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MinFiles {
    /// The prefix counted.
    pub url: String,
    /// The stored connection holding the store's credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    /// The fewest files that satisfy the condition.
    pub count: u64,
}

/// `min_size`: `{url, connection, bytes}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MinSize {
    /// The file measured.
    pub url: String,
    /// The stored connection holding the store's credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    /// The smallest size that satisfies the condition (`1MiB`, or a number of bytes).
    #[schema(value_type = String)]
    pub bytes: ByteSize,
}

/// `table_exists`: `{connection, table}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TableExists {
    /// A database connection (`postgres://…` or `mysql://…` in the connections file).
    pub connection: String,
    /// `schema.table`, or `table` in the connection's default schema.
    pub table: String,
}

/// `query`: `{connection, sql}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SqlQuery {
    /// A database connection (`postgres://…` or `mysql://…` in the connections file).
    pub connection: String,
    /// One statement returning one row of one boolean or number; run read-only, under a
    /// statement timeout.
    pub sql: String,
}

/// `consistent`: `{mode}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Consistent {
    /// How deeply files present on both sides are compared, as in `check`.
    #[serde(default)]
    pub mode: CheckMode,
}

impl Condition {
    /// The condition's name as written (`exists`, `min_files`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Condition::Exists(_) => "exists",
            Condition::MinFiles(_) => "min_files",
            Condition::MinSize(_) => "min_size",
            Condition::TableExists(_) => "table_exists",
            Condition::Query(_) => "query",
            Condition::Consistent(_) => "consistent",
            Condition::Fresh(_) => "fresh",
        }
    }

    /// The stored location the condition looks at, for the ones about files.
    pub fn location(&self) -> Option<Location> {
        match self {
            Condition::Exists(loc) => Some(loc.clone()),
            Condition::MinFiles(m) => Some(Location { url: m.url.clone(), connection: m.connection.clone() }),
            Condition::MinSize(m) => Some(Location { url: m.url.clone(), connection: m.connection.clone() }),
            _ => None,
        }
    }

    /// The URL of a condition about files, to rewrite a relative path.
    pub fn url_mut(&mut self) -> Option<&mut String> {
        match self {
            Condition::Exists(loc) => Some(&mut loc.url),
            Condition::MinFiles(m) => Some(&mut m.url),
            Condition::MinSize(m) => Some(&mut m.url),
            _ => None,
        }
    }

    /// The database connection the condition queries, for the ones about tables.
    pub fn database(&self) -> Option<&str> {
        match self {
            Condition::TableExists(t) => Some(&t.connection),
            Condition::Query(q) => Some(&q.connection),
            _ => None,
        }
    }

    /// A short sentence naming the condition, shown as a task's `waiting_for` and in its
    /// error when it never holds.
    pub fn describe(&self) -> String {
        match self {
            Condition::Exists(loc) => format!("exists: {}", loc.url),
            Condition::MinFiles(m) => format!("min_files: {} under {}", m.count, m.url),
            Condition::MinSize(m) => format!("min_size: {} at {}", m.bytes, m.url),
            Condition::TableExists(t) => format!("table_exists: {} on {}", t.table, t.connection),
            Condition::Query(q) => {
                let sql: String = q.sql.split_whitespace().collect::<Vec<_>>().join(" ");
                let short: String = sql.chars().take(120).collect();
                let more = if short.len() < sql.len() { "…" } else { "" };
                format!("query on {}: {short}{more}", q.connection)
            }
            Condition::Consistent(c) => format!("consistent: {:?}", c.mode).to_lowercase(),
            Condition::Fresh(f) => format!("fresh: {} at {} within {}", f.dataset, f.destination, humantime::format_duration(f.within.0)),
        }
    }
}

/// How deeply `check` compares files present on both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckMode {
    /// Sizes only: fast, catches truncation and most partial writes.
    #[default]
    Size,
    /// Sizes, then a content hash of both sides.
    Checksum,
}
