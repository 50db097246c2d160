//! `GET /api/v1/notifications`: each (event, channel) delivery with its event, attempts,
//! last answer and state.

use crate::auth::Caller;
use crate::dto_notify::{Notification, NotificationPage};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::pagination::page_request;
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use ferry_store::{NotificationFilter, NotificationState};
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::IntoParams;
use uuid::Uuid;

/// Query parameters of `GET /api/v1/notifications`: filters plus the page.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct NotificationsQuery {
    /// Only notifications in this state: `pending`, `delivered`, `retrying` or `failed`.
    #[param(value_type = Option<crate::dto_notify::NotificationState>)]
    pub(crate) state: Option<String>,
    /// Only notifications through this channel (its name).
    pub(crate) channel: Option<String>,
    /// Only notifications of this run's events.
    pub(crate) run: Option<Uuid>,
    /// `next_cursor` of the previous page; omit for the first page.
    #[param(pattern = r"^([0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})?$")]
    pub(crate) cursor: Option<String>,
    /// Items per page, at least 1 (default 50); larger values than 500 are answered with 500.
    #[param(minimum = 1)]
    pub(crate) limit: Option<i32>,
}

/// Lists the tenant's notifications, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/notifications",
    tag = "notifications",
    operation_id = "list_notifications",
    params(NotificationsQuery),
    responses(
        (status = 200, description = "A page of notifications.", body = NotificationPage),
        (status = 400, description = "A bad filter, `limit` or `cursor`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_notifications(State(state): State<AppState>, caller: Caller, ApiQuery(query): ApiQuery<NotificationsQuery>) -> ApiResult<Json<NotificationPage>> {
    let wanted = match query.state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(NotificationState::parse(s).ok_or_else(|| {
            let allowed: Vec<&str> = NotificationState::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::BadRequest(format!("unknown state `{s}`; expected one of: {}", allowed.join(", ")))
        })?),
        None => None,
    };
    let channel = query.channel.filter(|c| !c.is_empty());
    if let Some(c) = channel.as_deref().filter(|c| !super::channels::valid_name(c)) {
        return Err(ApiError::BadRequest(format!("`channel` `{}` is not a channel name (1 to 128 letters, digits, `-`, `_` or `.`)", c.escape_debug())));
    }
    let filter = NotificationFilter { state: wanted, channel, run_id: query.run };
    let page = state.store.list_notifications(caller.tenant, &filter, &page_request(query.cursor.as_deref(), query.limit)?).await?;
    let ids: Vec<Uuid> = page.items.iter().map(|n| n.event_id).collect();
    let events: HashMap<Uuid, ferry_store::EventRow> = state.store.events_by_ids(&ids).await?.into_iter().map(|e| (e.id, e)).collect();
    let items = page.items.into_iter().map(|n| {
        let event = events.get(&n.event_id);
        Notification::new(n, event)
    });
    Ok(Json(NotificationPage { items: items.collect(), next_cursor: page.next_cursor }))
}
