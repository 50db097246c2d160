//! `/api/v1/channels`: a tenant's notification channels, by name. A webhook's secret is
//! sealed under `FERRY_MASTER_KEY` as it arrives and never answered; `…/test` sends a
//! test event through the channel and returns what the receiver said.

use crate::auth::{Caller, Role};
use crate::dto_notify::{Channel, ChannelBody, ChannelFormat, ChannelKind, ChannelList, ChannelTestResult};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{SubsecRound, Utc};
use ferry_common::secret::Secret;
use ferry_notifier::{ChannelConfig, WebhookFormat};
use ferry_store::ChannelRow;
use uuid::Uuid;

/// Checks a body; the config to store in the clear and the sealed secret (`keep` is the
/// stored one a `PUT` without `secret` keeps).
fn prepare(state: &AppState, body: &ChannelBody, keep: Option<String>) -> ApiResult<(&'static str, serde_json::Value, Option<String>)> {
    if !valid_name(&body.name) {
        return Err(ApiError::BadRequest(format!("channel name `{}` must be 1 to 128 letters, digits, `-`, `_` or `.`", body.name)));
    }
    let bad = |e: ferry_notifier::NotifierError| ApiError::BadRequest(e.to_string().trim_start_matches("channel: ").to_string());
    let config = match body.kind {
        ChannelKind::Webhook => {
            if body.to.is_some() {
                return Err(ApiError::BadRequest("`to` is for email channels; a webhook channel takes `url`, `secret` and `format`".into()));
            }
            let url = body.url.as_deref().ok_or_else(|| ApiError::BadRequest("a webhook channel needs its `url`".into()))?;
            let format = match body.format.unwrap_or_default() {
                ChannelFormat::Json => WebhookFormat::Json,
                ChannelFormat::Slack => WebhookFormat::Slack,
            };
            ChannelConfig::webhook(url, format, body.secret.clone().map(Secret::new)).map_err(bad)?
        }
        ChannelKind::Email => {
            if body.url.is_some() || body.secret.is_some() || body.format.is_some() {
                return Err(ApiError::BadRequest("an email channel takes only `to`; `url`, `secret` and `format` are for webhooks".into()));
            }
            ChannelConfig::email(body.to.clone().unwrap_or_default()).map_err(bad)?
        }
    };
    let sealed = match (config.secret(), body.kind) {
        (Some(secret), _) => {
            let Some(key) = &state.master_key else {
                return Err(ApiError::Unavailable { what: "master key", detail: "this server has no FERRY_MASTER_KEY, so it cannot store a channel secret".into() });
            };
            Some(key.seal(secret.expose().as_bytes()))
        }
        (None, ChannelKind::Webhook) => keep,
        (None, ChannelKind::Email) => None,
    };
    Ok((config.kind().as_str(), config.public_config(), sealed))
}

/// Whether `name` can name a channel: 1 to 128 letters, digits, `-`, `_` or `.`.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 128 && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

async fn find(state: &AppState, tenant: Uuid, name: &str) -> ApiResult<ChannelRow> {
    // A name no channel can have is not looked up (and a NUL never reaches Postgres).
    if !valid_name(name) {
        return Err(ApiError::NotFound(format!("no channel named `{}`", name.escape_debug())));
    }
    state.store.channel_named(tenant, name).await?.ok_or_else(|| ApiError::NotFound(format!("no channel named `{name}`")))
}

/// Stores a channel (editors).
#[utoipa::path(
    post,
    path = "/api/v1/channels",
    tag = "notifications",
    operation_id = "create_channel",
    request_body = ChannelBody,
    responses(
        (status = 201, description = "Stored; the secret is sealed and not shown.", body = Channel),
        (status = 400, description = "A bad name, URL, address or body (unknown fields are named).", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role below editor.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The tenant has a channel of that name.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable, or a secret was given and no master key is set.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create_channel(State(state): State<AppState>, caller: Caller, ApiJson(body): ApiJson<ChannelBody>) -> ApiResult<(StatusCode, Json<Channel>)> {
    caller.require(Role::Editor)?;
    let (kind, config, secret) = prepare(&state, &body, None)?;
    let now = Utc::now().trunc_subsecs(6);
    let row = ChannelRow { id: Uuid::now_v7(), tenant_id: caller.tenant, name: body.name.clone(), kind: kind.into(), config, secret, created_at: now, updated_at: now };
    state.store.create_channel(&row).await.map_err(ApiError::conflict)?;
    Ok((StatusCode::CREATED, Json(Channel::from_row(&row))))
}

/// Lists the tenant's channels, by name.
#[utoipa::path(
    get,
    path = "/api/v1/channels",
    tag = "notifications",
    operation_id = "list_channels",
    responses(
        (status = 200, description = "The channels (no secrets).", body = ChannelList),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_channels(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<ChannelList>> {
    let rows = state.store.list_channels(caller.tenant).await?;
    Ok(Json(ChannelList { items: rows.iter().map(Channel::from_row).collect() }))
}

/// One channel.
#[utoipa::path(
    get,
    path = "/api/v1/channels/{name}",
    tag = "notifications",
    operation_id = "get_channel",
    params(("name" = String, Path, description = "Channel name.")),
    responses(
        (status = 200, description = "The channel (no secret).", body = Channel),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such channel in this tenant.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get_channel(State(state): State<AppState>, caller: Caller, ApiPath(name): ApiPath<String>) -> ApiResult<Json<Channel>> {
    Ok(Json(Channel::from_row(&find(&state, caller.tenant, &name).await?)))
}

/// Replaces a channel (editors); a webhook's secret left out stays as stored.
#[utoipa::path(
    put,
    path = "/api/v1/channels/{name}",
    tag = "notifications",
    operation_id = "replace_channel",
    params(("name" = String, Path, description = "Channel name.")),
    request_body = ChannelBody,
    responses(
        (status = 200, description = "Replaced.", body = Channel),
        (status = 400, description = "A bad body, or a `name` other than the path's.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role below editor.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such channel in this tenant.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable, or a secret was given and no master key is set.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn replace_channel(State(state): State<AppState>, caller: Caller, ApiPath(name): ApiPath<String>, ApiJson(body): ApiJson<ChannelBody>) -> ApiResult<Json<Channel>> {
    caller.require(Role::Editor)?;
    if body.name != name {
        return Err(ApiError::BadRequest(format!("the body names channel `{}` but the path `{name}`; a channel is not renamed, create a new one", body.name)));
    }
    let stored = find(&state, caller.tenant, &name).await?;
    let (kind, config, secret) = prepare(&state, &body, stored.secret.clone())?;
    let row = ChannelRow { kind: kind.into(), config, secret, updated_at: Utc::now().trunc_subsecs(6), ..stored };
    if !state.store.update_channel(&row).await? {
        return Err(ApiError::NotFound(format!("no channel named `{name}`")));
    }
    Ok(Json(Channel::from_row(&row)))
}

/// Deletes a channel (editors); refused while a rule or a pipeline's `notify:` names it.
#[utoipa::path(
    delete,
    path = "/api/v1/channels/{name}",
    tag = "notifications",
    operation_id = "delete_channel",
    params(("name" = String, Path, description = "Channel name.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role below editor.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such channel in this tenant.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A rule or a pipeline names the channel.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn delete_channel(State(state): State<AppState>, caller: Caller, ApiPath(name): ApiPath<String>) -> ApiResult<StatusCode> {
    caller.require(Role::Editor)?;
    find(&state, caller.tenant, &name).await?;
    let mut users: Vec<String> = Vec::new();
    for rule in state.store.list_rules(caller.tenant).await? {
        if rule.channels.contains(&name) {
            users.push(format!("notification rule {}", rule.id));
        }
    }
    for p in state.store.all_pipelines().await?.into_iter().filter(|p| p.tenant_id == caller.tenant) {
        let named = p.spec.get("notify").and_then(|n| n.as_array()).is_some_and(|rules| {
            rules.iter().any(|r| r.get("channels").and_then(|c| c.as_array()).is_some_and(|c| c.iter().any(|v| v.as_str() == Some(name.as_str()))))
        });
        if named {
            users.push(format!("pipeline `{}`", p.name));
        }
    }
    if !users.is_empty() {
        return Err(ApiError::Conflict(format!("channel `{name}` is in use by {}; change those first", users.join(", "))));
    }
    state.store.delete_channel(caller.tenant, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a test event (`channel.test`) through the channel and returns what the receiver
/// answered — a refused connection or a timeout included, as a `200` whose `delivered`
/// is false.
#[utoipa::path(
    post,
    path = "/api/v1/channels/{name}/test",
    tag = "notifications",
    operation_id = "test_channel",
    params(("name" = String, Path, description = "Channel name.")),
    responses(
        (status = 200, description = "The call was made; `delivered` says how it went.", body = ChannelTestResult),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role below editor.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such channel in this tenant.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable, or the channel's secret cannot be opened here.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn test_channel(State(state): State<AppState>, caller: Caller, ApiPath(name): ApiPath<String>) -> ApiResult<Json<ChannelTestResult>> {
    caller.require(Role::Editor)?;
    let row = find(&state, caller.tenant, &name).await?;
    let channel = ChannelConfig::from_row(&row, state.master_key.as_ref())
        .map_err(|e| ApiError::Unavailable { what: "master key", detail: e.to_string() })?;
    let event_id = Uuid::now_v7();
    let doc = ferry_notifier::message::test_document(event_id, caller.tenant, &name, Utc::now());
    let answer = state.notify_sender.send(&channel, event_id, "channel.test", &doc).await;
    Ok(Json(ChannelTestResult { event_id, delivered: answer.delivered, status: answer.status, detail: answer.detail, elapsed_ms: answer.elapsed_ms }))
}

