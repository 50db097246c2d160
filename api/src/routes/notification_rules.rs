//! `/api/v1/notification-rules`: a tenant's tenant-wide rules (for every pipeline of the
//! tenant, beside each pipeline's own `notify:`).

use crate::auth::{Caller, Role};
use crate::dto_notify::{NotificationRule, NotificationRuleBody, NotificationRuleList};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{SubsecRound, Utc};
use ferry_common::notify::NotifyRule;
use ferry_store::RuleRow;
use uuid::Uuid;

/// Stores a tenant-wide rule (editors).
#[utoipa::path(
    post,
    path = "/api/v1/notification-rules",
    tag = "notifications",
    operation_id = "create_notification_rule",
    request_body = NotificationRuleBody,
    responses(
        (status = 201, description = "Stored.", body = NotificationRule),
        (status = 400, description = "Not JSON, or unknown fields.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role below editor.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown event or channel; `errors` lists each.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create_notification_rule(State(state): State<AppState>, caller: Caller, ApiJson(body): ApiJson<NotificationRuleBody>) -> ApiResult<(StatusCode, Json<NotificationRule>)> {
    caller.require(Role::Editor)?;
    let rule = NotifyRule { on: body.on, channels: body.channels };
    let known = state.store.channel_names(caller.tenant).await?;
    let mut problems = Vec::new();
    rule.check("", Some(&known), &mut problems);
    if !problems.is_empty() {
        return Err(ApiError::InvalidRule(problems));
    }
    let row = RuleRow { id: Uuid::now_v7(), tenant_id: caller.tenant, on: rule.on, channels: rule.channels, created_at: Utc::now().trunc_subsecs(6) };
    state.store.create_rule(&row).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Lists the tenant's tenant-wide rules, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/notification-rules",
    tag = "notifications",
    operation_id = "list_notification_rules",
    responses(
        (status = 200, description = "The rules.", body = NotificationRuleList),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_notification_rules(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<NotificationRuleList>> {
    let rows = state.store.list_rules(caller.tenant).await?;
    Ok(Json(NotificationRuleList { items: rows.into_iter().map(NotificationRule::from).collect() }))
}

/// Deletes a tenant-wide rule (editors).
#[utoipa::path(
    delete,
    path = "/api/v1/notification-rules/{id}",
    tag = "notifications",
    operation_id = "delete_notification_rule",
    params(("id" = Uuid, Path, description = "Rule id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role below editor.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such rule in this tenant.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn delete_notification_rule(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<Uuid>) -> ApiResult<StatusCode> {
    caller.require(Role::Editor)?;
    if state.store.delete_rule(caller.tenant, id).await? { Ok(StatusCode::NO_CONTENT) } else { Err(ApiError::not_found("notification rule", id)) }
}
