//! The handlers, one module per resource, and the routers that collect them with their
//! OpenAPI descriptions (so routes and docs cannot drift apart).

pub(crate) mod audit;
pub(crate) mod channels;
pub(crate) mod connections;
pub(crate) mod datasets;
pub(crate) mod deliveries;
pub(crate) mod firings;
pub(crate) mod health;
pub(crate) mod hooks;
pub(crate) mod keys;
pub(crate) mod notification_rules;
pub(crate) mod notifications;
pub(crate) mod pipeline_control;
pub(crate) mod pipeline_graph;
pub(crate) mod pipelines;
pub(crate) mod restores;
pub(crate) mod run_dag;
pub(crate) mod run_history;
pub(crate) mod run_manifest;
pub(crate) mod run_retry;
pub(crate) mod runs;
pub(crate) mod task_cutover;
pub(crate) mod tasks;
pub(crate) mod tenants;
pub(crate) mod workers;

use crate::error::ApiError;
use crate::state::AppState;
use axum::http::{Method, Uri};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every `/api/v1` route (all need the admin key). One `routes!` per path: axum refuses
/// a path registered twice.
pub(crate) fn api_v1() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            pipelines::create_pipeline,
            pipelines::list_pipelines
        ))
        .routes(routes!(
            pipelines::get_pipeline,
            pipelines::replace_pipeline,
            pipelines::delete_pipeline
        ))
        .routes(routes!(pipeline_graph::get_pipeline_graph))
        .routes(routes!(firings::list_firings))
        .routes(routes!(firings::get_pipeline_schedule))
        .routes(routes!(pipelines::create_run))
        .routes(routes!(pipeline_control::pause_pipeline))
        .routes(routes!(pipeline_control::resume_pipeline))
        .routes(routes!(pipeline_control::backfill_pipeline))
        .routes(routes!(hooks::create_webhook_secret))
        .routes(routes!(runs::list_runs))
        .routes(routes!(runs::get_run))
        .routes(routes!(runs::cancel_run))
        .routes(routes!(run_retry::retry_run))
        .routes(routes!(run_history::list_run_transitions))
        .routes(routes!(run_dag::get_run_dag_svg))
        .routes(routes!(run_manifest::get_run_manifest))
        .routes(routes!(tasks::list_run_tasks))
        .routes(routes!(tasks::get_task))
        .routes(routes!(tasks::get_task_report))
        .routes(routes!(task_cutover::cutover_task))
        .routes(routes!(restores::create_restore))
        .routes(routes!(workers::list_workers))
        .routes(routes!(tenants::create_tenant, tenants::list_tenants))
        .routes(routes!(tenants::get_tenant, tenants::update_tenant, tenants::delete_tenant))
        .routes(routes!(keys::create_key, keys::list_keys))
        .routes(routes!(keys::revoke_key))
        .routes(routes!(audit::list_audit))
        .routes(routes!(connections::create_connection, connections::list_connections))
        .routes(routes!(connections::get_connection, connections::replace_connection, connections::delete_connection))
        .routes(routes!(channels::create_channel, channels::list_channels))
        .routes(routes!(channels::get_channel, channels::replace_channel, channels::delete_channel))
        .routes(routes!(channels::test_channel))
        .routes(routes!(notification_rules::create_notification_rule, notification_rules::list_notification_rules))
        .routes(routes!(notification_rules::delete_notification_rule))
        .routes(routes!(notifications::list_notifications))
        .routes(routes!(datasets::list_datasets))
        .routes(routes!(datasets::get_dataset))
        .routes(routes!(deliveries::list_deliveries))
        .routes(routes!(deliveries::get_delivery))
        .routes(routes!(deliveries::retry_delivery))
        .routes(routes!(deliveries::cancel_delivery))
}

/// Webhook calls: no API key, each authenticated by its signature.
pub(crate) fn hooks() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(hooks::call_webhook))
}

/// The probes, open to anyone.
pub(crate) fn probes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
}

/// Fallback: a `404` problem naming the request, instead of axum's empty body.
pub(crate) async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::NotFound(format!(
        "no route for {method} {}; the API lives under /api/v1 and is described at /docs",
        uri.path()
    ))
}
