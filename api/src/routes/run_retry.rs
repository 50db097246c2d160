//! `POST /api/v1/runs/{id}/retry`: run again only what did not succeed.
//!
//! Like Data Factory's "rerun from failed activity", a retry is a new run (the old one's
//! history stays as it was) whose spec is the old run's snapshot cut down to the tasks
//! that did not succeed (failed, cancelled, or skipped because something upstream
//! failed). Dependencies on tasks that succeeded are dropped: they are already met. The
//! first transition of the new run names the run it retries. A copy in the retry
//! re-decides per file, so it writes only what is still missing or different.

use crate::dto::{Run, RunProgress};
use crate::auth::{Caller, Role};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use ferry_common::spec::PipelineSpec;
use ferry_common::state::TaskState;
use std::collections::BTreeSet;
use uuid::Uuid;

/// Starts a new run of only the tasks of a finished run that did not succeed.
#[utoipa::path(
    post,
    path = "/api/v1/runs/{id}/retry",
    tag = "runs",
    operation_id = "retry_run",
    params(("id" = Uuid, Path, description = "Id of the finished run to retry.")),
    responses(
        (status = 202, description = "The new run is queued; `Location` names it.", body = Run),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong admin key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The run is still going, or every task succeeded.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn retry_run(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<(StatusCode, HeaderMap, Json<Run>)> {
    caller.require(Role::Runner)?;
    let run = state
        .store
        .get_run(caller.tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("run", id))?;
    if !run.state.is_terminal() {
        return Err(ApiError::NothingToRetry(format!(
            "run {id} is still {}; retry it once it has finished (or cancel it first)",
            run.state.as_str()
        )));
    }
    let tasks = state.store.all_run_tasks(caller.tenant, id).await?;
    let redo: BTreeSet<String> = tasks
        .iter()
        .filter(|t| t.state != TaskState::Succeeded)
        .map(|t| t.key.clone())
        .collect();
    if redo.is_empty() {
        return Err(ApiError::NothingToRetry(format!(
            "every task of run {id} succeeded; start a new run of the pipeline instead"
        )));
    }
    let spec = retry_spec(&run.spec, &redo)?;
    let cause = format!(
        "retry of run {id}: {}",
        redo.iter().cloned().collect::<Vec<_>>().join(", ")
    );
    let row = state
        .store
        .create_run_because(caller.tenant, run.pipeline_id, &spec, &retried_trigger(&run), &cause)
        .await?;
    (state.on_run_change)();
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/runs/{}", row.id)) {
        headers.insert(LOCATION, v);
    }
    Ok((StatusCode::ACCEPTED, headers, Json(Run::new(row, RunProgress::default()))))
}

/// The run's spec with only the tasks in `redo`, and dependencies on the others dropped.
fn retry_spec(snapshot: &serde_json::Value, redo: &BTreeSet<String>) -> ApiResult<serde_json::Value> {
    let mut spec: PipelineSpec = serde_json::from_value(snapshot.clone()).map_err(|e| {
        ApiError::Internal(format!("the run's stored spec no longer reads as a spec: {e}"))
    })?;
    spec.tasks.retain(|t| redo.contains(&t.id));
    for t in &mut spec.tasks {
        t.depends_on.retain(|d| redo.contains(d));
    }
    serde_json::to_value(&spec)
        .map_err(|e| ApiError::Internal(format!("writing the retry's spec: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_retry_keeps_the_unfinished_tasks_and_their_edges_among_themselves() {
        let snapshot = json!({"name": "p", "tasks": [
            {"id": "a", "kind": "noop"},
            {"id": "b", "kind": "noop", "depends_on": ["a"]},
            {"id": "c", "kind": "noop", "depends_on": ["a", "b"]},
        ]});
        let redo: BTreeSet<String> = ["b", "c"].into_iter().map(String::from).collect();
        let spec = retry_spec(&snapshot, &redo).unwrap();
        let tasks = spec["tasks"].as_array().unwrap();
        assert_eq!(tasks.len(), 2);
        assert_eq!(tasks[0]["id"], "b");
        assert!(tasks[0].get("depends_on").is_none(), "{spec}");
        assert_eq!(tasks[1]["depends_on"], json!(["b"]));
    }
}

/// A retry keeps the trigger and logical time of the run it retries (its dated prefixes
/// are the same), and names that run in the detail.
fn retried_trigger(run: &ferry_store::RunRow) -> ferry_common::triggers::RunTrigger {
    let mut trigger = run.trigger.clone();
    let mut detail = match trigger.detail.take() {
        Some(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    detail.insert("retry_of".into(), serde_json::Value::String(run.id.to_string()));
    trigger.detail = Some(serde_json::Value::Object(detail));
    trigger
}
