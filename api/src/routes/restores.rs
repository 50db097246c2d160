//! `POST /api/v1/restores`: a folder rebuilt as it was at a moment, from the versions
//! Ferry kept there (`versions:` on a copy, migrate or sync). A restore is a run with one
//! `restore` task, of the tenant's `ferry-restores` pipeline (made on first use), so it
//! is queued, dispatched, retried, shown and audited like every other run.

use crate::auth::{Caller, Role};
use crate::dto::{Run, RunProgress};
use crate::error::{ApiError, ApiResult};
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

/// The pipeline restores run under, one per tenant.
pub(crate) const RESTORES_PIPELINE: &str = "ferry-restores";

/// What to restore: `location` as it was `at`, written to `to`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RestoreRequest {
    /// The versioned folder (a URL, as in a spec).
    pub(crate) location: String,
    /// The moment to go back to (RFC 3339).
    pub(crate) at: DateTime<Utc>,
    /// Where to write the rebuilt files (a folder outside `location`).
    pub(crate) to: String,
}

/// Starts a restore: a run of the tenant's `ferry-restores` pipeline with one `restore`
/// task. Follow it as any run (`Location` names it).
#[utoipa::path(
    post,
    path = "/api/v1/restores",
    tag = "runs",
    operation_id = "create_restore",
    request_body(content = RestoreRequest, content_type = "application/json"),
    responses(
        (status = 202, description = "Queued; `Location` names the run.", body = Run),
        (status = 400, description = "The body is not a restore request.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong admin key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key's role may not run pipelines.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A location is not allowed or not valid (each problem named).", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create_restore(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<(StatusCode, HeaderMap, Json<Run>)> {
    caller.require(Role::Runner)?;
    let request: RestoreRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the restore request is not valid: {e}; send {{\"location\", \"at\", \"to\"}}")))?;
    let spec = json!({
        "name": RESTORES_PIPELINE,
        "tasks": [{"id": "restore", "kind": "restore", "location": request.location, "at": request.at, "to": request.to}],
    });
    let stored = super::pipelines::checked_spec(&state, &caller, spec).await?;
    let pipeline = match state.store.pipeline_named(caller.tenant, RESTORES_PIPELINE).await? {
        Some(p) => p,
        None => state.store.create_pipeline(caller.tenant, RESTORES_PIPELINE, &stored).await?,
    };
    let trigger = ferry_common::triggers::RunTrigger::manual(chrono::SubsecRound::trunc_subsecs(Utc::now(), 6));
    let row = state.store.create_run_because(caller.tenant, pipeline.id, &stored, &trigger, "restore requested").await?;
    (state.on_run_change)();
    let headers = super::pipelines::location(format!("/api/v1/runs/{}", row.id));
    Ok((StatusCode::ACCEPTED, headers, Json(Run::new(row, RunProgress::default()))))
}
