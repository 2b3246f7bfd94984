//! The REST API under `/api/v1`: thin handlers that parse, call a service in a unit of work, and
//! answer JSON or a problem. The services and the policy decide; handlers never do.

pub mod audit_logs;
pub mod auth;
pub mod conversations;
pub mod extract;
pub mod idempotency;
pub mod organizations;
pub mod problem;
pub mod providers;
pub mod users;

use std::sync::Arc;

use austa_domain::ids::OrganizationId;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};

use crate::context::{Actor, Services};
use crate::error::{Error, Result};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/otp/request", post(auth::request_code))
        .route("/auth/otp/verify", post(auth::verify_code))
        .route("/auth/logout", post(auth::logout))
        .route("/me", get(auth::me))
        .route(
            "/organizations",
            get(organizations::list).post(organizations::create),
        )
        .route(
            "/organizations/{id}",
            get(organizations::get).patch(organizations::update),
        )
        .route("/users", get(users::list).post(users::create))
        .route("/users/{id}", get(users::get).patch(users::update))
        .route(
            "/users/{id}/health-data",
            get(users::list_health_data).post(users::create_health_data),
        )
        .route(
            "/users/{id}/health-data/{record}",
            get(users::get_health_data)
                .patch(users::update_health_data)
                .delete(users::delete_health_data),
        )
        .route("/users/{id}/break-glass", post(users::break_glass))
        .route("/providers", get(providers::list).post(providers::create))
        .route("/providers/{id}", get(providers::get).patch(providers::update))
        .route("/conversations", get(conversations::list))
        .route("/conversations/{id}", get(conversations::get))
        .route("/conversations/{id}/messages", get(conversations::messages))
        .route("/audit-logs", get(audit_logs::list))
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
