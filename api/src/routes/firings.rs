//! `/api/v1/pipelines/{id}/firings`: the ledger of a pipeline's schedule slots, which
//! answers "why didn't it fire" (and "why did it fire").

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery};
use crate::pagination::PageQuery;
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use ferry_store::FiringRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// One slot of a schedule and what happened to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub(crate) struct Firing {
    /// The slot (the run's logical time).
    pub slot: DateTime<Utc>,
    /// Which of the pipeline's schedules (0 for `schedule:`), or which trigger of its
    /// `triggers:` list.
    pub schedule_index: u32,
    /// `started`, `caught_up`, `skipped_overlap`, `buffered`, `missed_paused`,
    /// `missed_down`, `outside_window`, or `invalid` (the spec could not be expanded for
    /// it; `detail` says why).
    pub outcome: String,
    /// The run the slot started.
    pub run_id: Option<Uuid>,
    /// Why, when the outcome needs it (the run still going for `skipped_overlap`).
    pub detail: Option<String>,
    /// When the slot was recorded.
    pub recorded_at: DateTime<Utc>,
    /// What fired: `schedule`, `schedule_window`, `backfill`, `upstream`, `webhook`,
    /// `file_arrival`.
    pub source: String,
    /// Recorded, its run not started yet (buffered, or a backfill's later slot).
    pub pending: bool,
}

impl From<FiringRow> for Firing {
    fn from(f: FiringRow) -> Self {
        Firing {
            slot: f.slot,
            schedule_index: f.schedule_index,
            outcome: f.outcome,
            run_id: f.run_id,
            detail: f.detail,
            recorded_at: f.created_at,
            source: f.source,
            pending: f.pending,
        }
    }
}

/// A page of the ledger, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub(crate) struct FiringPage {
    pub items: Vec<Firing>,
    pub next_cursor: Option<String>,
}

/// The pipeline's firings, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/pipelines/{id}/firings",
    tag = "pipelines",
    operation_id = "list_firings",
    params(("id" = Uuid, Path, description = "Pipeline id."), PageQuery),
    responses(
        (status = 200, description = "A page of the ledger.", body = FiringPage),
        (status = 400, description = "A bad id, `limit` or `cursor`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pipeline.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_firings(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<FiringPage>> {
    state.store.get_pipeline(caller.tenant, id).await?.ok_or_else(|| ApiError::not_found("pipeline", id))?;
    let page = state.store.list_firings(caller.tenant, id, &query.to_request()?).await?;
    Ok(Json(FiringPage { items: page.items.into_iter().map(Firing::from).collect(), next_cursor: page.next_cursor }))
}

/// The next fire times of one schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub(crate) struct ScheduleView {
    /// `schedule` or `schedules[i]`.
    pub path: String,
    pub cron: String,
    pub timezone: String,
    /// The next slots, in the schedule's time zone (RFC 3339 with its offset).
    pub next_local: Vec<String>,
    /// The same slots in UTC.
    pub next_utc: Vec<DateTime<Utc>>,
}

/// The pipeline's schedules and their next fire times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub(crate) struct ScheduleList {
    pub items: Vec<ScheduleView>,
}

/// The next 10 fire times of each of the pipeline's schedules, in its time zone and UTC.
#[utoipa::path(
    get,
    path = "/api/v1/pipelines/{id}/schedule",
    tag = "pipelines",
    operation_id = "get_pipeline_schedule",
    params(("id" = Uuid, Path, description = "Pipeline id.")),
    responses(
        (status = 200, description = "The schedules (empty for a pipeline without one).", body = ScheduleList),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pipeline.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The stored spec no longer parses with this version.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get_pipeline_schedule(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ScheduleList>> {
    let row = state.store.get_pipeline(caller.tenant, id).await?.ok_or_else(|| ApiError::not_found("pipeline", id))?;
    Ok(Json(ScheduleList { items: schedule_views(row.spec, Utc::now())? }))
}

/// The schedules of a stored spec with their next slots after `now` (a page listing
/// pipelines has their specs already, and reads none again).
pub(crate) fn schedule_views(spec: serde_json::Value, now: chrono::DateTime<Utc>) -> ApiResult<Vec<ScheduleView>> {
    let spec = ferry_common::spec::parse_value(spec).map_err(ApiError::InvalidSpec)?;
    let items = spec
        .all_schedules()
        .into_iter()
        .filter_map(|(path, s)| {
            let compiled = s.compile().ok()?;
            let next = compiled.upcoming(now, 10);
            let tz = compiled.timezone();
            Some(ScheduleView {
                path,
                cron: s.cron.clone(),
                timezone: s.timezone.clone(),
                next_local: next.iter().map(|t| t.with_timezone(&tz).to_rfc3339()).collect(),
                next_utc: next,
            })
        })
        .collect();
    Ok(items)
}
