//! Paging through one list of a stored report (`?kind=missing&cursor=…`), so a client can
//! walk the missing, extra or differing files of a large `check` without fetching the
//! whole report at once.
//!
//! A report never changes once written, so the cursor is simply the index of the next
//! item; it stays opaque to clients all the same (they pass `next_cursor` back as is).

use crate::error::ApiError;
use crate::pagination::{DEFAULT_LIMIT, MAX_LIMIT};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// Which list of a report to page through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ReportList {
    /// Files in the source only.
    Missing,
    /// Files in the target only.
    Extra,
    /// Files on both sides that differ.
    Differ,
    /// A dry-run copy's decisions (copy, skip or delete, and why), or a sync's (every
    /// path it acted on: action and reason).
    Decisions,
    /// A sync's conflicts: path, both versions, and the decision.
    Conflicts,
    /// A verifying copy's manifest (path, size, BLAKE3, outcome per destination).
    Manifest,
}

impl ReportList {
    pub(crate) fn key(self) -> &'static str {
        match self {
            ReportList::Missing => "missing",
            ReportList::Extra => "extra",
            ReportList::Differ => "differ",
            ReportList::Decisions => "decisions",
            ReportList::Conflicts => "conflicts",
            ReportList::Manifest => "manifest",
        }
    }
}

/// Query of `GET /api/v1/tasks/{id}/report`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ReportQuery {
    /// Page through this list instead of returning the whole report.
    #[param(inline)]
    pub(crate) kind: Option<ReportList>,
    /// With `kind`: `next_cursor` of the previous page; omit for the first page.
    pub(crate) cursor: Option<String>,
    /// With `kind`: items per page, 1 to 500 (default 50).
    #[param(minimum = 1)]
    pub(crate) limit: Option<i32>,
}

/// One page of a report's list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReportPage {
    /// Paths (`missing`, `extra`) or `{path, source_size, target_size, reason}` objects
    /// (`differ`).
    pub(crate) items: Vec<Value>,
    /// Pass as `cursor` to get the next page; absent (null) on the last page.
    pub(crate) next_cursor: Option<String>,
}

/// The page `query` asks for out of `report`.
pub(crate) fn page(report: &Value, list: ReportList, query: &ReportQuery) -> Result<ReportPage, ApiError> {
    let Some(items) = report.get(list.key()).and_then(Value::as_array) else {
        return Err(ApiError::BadRequest(format!(
            "this task's report has no `{}` list; `kind` pages through the lists of a `check` report (`missing`, `extra`, `differ`) a dry-run copy's (`decisions`) or a verifying copy's (`manifest`)",
            list.key()
        )));
    };
    let start = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => c
            .parse::<usize>()
            .ok()
            .filter(|i| *i <= items.len())
            .ok_or_else(|| ApiError::BadRequest(format!("`{c}` is not a cursor of this report")))?,
    };
    let limit = match query.limit.map(|n| u64::try_from(n).unwrap_or(0)) {
        Some(0) => return Err(ApiError::BadRequest(format!("`limit` must be between 1 and {MAX_LIMIT}"))),
        Some(n) => n.min(MAX_LIMIT),
        None => DEFAULT_LIMIT,
    } as usize;
    let end = (start + limit).min(items.len());
    Ok(ReportPage {
        items: items[start..end].to_vec(),
        next_cursor: (end < items.len()).then(|| end.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn query(cursor: Option<&str>, limit: Option<i32>) -> ReportQuery {
        ReportQuery {
            kind: Some(ReportList::Missing),
            cursor: cursor.map(str::to_owned),
            limit,
        }
    }

    #[test]
    fn pages_walk_a_list_to_its_end() {
        let report = json!({"missing": ["a", "b", "c"], "extra": []});
        let p = page(&report, ReportList::Missing, &query(None, Some(2))).unwrap();
        assert_eq!(p.items, vec![json!("a"), json!("b")]);
        let p = page(&report, ReportList::Missing, &query(p.next_cursor.as_deref(), Some(2))).unwrap();
        assert_eq!((p.items, p.next_cursor), (vec![json!("c")], None));
        let p = page(&report, ReportList::Extra, &query(None, None)).unwrap();
        assert!(p.items.is_empty() && p.next_cursor.is_none());
    }

    #[test]
    fn bad_cursors_limits_and_lists_are_refused() {
        let report = json!({"missing": ["a"]});
        for (q, list) in [
            (query(Some("x"), None), ReportList::Missing),
            (query(Some("7"), None), ReportList::Missing),
            (query(None, Some(0)), ReportList::Missing),
            (query(None, None), ReportList::Differ),
        ] {
            assert!(matches!(page(&report, list, &q), Err(ApiError::BadRequest(_))), "{q:?} {list:?}");
        }
    }
}
