//! The REST API under `/api/v1`: thin handlers that parse, call a service in a unit of work, and
//! answer JSON or a problem. The services and the policy decide; handlers never do.

pub mod alerts;
pub mod audit_logs;
pub mod auth;
pub mod authorizations;
pub mod conversations;
pub mod documents;
pub mod extract;
pub mod idempotency;
pub mod missions;
pub mod organizations;
pub mod problem;
pub mod providers;
pub mod users;
pub mod webhooks;

use std::sync::Arc;

use austa_domain::ids::OrganizationId;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::context::{Actor, Services};
use crate::error::{Error, Result};

/// The largest body of an ordinary API request.
pub const BODY_LIMIT: usize = 3 * 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
}

/// The OpenAPI document's frame; the paths come from the handlers themselves (see [`routes`]).
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Austa Care API",
        description = "Patient engagement for Brazilian health plans. Every call but login sends \
            `Authorization: Bearer <token or API key>`. Errors are RFC 9457 problems with a stable `code`; \
            lists take `limit` and `cursor` and answer `{items, nextCursor}`; creates accept `Idempotency-Key`."
    ),
    servers((url = "/api/v1")),
    modifiers(&BearerScheme),
    tags(
        (name = "auth", description = "Login, WhatsApp codes, sessions"),
        (name = "organizations"), (name = "users", description = "Patients"), (name = "health-data"),
        (name = "providers"), (name = "conversations"), (name = "audit", description = "The audit trail")
    )
)]
pub struct ApiDoc;

struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A session token (`austa_s_…`) or an API key (`austa_k_…`)"))
                    .build(),
            ),
        );
    }
}

/// Every route with its documentation: a handler cannot be routed without being documented.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    use utoipa::OpenApi;
    use utoipa_axum::router::OpenApiRouter;
    use utoipa_axum::routes;
    let (router, mut api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::request_code))
        .routes(routes!(auth::verify_code))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(organizations::list, organizations::create))
        .routes(routes!(organizations::get, organizations::update))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::get, users::update))
        .routes(routes!(users::list_health_data, users::create_health_data))
        .routes(routes!(
            users::get_health_data,
            users::update_health_data,
            users::delete_health_data
        ))
        .routes(routes!(users::break_glass))
        .routes(routes!(users::care_team_list, users::care_team_add))
        .routes(routes!(users::care_team_remove))
        .routes(routes!(users::reminders_list, users::reminders_create))
        .routes(routes!(users::reminders_stop))
        .routes(routes!(users::points_summary))
        .routes(routes!(users::points_ledger, users::points_create))
        .routes(routes!(missions::list, missions::create))
        .routes(routes!(missions::update))
        .routes(routes!(missions::leaderboard))
        .routes(routes!(missions::progress))
        .routes(routes!(missions::badges))
        .routes(routes!(missions::preferences))
        .routes(routes!(authorizations::list, authorizations::create))
        .routes(routes!(authorizations::get))
        .routes(routes!(authorizations::transition))
        .routes(routes!(documents::get, documents::delete))
        .routes(routes!(documents::content))
        .routes(routes!(documents::verify))
        .routes(routes!(documents::list))
        // Everything above takes small bodies; uploads have their own limit below.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(BODY_LIMIT))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(documents::upload))
                .layer(axum::extract::DefaultBodyLimit::disable())
                .layer(tower_http::limit::RequestBodyLimitLayer::new(
                    crate::service::documents::MAX_BYTES + 64 * 1024,
                )),
        )
        .routes(routes!(providers::list, providers::create))
        .routes(routes!(providers::get, providers::update))
        .routes(routes!(conversations::list))
        .routes(routes!(conversations::get))
        .routes(routes!(conversations::messages, conversations::send))
        .routes(routes!(conversations::read))
        .routes(routes!(conversations::release))
        .routes(routes!(alerts::list))
        .routes(routes!(alerts::acknowledge))
        .routes(routes!(alerts::resolve))
        .routes(routes!(audit_logs::list))
        .split_for_parts();
    api.components
        .get_or_insert_with(Default::default)
        .schemas
        .entry("Problem".into())
        .or_insert_with(<problem::Problem as utoipa::PartialSchema>::schema);
    (router, api)
}

/// The organization a request acts in: a member's own (asking for another is "not found"), or the
/// one a platform caller names.
pub fn organization_of(actor: &Actor, requested: Option<OrganizationId>) -> Result<OrganizationId> {
    match (actor.principal.organization(), requested) {
        (Some(own), None) => Ok(own),
        (Some(own), Some(asked)) if own == asked => Ok(own),
        (Some(_), Some(_)) => Err(Error::NotFound),
        (None, Some(asked)) => Ok(asked),
        (None, None) => Err(Error::invalid(
            "organizationId",
            "required",
            "a platform key must name the organization",
        )),
    }
}

/// Members stay in their organization; a platform caller is placed in the one it named.
pub fn in_organization(actor: &Actor, org: OrganizationId) -> Actor {
    Actor {
        principal: austa_domain::Principal::member(org, actor.principal.role(), actor.principal.subject()),
        ..actor.clone()
    }
}

/// An id from the path; a malformed one names nothing, so it is "not found".
pub fn parse_id<I: austa_domain::EntityId>(text: &str) -> Result<I> {
    text.parse::<uuid::Uuid>()
        .map(I::from_uuid)
        .map_err(|_| Error::NotFound)
}

/// A JSON body read from raw bytes (when the bytes are also needed, for Idempotency-Key).
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes)
        .map_err(|e| Error::invalid("body", "invalid_body", extract::redact_quoted(&e.to_string())))
}

/// A browsable page over the OpenAPI document (Scalar's viewer, loaded from its CDN).
pub async fn docs_page() -> impl axum::response::IntoResponse {
    const PAGE: &str = r#"<!doctype html>
<html lang="pt-BR">
<head><meta charset="utf-8"><title>Austa Care API</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<script id="api-reference" data-url="/api/v1/openapi.json"></script>
<script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference@1"></script>
</body>
</html>"#;
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src https://cdn.jsdelivr.net; style-src 'unsafe-inline' https://cdn.jsdelivr.net; \
                 font-src https://cdn.jsdelivr.net data:; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
            ),
        ],
        PAGE,
    )
}

/// Headers every response carries: no sniffing, no framing, no referrer, no caching of personal data.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !is_html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    response
}
