//! Controlling a pipeline's schedule: pause, resume (missed slots handled by `catchup`),
//! backfill a range of slots, and issue the webhook secret.

use crate::auth::{Caller, Role};
use crate::dto::Pipeline;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use ferry_common::schedule::{Catchup, Overlap};
use ferry_store::FiringRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Slots one backfill may create.
const MAX_BACKFILL_SLOTS: usize = 10_000;

/// Pauses a pipeline's schedules and triggers.
///
/// Slots that come while it is paused are recorded `missed_paused`; on resume its
/// `catchup` policy decides which of them run. Manual runs are still allowed.
#[utoipa::path(
    post,
    path = "/api/v1/pipelines/{id}/pause",
    tag = "pipelines",
    operation_id = "pause_pipeline",
    params(("id" = Uuid, Path, description = "Pipeline id.")),
    responses(
        (status = 200, description = "Paused (pausing a paused pipeline changes nothing).", body = Pipeline),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key's role is below `runner`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pipeline.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn pause_pipeline(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Pipeline>> {
    caller.require(Role::Runner)?;
    let (row, _) = state.store.set_paused(caller.tenant, id, true).await?.ok_or_else(|| ApiError::not_found("pipeline", id))?;
    Ok(Json(row.into()))
}

/// Resumes a paused pipeline; each schedule's `catchup` decides which slots recorded
/// `missed_paused` run now (`none`: none, `latest`: the newest, `all`: each, in order
/// under the schedule's overlap policy).
#[utoipa::path(
    post,
    path = "/api/v1/pipelines/{id}/resume",
    tag = "pipelines",
    operation_id = "resume_pipeline",
    params(("id" = Uuid, Path, description = "Pipeline id.")),
    responses(
        (status = 200, description = "Resumed (resuming a running pipeline changes nothing).", body = Pipeline),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key's role is below `runner`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pipeline.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn resume_pipeline(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Pipeline>> {
    caller.require(Role::Runner)?;
    let (row, paused_at) = state.store.set_paused(caller.tenant, id, false).await?.ok_or_else(|| ApiError::not_found("pipeline", id))?;
    let Some(since) = paused_at else { return Ok(Json(row.into())) };
    let Ok(spec) = ferry_common::spec::parse_value(row.spec.clone()) else { return Ok(Json(row.into())) };
    let missed = state.store.firings_since(id, "missed_paused", since).await?;
    for (index, (_, schedule)) in spec.all_schedules().into_iter().enumerate() {
        let of_this: Vec<&FiringRow> = missed.iter().filter(|f| f.source == "schedule" && f.schedule_index as usize == index).collect();
        let chosen: Vec<&FiringRow> = match schedule.catchup {
            Catchup::None => Vec::new(),
            Catchup::Latest => of_this.last().copied().into_iter().collect(),
            Catchup::All => of_this,
        };
        for firing in chosen {
            let queued = FiringRow {
                outcome: "caught_up".into(),
                pending: true,
                overlap: Some(schedule.overlap.as_str().into()),
                detail: Some("missed while paused; caught up on resume".into()),
                ..firing.clone()
            };
            state.store.settle_firing(&queued, "missed_paused", None).await?;
        }
    }
    (state.on_run_change)();
    Ok(Json(row.into()))
}

/// `POST /api/v1/pipelines/{id}/backfill`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BackfillRequest {
    /// The first slot considered (inclusive).
    pub from: DateTime<Utc>,
    /// The end (exclusive).
    pub to: DateTime<Utc>,
    /// Which schedule (0 for `schedule:`; default 0).
    #[serde(default)]
    pub schedule: u32,
    /// How the backfill's slots meet running runs, each other's included (default
    /// `buffer_all`: one run per slot, in order, each after the previous).
    #[serde(default)]
    pub overlap: Option<Overlap>,
}

/// What a backfill queued.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Backfill {
    pub id: Uuid,
    /// The slots, in the order their runs start.
    pub slots: Vec<DateTime<Utc>>,
}

/// Queues one run per slot of a schedule in `[from, to)`, oldest first, each with its
/// slot as logical time (trigger `backfill`). The slots appear in the ledger at once
/// (`pending`) and start as the overlap policy allows.
#[utoipa::path(
    post,
    path = "/api/v1/pipelines/{id}/backfill",
    tag = "pipelines",
    operation_id = "backfill_pipeline",
    params(("id" = Uuid, Path, description = "Pipeline id.")),
    request_body = BackfillRequest,
    responses(
        (status = 202, description = "Queued.", body = Backfill),
        (status = 400, description = "A bad id or body.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key's role is below `runner`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pipeline.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such schedule, `to` not after `from`, no slot or too many.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn backfill_pipeline(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<BackfillRequest>,
) -> ApiResult<(StatusCode, Json<Backfill>)> {
    caller.require(Role::Runner)?;
    let row = state.store.get_pipeline(caller.tenant, id).await?.ok_or_else(|| ApiError::not_found("pipeline", id))?;
    let spec = ferry_common::spec::parse_value(row.spec.clone()).map_err(ApiError::InvalidSpec)?;
    let schedules = spec.all_schedules();
    let Some((_, schedule)) = schedules.get(body.schedule as usize) else {
        return Err(ApiError::Unprocessable(format!("pipeline {id} has {} schedule(s); there is no schedule {}", schedules.len(), body.schedule)));
    };
    if body.to <= body.from {
        return Err(ApiError::Unprocessable(format!("`to` ({}) is not after `from` ({})", body.to, body.from)));
    }
    let compiled = schedule.compile().map_err(|_| ApiError::Unprocessable("the schedule does not compile".into()))?;
    // [from, to): slots after the instant before `from`, dropping one at `to`.
    let mut slots = compiled.without_window().slots_between(body.from - Duration::microseconds(1), body.to);
    slots.retain(|s| *s < body.to);
    if slots.is_empty() {
        return Err(ApiError::Unprocessable(format!("the schedule has no slot in [{}, {})", body.from, body.to)));
    }
    if slots.len() > MAX_BACKFILL_SLOTS {
        return Err(ApiError::Unprocessable(format!("{} slots; a backfill may queue at most {MAX_BACKFILL_SLOTS}", slots.len())));
    }
    let backfill = Uuid::now_v7();
    let overlap = body.overlap.unwrap_or(Overlap::BufferAll).as_str();
    for slot in &slots {
        let firing = FiringRow {
            detail: Some(format!("backfill {backfill}")),
            pending: true,
            overlap: Some(overlap.into()),
            ..FiringRow::new(&row, "backfill", body.schedule, *slot, format!("b:{backfill}:{}", slot.timestamp_micros()), "started")
        };
        state.store.record_firing(&firing, None).await?;
    }
    (state.on_run_change)();
    Ok((StatusCode::ACCEPTED, Json(Backfill { id: backfill, slots })))
}
