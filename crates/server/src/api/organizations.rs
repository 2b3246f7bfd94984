//! `/organizations`.

use super::problem::Problem;
use austa_domain::Principal;
use austa_domain::enums::Role;
use austa_domain::ids::OrganizationId;
use austa_store::TxMode;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::AppState;
use super::extract::{Authenticated, ListResponse, Paging};
use super::idempotency;
use crate::context::Actor;
use crate::error::{Error, Result};
use crate::service::organizations::{self, NewOrganization, OrganizationChanges, OrganizationView};
use crate::transact;

#[utoipa::path(
    get,
    path = "/organizations",
    tag = "organizations",
    summary = "Organizations visible to the caller (the platform sees all)",
    params(Paging),
    responses((status = 200, body = ListResponse<OrganizationView>), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(paging): Query<Paging>,
) -> Result<Json<ListResponse<OrganizationView>>> {
    let query = paging.query()?;
    // Members list their own organization only: their tenant scope shows nothing else.
    let page = transact!(&state.services, &actor, TxMode::Read, |work| organizations::list(
        work, query
    )
    .await)?;
    Ok(Json(page.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewOrganizationBody {
    name: String,
    tax_id: String,
}

/// Only the platform creates organizations.
#[utoipa::path(
    post,
    path = "/organizations",
    tag = "organizations",
    summary = "Create an organization (platform keys only)",
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response of a retried create")),
    request_body = NewOrganizationBody,
    responses((status = 201, body = OrganizationView), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json"), (status = 409, description = "Conflict with stored data", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    if actor.principal.role() != Role::System || actor.principal.organization().is_some() {
        return Err(Error::Forbidden);
    }
    let parsed: NewOrganizationBody = serde_json::from_slice(&body).map_err(|e| {
        Error::invalid(
            "body",
            "invalid_body",
            super::extract::redact_quoted(&e.to_string()),
        )
    })?;
    let key = idempotency::key(&headers)?;
    let services = state.services.clone();
    idempotency::once(&state.services, &actor, key, &body, async || {
        let org = organizations::create(
            &services,
            &actor,
            NewOrganization {
                name: &parsed.name,
                tax_id: &parsed.tax_id,
            },
        )
        .await?;
        Ok(organizations::view(org))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/organizations/{id}",
    tag = "organizations",
    summary = "One organization",
    params(("id" = String, Path, description = "Organization id")),
    responses((status = 200, body = OrganizationView), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<OrganizationView>> {
    let id = parse_id(&id)?;
    let scoped = scoped(&actor, id);
    Ok(Json(transact!(&state.services, &scoped, TxMode::Read, |work| {
        organizations::get(work, id).await
    })?))
}

#[utoipa::path(
    patch,
    path = "/organizations/{id}",
    tag = "organizations",
    summary = "Change an organization; the WhatsApp access token is write-only",
    params(("id" = String, Path, description = "Organization id")),
    request_body = OrganizationChanges,
    responses((status = 200, body = OrganizationView), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json"), (status = 409, description = "Conflict with stored data", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    super::extract::Body(changes): super::extract::Body<OrganizationChanges>,
) -> Result<Json<OrganizationView>> {
    let id = parse_id(&id)?;
    let scoped = scoped(&actor, id);
    Ok(Json(transact!(
        &state.services,
        &scoped,
        TxMode::Write,
        |work| organizations::update(work, id, changes).await
    )?))
}

fn parse_id(text: &str) -> Result<OrganizationId> {
    text.parse().map_err(|_| Error::NotFound)
}

/// A platform caller works inside the organization it names; members stay in their own.
fn scoped(actor: &Actor, id: OrganizationId) -> Actor {
    match actor.principal.organization() {
        None => Actor {
            principal: Principal::member(id, actor.principal.role(), actor.principal.subject()),
            ..actor.clone()
        },
        Some(_) => actor.clone(),
    }
}
