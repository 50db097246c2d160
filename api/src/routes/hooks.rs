//! Webhooks: `POST /hooks/{pipeline_id}` starts a run of a pipeline with a `webhook`
//! trigger. No API key: the caller signs `<timestamp>.<body>` with the pipeline's secret
//! (HMAC-SHA256, `X-Ferry-Signature: sha256=<hex>`, `X-Ferry-Timestamp` in Unix
//! seconds). A timestamp more than five minutes off is refused, and the same signed
//! request (or the same `Idempotency-Key`) starts one run however often it is sent.

use crate::auth::{Caller, Role};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{SubsecRound, Utc};
use ferry_common::triggers::{RunTrigger, TriggerKind, TriggerSpec};
use ferry_store::{FiringRow, NewRun};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// How far a signed timestamp may be from the server's clock.
const MAX_SKEW_SECS: i64 = 300;

/// A new webhook secret, shown once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct WebhookSecret {
    pub pipeline_id: Uuid,
    /// Sign `<timestamp>.<body>` with this (HMAC-SHA256). Not shown again; a new call
    /// replaces it.
    pub secret: String,
    /// Where to send the calls.
    pub url: String,
}

/// Issues (or replaces) a pipeline's webhook secret; the old one stops working at once.
#[utoipa::path(
    post,
    path = "/api/v1/pipelines/{id}/webhook-secret",
    tag = "pipelines",
    operation_id = "create_webhook_secret",
    params(("id" = Uuid, Path, description = "Pipeline id.")),
    responses(
        (status = 201, description = "The secret, shown this once.", body = WebhookSecret),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key's role is below `editor`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pipeline.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No FERRY_MASTER_KEY to seal the secret with, or the database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create_webhook_secret(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<Uuid>) -> ApiResult<(StatusCode, Json<WebhookSecret>)> {
    caller.require(Role::Editor)?;
    state.store.get_pipeline(caller.tenant, id).await?.ok_or_else(|| ApiError::not_found("pipeline", id))?;
    let Some(key) = &state.master_key else {
        return Err(ApiError::Unavailable {
            what: "master key",
            detail: "this server has no FERRY_MASTER_KEY, so it cannot store a webhook secret".into(),
        });
    };
    let secret = format!("whsec_{}", hex::encode(rand::random::<[u8; 32]>()));
    state.store.set_webhook_secret(caller.tenant, id, &key.seal(secret.as_bytes())).await?;
    Ok((StatusCode::CREATED, Json(WebhookSecret { pipeline_id: id, secret, url: format!("/hooks/{id}") })))
}

/// What a webhook call did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct WebhookAccepted {
    pub pipeline_id: Uuid,
    /// The run started (`null` when the pipeline is paused: the call is ledgered
    /// `missed_paused`).
    pub run_id: Option<Uuid>,
    /// `started` or `missed_paused`.
    pub outcome: String,
    /// True when this request (its signature or `Idempotency-Key`) was seen before: no
    /// new run was started.
    pub replayed: bool,
}

/// Starts a run from a signed webhook call; the JSON body is `{{ trigger.payload }}`.
#[utoipa::path(
    post,
    path = "/hooks/{pipeline_id}",
    tag = "webhooks",
    operation_id = "call_webhook",
    params(
        ("pipeline_id" = Uuid, Path, description = "Pipeline id."),
        ("X-Ferry-Signature" = String, Header, description = "`sha256=<hex>`: HMAC-SHA256 of `<timestamp>.<body>` with the pipeline's webhook secret."),
        ("X-Ferry-Timestamp" = i64, Header, description = "Unix seconds; refused when more than 5 minutes off."),
        ("Idempotency-Key" = Option<String>, Header, description = "A retried call with the same key starts no second run."),
    ),
    request_body(content = Object, description = "Any JSON object (or an empty body).", content_type = "application/json"),
    responses(
        (status = 202, description = "Run started (or the call ledgered while paused).", body = WebhookAccepted),
        (status = 200, description = "Seen before: no new run.", body = WebhookAccepted),
        (status = 400, description = "A bad id, or a body that is not a JSON object.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad signature, or a timestamp too far off.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pipeline, or it has no webhook trigger or secret.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The payload lacks a field the spec uses.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn call_webhook(State(state): State<AppState>, ApiPath(id): ApiPath<Uuid>, headers: HeaderMap, body: Bytes) -> ApiResult<(StatusCode, Json<WebhookAccepted>)> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let signature = header("x-ferry-signature").ok_or_else(|| ApiError::Unauthorized("missing X-Ferry-Signature".into()))?;
    let timestamp = header("x-ferry-timestamp").ok_or_else(|| ApiError::Unauthorized("missing X-Ferry-Timestamp".into()))?;
    let unix: i64 = timestamp.parse().map_err(|_| ApiError::Unauthorized("X-Ferry-Timestamp is not Unix seconds".into()))?;
    // Saturating: any i64 can arrive here, and the answer to an absurd one is "too far".
    let skew = Utc::now().timestamp().saturating_sub(unix).saturating_abs();
    if skew > MAX_SKEW_SECS {
        return Err(ApiError::Unauthorized(format!("X-Ferry-Timestamp is {skew} s from the server's clock (at most {MAX_SKEW_SECS} s): a replay or a wrong clock")));
    }
    let no_hook = || ApiError::NotFound(format!("no pipeline {id} takes webhooks"));
    let (pipeline, sealed) = state.store.pipeline_by_id(id).await?.ok_or_else(no_hook)?;
    let (Some(index), Some(sealed), Some(key)) = (webhook_index(&pipeline.spec), sealed, &state.master_key) else { return Err(no_hook()) };
    let secret = key.open(&sealed).map_err(|_| ApiError::Internal("the stored webhook secret cannot be opened with this master key".into()))?;
    crate::webhook_signature::verify(&secret, timestamp, &body, signature)?;
    let payload: serde_json::Value = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::json!({})
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(format!("the body is not JSON: {e}")))?
    };
    if !payload.is_object() {
        return Err(ApiError::BadRequest("the body must be a JSON object".into()));
    }
    let dedup_key = match header("idempotency-key").filter(|k| !k.is_empty()) {
        Some(k) => format!("webhook:key:{k}"),
        None => format!("webhook:sig:{}", signature.trim_start_matches("sha256=").to_ascii_lowercase()),
    };
    let now = Utc::now().trunc_subsecs(6);
    let mut firing = FiringRow::new(&pipeline, "webhook", index, now, dedup_key.clone(), "started");
    firing.detail = Some("signed webhook call".into());
    let trigger = RunTrigger { kind: TriggerKind::Webhook, logical_time: now, detail: Some(serde_json::json!({"payload": payload})) };
    let recorded = if pipeline.paused_at.is_some() {
        firing.outcome = "missed_paused".into();
        state.store.record_firing(&firing, None).await?
    } else {
        let spec = ferry_common::template::render_for_run(&pipeline.spec, &trigger).map_err(|e| {
            ApiError::Unprocessable(format!("{e}: the payload does not supply what the pipeline's spec uses"))
        })?;
        state.store.record_firing(&firing, Some(NewRun { spec: &spec, trigger: &trigger })).await?
    };
    let (status, row, replayed) = match recorded {
        Some(row) => (StatusCode::ACCEPTED, row, false),
        None => {
            let seen = state.store.firing_by_key(id, &dedup_key).await?.ok_or_else(|| ApiError::Internal("a refused firing has no record".into()))?;
            (StatusCode::OK, seen, true)
        }
    };
    if !replayed {
        (state.on_run_change)();
    }
    Ok((status, Json(WebhookAccepted { pipeline_id: id, run_id: row.run_id, outcome: row.outcome, replayed })))
}

/// The place of the first `webhook` trigger in the spec's list, if it has one.
fn webhook_index(spec: &serde_json::Value) -> Option<u32> {
    let list: Vec<TriggerSpec> = serde_json::from_value(spec.get("triggers")?.clone()).ok()?;
    list.iter().position(|t| matches!(t, TriggerSpec::Webhook(_))).map(|i| i as u32)
}
