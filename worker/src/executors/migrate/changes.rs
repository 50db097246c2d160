//! What a migration pass has to do: the source's listing against the records of what
//! earlier passes copied. A pure function, so the rules are tested as a table.

use crate::listing::Entry;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// What a pass copied of one path: the source as it was listed when it was copied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Copied {
    /// Size in bytes.
    pub(crate) s: u64,
    /// The source's modification time, ms since the epoch.
    pub(crate) m: i64,
    /// The source's entity tag, when its store has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) e: Option<String>,
}

impl Copied {
    /// The record of a listed source file.
    pub(crate) fn of(e: &Entry) -> Self {
        Self { s: e.size, m: e.last_modified.timestamp_millis(), e: e.e_tag.as_deref().map(|t| t.trim_matches('"').to_string()) }
    }

    /// Whether the source file is still what was copied.
    pub(crate) fn matches(&self, e: &Entry) -> bool {
        self.s == e.size
            && match (&self.e, &e.e_tag) {
                (Some(x), Some(y)) => x.as_str() == y.trim_matches('"'),
                _ => self.m == e.last_modified.timestamp_millis(),
            }
    }
}

/// One pass's work.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    /// Files no record covers (new since the last pass, or never copied).
    pub(crate) added: Vec<Entry>,
    /// Files whose record no longer matches the source.
    pub(crate) changed: Vec<Entry>,
    /// Recorded paths the source no longer has.
    pub(crate) vanished: Vec<String>,
}

impl Changes {
    /// Files and deletions found.
    pub(crate) fn count(&self) -> u64 {
        (self.added.len() + self.changed.len() + self.vanished.len()) as u64
    }

    /// Bytes of the files to copy.
    pub(crate) fn bytes(&self) -> u64 {
        self.added.iter().chain(&self.changed).map(|e| e.size).sum()
    }

    /// The oldest modification among the files still to copy.
    pub(crate) fn oldest(&self) -> Option<DateTime<Utc>> {
        self.oldest_file().map(|e| e.last_modified)
    }

    /// The file behind the lag: the one changed longest ago among those still to copy.
    pub(crate) fn oldest_file(&self) -> Option<&Entry> {
        self.added.iter().chain(&self.changed).min_by_key(|e| e.last_modified)
    }
}

/// Sorts the listing into what the records already cover and what changed.
pub(crate) fn changes(listing: Vec<Entry>, records: &BTreeMap<String, Copied>) -> Changes {
    let mut out = Changes::default();
    let listed: HashSet<String> = listing.iter().map(|e| e.rel_path.clone()).collect();
    for e in listing {
        match records.get(&e.rel_path) {
            None => out.added.push(e),
            Some(r) if !r.matches(&e) => out.changed.push(e),
            Some(_) => {}
        }
    }
    out.vanished = records.keys().filter(|p| !listed.contains(p.as_str())).cloned().collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn file(path: &str, size: u64, secs: i64) -> Entry {
        Entry {
            rel_path: path.into(),
            location: object_store::path::Path::from(path),
            size,
            last_modified: Utc.timestamp_opt(secs, 0).unwrap(),
            e_tag: None,
        }
    }

    #[test]
    fn new_changed_vanished_and_untouched_files_are_told_apart() {
        let records: BTreeMap<String, Copied> = [
            ("same".to_string(), Copied::of(&file("same", 1, 10))),
            ("grown".to_string(), Copied::of(&file("grown", 1, 10))),
            ("touched".to_string(), Copied::of(&file("touched", 1, 10))),
            ("gone".to_string(), Copied::of(&file("gone", 1, 10))),
        ]
        .into();
        let listing = vec![file("grown", 2, 10), file("new", 1, 30), file("same", 1, 10), file("touched", 1, 20)];
        let c = changes(listing, &records);
        let names = |v: &[Entry]| v.iter().map(|e| e.rel_path.clone()).collect::<Vec<_>>();
        assert_eq!(names(&c.added), ["new"]);
        assert_eq!(names(&c.changed), ["grown", "touched"]);
        assert_eq!(c.vanished, ["gone"]);
        assert_eq!((c.count(), c.bytes()), (4, 4));
        assert_eq!(c.oldest(), Some(Utc.timestamp_opt(10, 0).unwrap()));
    }
}
