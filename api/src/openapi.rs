//! The OpenAPI document: generated from the handlers' annotations, committed as
//! `openapi.yaml` at the workspace root (a test fails when the file is stale), and served
//! at `/api-docs/openapi.json` for Swagger UI at `/docs`.

use crate::routes;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

/// The document's fixed parts; the paths come from the routers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ferry API",
        description = "Ferry moves data for many tenants: pipelines of copy, check and sync tasks.\n\n\
            Every `/api/v1` route needs `Authorization: Bearer <key>`: the operator's admin key, or \
            a tenant key with a role (`viewer`, `runner`, `editor`, `admin`) that sees only its \
            tenant. Each key may send `FERRY_RATE_LIMIT` requests a second (default 50, burst 100); \
            more are answered `429` with `Retry-After`. Errors are RFC 9457 \
            problem documents (`application/problem+json`). Lists are paginated with `cursor` and \
            `limit`; pass `next_cursor` back as `cursor` until it is null.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    // Each task kind's fields, from the kind list in `ferry_common::kinds` (a new kind
    // reaches the document through `TaskBody` without a line here).
    components(schemas(ferry_common::spec::TaskBody)),
    modifiers(&BearerAuth),
    tags(
        (name = "pipelines", description = "Pipeline definitions (specs)."),
        (name = "runs", description = "Runs of pipelines: start, follow, cancel."),
        (name = "tasks", description = "Tasks of runs and their reports."),
        (name = "workers", description = "Live workers."),
        (name = "tenants", description = "Tenants (the operator's key only)."),
        (name = "keys", description = "API keys of a tenant (admins)."),
        (name = "audit", description = "The audit log of changes (admins)."),
        (name = "connections", description = "A tenant's stored connections; secrets are write-only."),
        (name = "datasets", description = "Datasets that copies deliver, and their freshness at each destination."),
        (name = "deliveries", description = "Each destination's delivery of a copy's data: sync ones with the task, async ones afterwards, retried until `deliver_within`."),
        (name = "notifications", description = "Channels (webhook, email; secrets are write-only), tenant-wide rules, and each notification's delivery."),
        (name = "webhooks", description = "Signed calls that start runs of pipelines with a `webhook` trigger (no API key)."),
        (name = "health", description = "Liveness and readiness probes (no authentication).")
    )
)]
struct ApiDoc;

/// Declares the `bearer` security scheme the `/api/v1` operations refer to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description =
            Some("The admin key, printed by `ferry standalone` on first start.".to_owned());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Builds the document from the same routers `router` serves.
pub(crate) fn build() -> OpenApiDoc {
    let mut doc = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::api_v1())
        .merge(routes::probes())
        .merge(routes::hooks())
        .into_openapi();
    rate_limited(&mut doc);
    optional_run_request(&mut doc);
    doc
}

/// Starting a run takes a body only when it sets something: the body is optional, which
/// `#[utoipa::path]` cannot say of a non-`Option` type (and `Option` would allow `null`,
/// which is not a run request).
fn optional_run_request(doc: &mut OpenApiDoc) {
    if let Some(utoipa::openapi::RefOr::T(body)) = doc.paths.paths.get_mut("/api/v1/pipelines/{id}/runs").and_then(|item| item.post.as_mut()).and_then(|op| op.request_body.as_mut()) {
        body.required = Some(utoipa::openapi::Required::False);
    }
}

/// Every `/api/v1` operation may answer `429` (the key's rate limit): said once here
/// rather than on each handler.
fn rate_limited(doc: &mut OpenApiDoc) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    for (path, item) in doc.paths.paths.iter_mut() {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for op in ops.into_iter().flatten() {
            let response = ResponseBuilder::new()
                .description("The key's request rate limit is spent; `Retry-After` says when to try again.")
                .content("application/problem+json", ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build())
                .build();
            op.responses.responses.insert("429".to_string(), response.into());
        }
    }
}

/// The document as YAML, the form committed to the repository.
pub(crate) fn to_yaml(doc: &OpenApiDoc) -> String {
    // Serializing maps, strings and numbers to YAML cannot fail; an empty document would
    // make the freshness test fail loudly if it ever did.
    yaml_serde::to_string(doc).unwrap_or_default()
}
