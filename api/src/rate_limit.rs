//! Per-key request rate limits: a token bucket per key (`FERRY_RATE_LIMIT`, default 50
//! requests/s with a burst of 100), kept by the coordinator so every API instance of a
//! distributed stack draws from the same bucket. A request over the limit is answered
//! `429` with `Retry-After`. If the coordinator cannot be reached the request goes
//! through: a limit is protection, not a reason to refuse service.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

pub use crate::limits::{RATE_LIMIT_ENV, RateLimit};

/// Middleware (after authentication): admits the request or answers `429`.
pub(crate) async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Result<Response, ApiError> {
    let (Some(limit), Some(caller)) = (state.rate_limit, req.extensions().get::<Caller>().copied()) else {
        return Ok(next.run(req).await);
    };
    let key = caller.key_id.map_or_else(|| "operator".to_string(), |id| id.to_string());
    match state.coordinator.admit_request(&format!("api:{key}"), limit.per_sec, limit.burst).await {
        Ok(None) => Ok(next.run(req).await),
        Ok(Some(wait)) => Err(ApiError::TooManyRequests { retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64 }),
        Err(e) => {
            tracing::warn!(error = %e, "cannot reach the coordinator for the rate limit; letting the request through");
            Ok(next.run(req).await)
        }
    }
}

