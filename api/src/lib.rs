//! Ferry's HTTP API: pipelines, runs, tasks and workers as JSON, described by OpenAPI.
//!
//! # Shape
//!
//! - `/api/v1/…` needs `Authorization: Bearer <key>`: the operator's admin key, or a
//!   tenant key (stored as a hash, compared in constant time).
//!   Pipelines are created from a spec in JSON or YAML; runs are started, followed and
//!   cancelled; tasks and their reports are read. Lists are cursor-paginated.
//! - `/healthz` and `/readyz` are open, for probes.
//! - `/docs` is Swagger UI over `/api-docs/openapi.json`; `openapi.yaml` at the workspace
//!   root is the same document, regenerated with
//!   `FERRY_UPDATE_OPENAPI=1 cargo test -p ferry-api --test openapi`.
//!
//! # Decisions
//!
//! - **Every error is an RFC 9457 problem** (`application/problem+json`), including
//!   axum's own rejections (bad JSON, a path id that is not a UUID, an unknown route, a
//!   method not allowed, a body over 10 MiB). A request a client can send never gets a
//!   `500`: an unreachable database is a `503`, and a `500` means a fault of the server
//!   (a stored row it cannot read).
//! - **A wrong spec is refused whole with every problem listed** (`422`, `errors:
//!   [{path, message}]`), structural and semantic problems together.
//! - **The API writes little state**: pipelines, a new `queued` run, a run's cancel
//!   flag. Everything else about runs and tasks is the orchestrator's to write; the API
//!   calls [`AppState::on_run_change`] so an embedded orchestrator reacts at once.
//! - **Every request acts for one tenant** (module `auth`): the operator's key for the
//!   default tenant ([`ferry_store::DEFAULT_TENANT`]) and tenant management, a tenant key
//!   for its own tenant with its role. Every store call takes that tenant, so another
//!   tenant's object is a `404`; `api/tests/http/tenant_walk.rs` walks every route to
//!   keep it so. Changes are recorded in the audit log (module `audit_trail`).

mod auth;
pub mod dto;
pub mod dto_connections;
pub mod dto_datasets;
pub mod dto_deliveries;
pub mod dto_notify;
pub mod dto_tenancy;
mod audit_trail;
mod dag_svg;
pub mod error;
mod extract;
mod openapi;
pub mod portal;
mod limits;
mod pagination;
pub mod rate_limit;
mod report_page;
pub mod problem;
pub mod readiness;
mod routes;
mod spec_lines;
pub mod webhook_signature;
mod state;

pub use auth::{Role, issue_key};
pub use error::{ApiError, ApiResult};
pub use problem::{PROBLEM_CONTENT_TYPE, Problem, SpecError};
pub use state::AppState;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use std::future::Future;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa_swagger_ui::SwaggerUi;

/// How long a request may take before it is answered `503` (nothing the API does should
/// take this long; a stuck database should not hold connections forever).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The whole HTTP surface as an axum router, ready to serve (or to call in tests with
/// `tower::ServiceExt::oneshot`).
pub fn router(state: AppState) -> Router {
    let (v1, _) = routes::api_v1().split_for_parts();
    // Layers run outermost first: authenticate, limit the key's rate, then record what
    // the request changed.
    let v1 = v1
        .route_layer(middleware::from_fn_with_state(state.clone(), audit_trail::record))
        .route_layer(middleware::from_fn_with_state(state.clone(), rate_limit::limit))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::authenticate));
    let (probes, _) = routes::probes().split_for_parts();
    let (hooks, _) = routes::hooks().split_for_parts();
    let docs = SwaggerUi::new("/docs").url("/api-docs/openapi.json", openapi());
    Router::new()
        .merge(v1)
        .merge(probes)
        .merge(hooks)
        .merge(docs)
        .merge(portal::router(state.clone()))
        .fallback(routes::no_route)
        .layer(DefaultBodyLimit::max(extract::BODY_LIMIT))
        .with_state(state)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        // A panic is a bug; answer `500` (made a problem below) rather than drop the
        // connection, and keep serving.
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http())
        .layer(middleware::from_fn(problem::problem_responses))
}

/// Serves the API on `listener` until `shutdown` resolves, then lets in-flight requests
/// finish (graceful shutdown) before returning.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "API listening");
    }
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The OpenAPI document of every route [`router`] serves.
pub fn openapi() -> utoipa::openapi::OpenApi {
    openapi::build()
}

/// [`openapi`] as YAML, the form committed as `openapi.yaml` and printed by `ferry
/// openapi`.
pub fn openapi_yaml() -> String {
    openapi::to_yaml(&openapi())
}
