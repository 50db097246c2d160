//! `GET /api/v1/runs/{id}/manifest`: every file a run's verifying copies wrote or kept,
//! with its size and BLAKE3 hash, as one CSV download.
//!
//! The rows come from the manifests that `copy` tasks with `verify: checksum` leave as
//! their reports (see the worker's copy executor), in task order then path order. CSV
//! because that is what auditors and spreadsheets take, and what `b3sum --check` style
//! tooling is easily fed from; the per-task JSON stays available page by page through
//! `GET /api/v1/tasks/{id}/report?kind=manifest`.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::problem::Problem;
use crate::state::AppState;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use serde_json::Value;
use std::fmt::Write as _;
use uuid::Uuid;

/// The run's manifest: `task,path,size,blake3,destinations` rows.
#[utoipa::path(
    get,
    path = "/api/v1/runs/{id}/manifest",
    tag = "runs",
    operation_id = "get_run_manifest",
    params(("id" = Uuid, Path, description = "Run id.")),
    responses(
        (status = 200, description = "CSV with a header row: task, path, size, blake3, destinations (outcomes per destination, `;`-separated).", body = String, content_type = "text/csv"),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong admin key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run, or none of its tasks keeps a manifest (yet): only finished copies with `verify: checksum` do.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get_run_manifest(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<(HeaderMap, String)> {
    state
        .store
        .get_run(caller.tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("run", id))?;
    let tasks = state.store.all_run_tasks(caller.tenant, id).await?;
    let mut csv = String::from("task,path,size,blake3,destinations\n");
    let mut any = false;
    for task in &tasks {
        let Some(items) = task.report.as_ref().and_then(|r| r.get("manifest")).and_then(Value::as_array) else {
            continue;
        };
        any = true;
        for item in items {
            let outcomes: Vec<&str> = item["destinations"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let _ = writeln!(
                csv,
                "{},{},{},{},{}",
                field(&task.key),
                field(item["path"].as_str().unwrap_or_default()),
                item["size"].as_u64().unwrap_or_default(),
                item["blake3"].as_str().unwrap_or_default(),
                outcomes.join(";")
            );
        }
    }
    if !any {
        return Err(ApiError::NotFound(format!(
            "run {id} has no manifest: only finished `copy` tasks with `verify: checksum` keep one"
        )));
    }
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"run-{id}-manifest.csv\"")) {
        headers.insert(CONTENT_DISPOSITION, v);
    }
    Ok((headers, csv))
}

/// One CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(super::field("a/b.csv"), "a/b.csv");
        assert_eq!(super::field("odd,\"name\".csv"), "\"odd,\"\"name\"\".csv\"");
    }
}
