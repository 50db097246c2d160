//! One task's page: its state, attempts, error in full, progress and result; for a
//! `check`, the report's counts and a paged table of missing / extra / differing files;
//! for a dry-run copy, its decisions (copy, skip or delete, and why).

use super::error::PortalError;
use super::format::{bytes, maybe_time, short_id, state};
use super::layout::{Section, page};
use super::page_id;
use super::session::Session;
use crate::extract::{ApiPath, ApiQuery};
use crate::report_page::{self, ReportList, ReportQuery};
use crate::routes::tasks;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

/// Rows of a report list per page.
const PAGE_ROWS: i32 = 50;

/// Which report list to show, and where in it.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TaskPageQuery {
    list: Option<ReportList>,
    cursor: Option<String>,
}

/// `GET /tasks/{id}`.
pub(crate) async fn detail(State(st): State<AppState>, session: Session, Path(id): Path<String>, Query(q): Query<TaskPageQuery>) -> Result<Response, PortalError> {
    let id = page_id(&id, "task")?;
    let task = tasks::get_task(State(st.clone()), session.caller, ApiPath(id)).await?.0;
    let report = match tasks::get_task_report(State(st.clone()), session.caller, ApiPath(id), ApiQuery(ReportQuery::default())).await {
        Ok(r) => Some(r.0),
        Err(crate::error::ApiError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let lists: Vec<(ReportList, &str, u64)> = report.as_ref().map(|r| available_lists(r)).unwrap_or_default();
    let chosen = q.list.filter(|l| lists.iter().any(|(x, ..)| x == l)).or_else(|| lists.first().map(|(l, ..)| *l));
    // The page is cut from the report already read, as the API's `?kind=` does.
    let page_of = match (chosen, &report) {
        (Some(list), Some(r)) => {
            let query = ReportQuery { kind: Some(list), cursor: q.cursor.clone(), limit: Some(PAGE_ROWS) };
            Some(report_page::page(r, list, &query)?)
        }
        _ => None,
    };
    let p = &task.progress;
    let title = format!("Task {}", task.key);
    let body = html! {
        h1 { (task.key) }
        p { "Task of run " a href={ "/runs/" (task.run_id) } { (short_id(&task.run_id)) } "." }
        dl.facts {
            dt { "Kind" } dd { (task.kind) }
            dt { "State" } dd { (state(task.state.as_str())) }
            dt { "Attempt" } dd { (task.attempt) }
            @if !task.depends_on.is_empty() { dt { "Depends on" } dd { (task.depends_on.join(", ")) } }
            dt { "Started" } dd { (maybe_time(task.started_at.as_ref())) }
            dt { "Finished" } dd { (maybe_time(task.finished_at.as_ref())) }
            @if p.files_total > 0 { dt { "Files" } dd { (p.files_done) " of " (p.files_total) } }
            @if p.bytes_total > 0 { dt { "Bytes" } dd { (bytes(p.bytes_done)) " of " (bytes(p.bytes_total)) } }
            @if let Some(w) = &task.waiting_for { dt { "Waiting for" } dd { (w) } }
        }
        @if let Some(e) = &task.error { h2 { "Error" } pre.error { (e) } }
        @if !task.destinations.is_empty() {
            section aria-labelledby="destinations-title" {
                h2 #destinations-title { "Destinations" }
                table #destinations {
                    thead { tr { th scope="col" { "Destination" } th scope="col" { "Delivery" } th scope="col" { "State" } th scope="col" { "Files" } th scope="col" { "Bytes" } th scope="col" { "Attempts" } th scope="col" { "Last error" } } }
                    tbody {
                        @for d in &task.destinations {
                            tr data-state=(d.state.as_str()) {
                                td { (d.url) } td { (d.delivery) } td { (state(d.state.as_str())) } td { (d.files) } td { (bytes(d.bytes)) } td { (d.attempts) }
                                td { (d.last_error.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(r) = &task.result { details { summary { "Result" } pre { (serde_json::to_string_pretty(r).unwrap_or_default()) } } }
        @if let Some(r) = &report {
            section aria-labelledby="report-title" {
                h2 #report-title { "Report" }
                @if let Some(s) = r.get("summary").and_then(Value::as_str) { p { (s) } }
                ul #report-counts {
                    @for (list, label, count) in &lists {
                        li { @if Some(*list) == chosen { strong { (label) ": " (count) } } @else { (label) ": " (count) } }
                    }
                }
                nav aria-label="Report lists" { ul.tabs {
                    @for (list, label, _) in &lists {
                        li { a href={ "/tasks/" (id) "?list=" (list.key()) } aria-current=[(Some(*list) == chosen).then_some("true")] { (label) } }
                    }
                } }
                @if let Some(page) = &page_of { (report_table(&page.items)) }
                @if let Some(next) = page_of.as_ref().and_then(|p| p.next_cursor.as_deref()) {
                    p { a rel="next" href={ "/tasks/" (id) "?list=" (chosen.map_or("", ReportList::key)) "&cursor=" (next) } { "Next page" } }
                }
            }
        }
    };
    Ok(page(&session, Section::Runs, &title, body))
}

/// The lists a report holds, with their full counts (the `*_count` fields when the
/// stored list was cut short).
fn available_lists(report: &Value) -> Vec<(ReportList, &'static str, u64)> {
    [(ReportList::Missing, "Missing"), (ReportList::Extra, "Extra"), (ReportList::Differ, "Differ"), (ReportList::Decisions, "Decisions"), (ReportList::Conflicts, "Conflicts"), (ReportList::Manifest, "Manifest")]
        .into_iter()
        .filter_map(|(list, label)| {
            let name = list.key();
            let items = report.get(name)?.as_array()?;
            let count = report.get(format!("{name}_count")).and_then(Value::as_u64).unwrap_or(items.len() as u64);
            Some((list, label, count))
        })
        .collect()
}

/// One page of a list: paths, or objects with a column per field.
fn report_table(items: &[Value]) -> Markup {
    let columns: Vec<String> = items.first().and_then(Value::as_object).map(|o| o.keys().cloned().collect()).unwrap_or_default();
    let cell = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    html! {
        @if items.is_empty() { p { "Nothing in this list." } } @else {
            div.table-wrap tabindex="0" { table #report-list {
                thead { tr {
                    @if columns.is_empty() { th scope="col" { "Path" } }
                    @for c in &columns { th scope="col" { (c) } }
                } }
                tbody { @for item in items { tr {
                    @if columns.is_empty() { td { (cell(Some(item))) } }
                    @for c in &columns { td { (cell(item.get(c))) } }
                } } }
            } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_count_what_was_found_not_what_was_kept() {
        let r = serde_json::json!({"missing": ["a"], "missing_count": 12000, "extra": [], "differ": [{"path": "b"}]});
        let lists = available_lists(&r);
        assert_eq!(lists.iter().map(|l| l.2).collect::<Vec<_>>(), vec![12000, 0, 1]);
    }
}
