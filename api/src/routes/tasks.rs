//! `/api/v1/runs/{id}/tasks` and `/api/v1/tasks`: the nodes of a run's DAG and their
//! reports.

use crate::dto::{Task, TaskPage};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery};
use crate::pagination::PageQuery;
use crate::problem::Problem;
use crate::report_page::{self, ReportQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde_json::Value;
use uuid::Uuid;

/// Lists the tasks of a run (empty until the orchestrator has planned it).
#[utoipa::path(
    get,
    path = "/api/v1/runs/{id}/tasks",
    tag = "tasks",
    operation_id = "list_run_tasks",
    params(("id" = Uuid, Path, description = "Run id."), PageQuery),
    responses(
        (status = 200, description = "A page of tasks.", body = TaskPage),
        (status = 400, description = "The id is not a UUID, or a bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong admin key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_run_tasks(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<TaskPage>> {
    let page = query.to_request()?;
    if state.store.get_run(caller.tenant, id).await?.is_none() {
        return Err(ApiError::not_found("run", id));
    }
    let page = state.store.list_tasks(caller.tenant, id, &page).await?;
    Ok(Json(TaskPage {
        items: with_destinations(&state, page.items).await?,
        next_cursor: page.next_cursor,
    }))
}

/// One task.
#[utoipa::path(
    get,
    path = "/api/v1/tasks/{id}",
    tag = "tasks",
    operation_id = "get_task",
    params(("id" = Uuid, Path, description = "Task id.")),
    responses(
        (status = 200, description = "The task.", body = Task),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong admin key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such task.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Task>> {
    let row = state
        .store
        .get_task(caller.tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("task", id))?;
    Ok(Json(with_destinations(&state, vec![row]).await?.remove(0)))
}

/// Tasks with live counters and, for copies, where their data stands at each
/// destination (one query for the page's delivery records).
pub(crate) async fn with_destinations(state: &AppState, rows: Vec<ferry_store::TaskRow>) -> ApiResult<Vec<Task>> {
    let copies: Vec<Uuid> = rows.iter().filter(|t| t.kind == "copy").map(|t| t.id).collect();
    let records = if copies.is_empty() { Vec::new() } else { state.store.deliveries_of_tasks(&copies).await? };
    let mut by_task: std::collections::HashMap<Uuid, Vec<&ferry_store::DeliveryRow>> = std::collections::HashMap::new();
    for d in &records {
        by_task.entry(d.task_id).or_default().push(d);
    }
    let destinations: Vec<_> = rows
        .iter()
        .map(|t| crate::dto_deliveries::TaskDestination::of(t, by_task.get(&t.id).map_or(&[][..], Vec::as_slice)))
        .collect();
    let mut tasks = with_live_progress(state, rows).await;
    for (task, d) in tasks.iter_mut().zip(destinations) {
        task.destinations = d;
    }
    Ok(tasks)
}

/// The report a task wrote, e.g. a `check`'s list of missing, extra and differing files.
///
/// Its shape depends on the task's kind. With `kind` (`missing`, `extra` or `differ` of
/// a `check`; `decisions` of a dry-run `copy`) the answer is instead one page
/// `{items, next_cursor}` of that list; follow `next_cursor` for the rest.
#[utoipa::path(
    get,
    path = "/api/v1/tasks/{id}/report",
    tag = "tasks",
    operation_id = "get_task_report",
    params(("id" = Uuid, Path, description = "Task id."), ReportQuery),
    responses(
        (status = 200, description = "The report, or with `kind` one page `{items, next_cursor}` of its list.", body = Object),
        (status = 400, description = "The id is not a UUID; a bad `kind`, `cursor` or `limit`; or the report has no such list.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong admin key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such task, or it has no report (yet).", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get_task_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> ApiResult<Json<Value>> {
    let row = state
        .store
        .get_task(caller.tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("task", id))?;
    let report = row.report.ok_or_else(|| {
        ApiError::NotFound(format!(
            "task {id} has no report (yet): reports are written by finished tasks of kinds that make one, such as `check`"
        ))
    })?;
    match query.kind {
        None => Ok(Json(report)),
        Some(list) => {
            let page = report_page::page(&report, list, &query)?;
            Ok(Json(serde_json::json!({"items": page.items, "next_cursor": page.next_cursor})))
        }
    }
}

/// Task views with the live counters the coordinator holds for running tasks, which are
/// fresher than the orchestrator's batched database writes. Without them (coordinator
/// down, or nothing published) the stored counters stand.
async fn with_live_progress(state: &AppState, rows: Vec<ferry_store::TaskRow>) -> Vec<Task> {
    let running: Vec<Uuid> = rows
        .iter()
        .filter(|t| t.state == ferry_common::state::TaskState::Running)
        .map(|t| t.id)
        .collect();
    let live = if running.is_empty() {
        Default::default()
    } else {
        state.coordinator.live_progress(&running).await.unwrap_or_else(|e| {
            tracing::debug!(error = %e, "live progress unavailable");
            Default::default()
        })
    };
    rows.into_iter()
        .map(|row| {
            let fresh = live.get(&row.id).copied();
            let mut task = Task::from(row);
            // Pass figures (a migrate's or sync's) exist only live.
            task.progress.passes = fresh.and_then(|p| p.passes);
            if let Some(p) = fresh.filter(|p| p.files_done >= task.progress.files_done && p.bytes_done >= task.progress.bytes_done) {
                task.progress.files_total = p.files_total;
                task.progress.files_done = p.files_done;
                task.progress.bytes_total = p.bytes_total;
                task.progress.bytes_done = p.bytes_done;
            }
            task
        })
        .collect()
}

/// Every task of a run (of the caller's tenant), with live counters: what a page showing
/// a whole run at once needs (the paged list above serves API clients).
pub(crate) async fn run_tasks_live(state: &AppState, caller: Caller, run: Uuid) -> ApiResult<Vec<Task>> {
    let rows = state.store.all_run_tasks(caller.tenant, run).await?;
    Ok(with_live_progress(state, rows).await)
}

/// As [`run_tasks_live`], and whether any task kept a manifest (a verifying copy), read
/// from the same rows.
pub(crate) async fn run_tasks_live_with_manifest(state: &AppState, caller: Caller, run: Uuid) -> ApiResult<(Vec<Task>, bool)> {
    let rows = state.store.all_run_tasks(caller.tenant, run).await?;
    let manifest = rows.iter().any(|t| t.report.as_ref().is_some_and(|r| r.get("manifest").is_some()));
    Ok((with_live_progress(state, rows).await, manifest))
}
