//! The three-way decision of a sync, per path: what side `a` and side `b` hold now,
//! against the baseline (what both held after the last applied change). A pure function
//! of the three, so the rules are tested as a table.
//!
//! | baseline | a | b | step |
//! |---|---|---|---|
//! | — | file | — | copy a → b ("new on a") |
//! | — | file | file | compare: same content → record, else a conflict |
//! | seen | unchanged | unchanged | nothing |
//! | seen | changed | unchanged | copy a → b |
//! | seen | gone | unchanged | delete on b (counts against `max_delete`) |
//! | seen | gone | gone | forget the path |
//! | seen | changed | changed | compare: same content → record, else a conflict |
//! | seen | changed | gone | the change is kept: copy a → b (reported as a conflict) |
//!
//! and the same with the sides swapped. "Changed" is judged by size and entity tag (or
//! modification time where the store gives no tag), against the record of that side.

use crate::listing::Entry;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What one side held of a path when the baseline was last written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Seen {
    /// Size in bytes.
    pub(crate) s: u64,
    /// Modification time, ms since the epoch.
    pub(crate) m: i64,
    /// Entity tag, when the store has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) e: Option<String>,
    /// BLAKE3 hex, when the content was hashed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) h: Option<String>,
}

impl Seen {
    /// What a listing (or a look-up after a write) says of a file.
    pub(crate) fn of(e: &Entry) -> Self {
        Self { s: e.size, m: e.last_modified.timestamp_millis(), e: e.e_tag.as_deref().map(bare_tag), h: None }
    }

    /// Whether `e` is still the file this record describes.
    pub(crate) fn matches(&self, e: &Entry) -> bool {
        self.s == e.size
            && match (&self.e, &e.e_tag) {
                (Some(x), Some(y)) => x.as_str() == bare_tag(y),
                _ => self.m == e.last_modified.timestamp_millis(),
            }
    }
}

/// Entity tags without the quotes some stores' listings keep and their look-ups drop.
fn bare_tag(tag: &str) -> String {
    tag.trim_matches('"').to_string()
}

/// The baseline of one path: what each side held after the last change applied to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Base {
    pub(crate) a: Seen,
    pub(crate) b: Seen,
}

/// One of the two sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    A,
    B,
}

impl Side {
    /// The other side.
    pub(crate) fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }

    /// `a` or `b`, as reports name it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Side::A => "a",
            Side::B => "b",
        }
    }
}

/// What to do with one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Write `from`'s file to the other side.
    Copy { from: Side, reason: &'static str },
    /// Delete the file on `on` (the other side deleted it).
    Delete { on: Side },
    /// Both sides hold a file the baseline does not (or no longer) describe: the same
    /// content is recorded, different content is a conflict.
    Compare { both_new: bool },
    /// Changed on `from`, deleted on the other side: the change is copied back.
    KeepChange { from: Side },
    /// Gone from both sides: the baseline forgets it.
    Forget,
}

impl Step {
    /// The step in words for the report: `(action, reason)`. A `Compare` is decided when
    /// applied (same content, or a conflict), so a dry run reports it as to compare.
    pub(crate) fn describe(&self) -> (String, String) {
        let copy = |from: Side| format!("copy {} → {}", from.name(), from.other().name());
        match self {
            Step::Copy { from, reason } => (copy(*from), (*reason).to_string()),
            Step::KeepChange { from } => {
                (copy(*from), format!("changed on {}, deleted on {}: the change is kept", from.name(), from.other().name()))
            }
            Step::Delete { on } => (format!("delete on {}", on.name()), format!("deleted on {}", on.other().name())),
            Step::Compare { both_new: true } => ("compare".into(), "new on both sides: the same content is recorded, else a conflict".into()),
            Step::Compare { both_new: false } => ("compare".into(), "changed on both sides: the same content is recorded, else a conflict".into()),
            Step::Forget => ("forget".into(), "gone from both sides".into()),
        }
    }
}

/// One path and its step, with what each side holds now.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub(crate) path: String,
    pub(crate) a: Option<Entry>,
    pub(crate) b: Option<Entry>,
    pub(crate) step: Step,
}

/// Every path that needs something, in path order.
pub(crate) fn plan(a: Vec<Entry>, b: Vec<Entry>, base: &BTreeMap<String, Base>) -> Vec<Planned> {
    let mut paths: BTreeMap<String, (Option<Entry>, Option<Entry>)> = BTreeMap::new();
    for e in a {
        let key = e.rel_path.clone();
        paths.entry(key).or_default().0 = Some(e);
    }
    for e in b {
        let key = e.rel_path.clone();
        paths.entry(key).or_default().1 = Some(e);
    }
    for p in base.keys() {
        paths.entry(p.clone()).or_default();
    }
    paths
        .into_iter()
        .filter_map(|(path, (a, b))| {
            let step = step(a.as_ref(), b.as_ref(), base.get(&path))?;
            Some(Planned { path, a, b, step })
        })
        .collect()
}

/// The rule of the module table for one path; `None` when nothing is to be done.
pub(crate) fn step(a: Option<&Entry>, b: Option<&Entry>, base: Option<&Base>) -> Option<Step> {
    let Some(base) = base else {
        return match (a, b) {
            (Some(_), Some(_)) => Some(Step::Compare { both_new: true }),
            (Some(_), None) => Some(Step::Copy { from: Side::A, reason: "new on a" }),
            (None, Some(_)) => Some(Step::Copy { from: Side::B, reason: "new on b" }),
            (None, None) => None,
        };
    };
    // Per side: None = gone, Some(false) = unchanged, Some(true) = changed.
    let a_changed = a.map(|e| !base.a.matches(e));
    let b_changed = b.map(|e| !base.b.matches(e));
    match (a_changed, b_changed) {
        (Some(false), Some(false)) => None,
        (Some(true), Some(false)) => Some(Step::Copy { from: Side::A, reason: "changed on a" }),
        (Some(false), Some(true)) => Some(Step::Copy { from: Side::B, reason: "changed on b" }),
        (None, Some(false)) => Some(Step::Delete { on: Side::B }),
        (Some(false), None) => Some(Step::Delete { on: Side::A }),
        (None, None) => Some(Step::Forget),
        (Some(true), Some(true)) => Some(Step::Compare { both_new: false }),
        (Some(true), None) => Some(Step::KeepChange { from: Side::A }),
        (None, Some(true)) => Some(Step::KeepChange { from: Side::B }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn file(size: u64, secs: i64) -> Entry {
        Entry {
            rel_path: "p".into(),
            location: object_store::path::Path::from("p"),
            size,
            last_modified: Utc.timestamp_opt(secs, 0).unwrap(),
            e_tag: None,
        }
    }

    fn base() -> Base {
        Base { a: Seen::of(&file(1, 100)), b: Seen::of(&file(1, 200)) }
    }

    #[test]
    fn the_table_holds() {
        let (same_a, same_b, changed) = (file(1, 100), file(1, 200), file(2, 300));
        let b = base();
        let cases: Vec<(Option<&Entry>, Option<&Entry>, Option<&Base>, Option<Step>)> = vec![
            (Some(&same_a), None, None, Some(Step::Copy { from: Side::A, reason: "new on a" })),
            (None, Some(&same_b), None, Some(Step::Copy { from: Side::B, reason: "new on b" })),
            (Some(&same_a), Some(&same_b), None, Some(Step::Compare { both_new: true })),
            (Some(&same_a), Some(&same_b), Some(&b), None),
            (Some(&changed), Some(&same_b), Some(&b), Some(Step::Copy { from: Side::A, reason: "changed on a" })),
            (Some(&same_a), Some(&changed), Some(&b), Some(Step::Copy { from: Side::B, reason: "changed on b" })),
            (None, Some(&same_b), Some(&b), Some(Step::Delete { on: Side::B })),
            (Some(&same_a), None, Some(&b), Some(Step::Delete { on: Side::A })),
            (None, None, Some(&b), Some(Step::Forget)),
            (Some(&changed), Some(&changed), Some(&b), Some(Step::Compare { both_new: false })),
            (Some(&changed), None, Some(&b), Some(Step::KeepChange { from: Side::A })),
            (None, Some(&changed), Some(&b), Some(Step::KeepChange { from: Side::B })),
        ];
        for (i, (a, bb, base, want)) in cases.into_iter().enumerate() {
            assert_eq!(step(a, bb, base), want, "case {i}");
        }
    }

    #[test]
    fn tags_decide_where_both_have_one_and_quotes_do_not_count() {
        let mut e = file(1, 100);
        e.e_tag = Some("\"abc\"".into());
        let seen = Seen::of(&e);
        assert_eq!(seen.e.as_deref(), Some("abc"));
        let mut later = e.clone();
        later.last_modified = Utc.timestamp_opt(999, 0).unwrap();
        assert!(seen.matches(&later), "same tag, another time: unchanged");
        later.e_tag = Some("abd".into());
        assert!(!seen.matches(&later));
    }
}
