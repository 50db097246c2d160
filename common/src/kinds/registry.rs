//! The table the structural parser reads: one [`KindInfo`] per registered kind, built by
//! the list macro in `kinds/mod.rs`.

use super::{KINDS, TaskBody};
use crate::problem::SpecProblem;
use serde_json::{Map, Value};

/// What the structural pass needs to know about one kind, without knowing its type.
#[derive(Debug)]
pub struct KindInfo {
    /// The `kind` string.
    pub name: &'static str,
    /// Fields the kind accepts besides the common ones.
    pub fields: &'static [&'static str],
    /// The kind's shorthand rewrites, applied to the raw body before typing.
    pub normalize: fn(&mut Map<String, Value>, &str, &mut Vec<SpecProblem>),
    /// Types the raw body (already normalized), reporting problems under `prefix`.
    pub typed: fn(Value, &str, &mut Vec<SpecProblem>) -> Option<TaskBody>,
}

/// The registered kind called `name`, or `None` for a kind this build does not have.
pub fn find_kind(name: &str) -> Option<&'static KindInfo> {
    KINDS.iter().find(|k| k.name == name)
}

/// Deserializes one part of a spec, turning serde's message into a problem at the right
/// path (`prefix` is the part's own path followed by a dot, or empty for the document).
pub(crate) fn typed<T: serde::de::DeserializeOwned>(
    value: Value,
    prefix: &str,
    problems: &mut Vec<SpecProblem>,
) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(v) => Some(v),
        Err(err) => {
            let inner = err.path().to_string();
            let path = match (prefix.trim_end_matches('.'), inner.as_str()) {
                ("", ".") => "$".to_string(),
                ("", p) => p.to_string(),
                (pre, ".") => pre.to_string(),
                (pre, p) => format!("{pre}.{p}"),
            };
            problems.push(SpecProblem::new(path, err.into_inner().to_string()));
            None
        }
    }
}
