//! `/providers`.

use super::problem::Problem;
use austa_domain::ids::{OrganizationId, ProviderId};
use austa_store::TxMode;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::extract::{Authenticated, Body, ListResponse, Paging};
use super::{AppState, in_organization, organization_of, parse_id, parse_json};
use crate::error::Result;
use crate::service::providers::{self, NewProvider, ProviderChanges, ProviderView};
use crate::transact;

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProviderQuery {
    organization_id: Option<OrganizationId>,
    council: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/providers",
    tag = "providers",
    summary = "Council registrations of the organization",
    params(ProviderQuery),
    responses((status = 200, body = ListResponse<ProviderView>), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<ProviderQuery>,
) -> Result<Json<ListResponse<ProviderView>>> {
    let org = organization_of(&actor, q.organization_id)?;
    let actor = in_organization(&actor, org);
    let query = providers::council_filter(
        Paging {
            limit: q.limit,
            cursor: q.cursor,
        }
        .query()?,
        q.council.as_deref(),
    )?;
    Ok(Json(
        transact!(&state.services, &actor, TxMode::Read, |work| providers::list(
            work, org, query
        )
        .await)?
        .into(),
    ))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct OrgParam {
    organization_id: Option<OrganizationId>,
}

#[utoipa::path(
    post,
    path = "/providers",
    tag = "providers",
    summary = "Register a provider's council licence (admins)",
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response of a retried create"), OrgParam),
    request_body = NewProvider,
    responses((status = 201, body = ProviderView), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json"), (status = 409, description = "Conflict with stored data", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(param): Query<OrgParam>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response> {
    let org = organization_of(&actor, param.organization_id)?;
    let input: NewProvider = parse_json(&bytes)?;
    let actor = in_organization(&actor, org);
    crate::create_once!(&state.services, actor, headers, bytes, |work| providers::create(
        work, org, input
    )
    .await)
}

#[utoipa::path(
    get,
    path = "/providers/{id}",
    tag = "providers",
    summary = "One registration",
    params(("id" = String, Path, description = "Provider id")),
    responses((status = 200, body = ProviderView), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<ProviderView>> {
    let id: ProviderId = parse_id(&id)?;
    Ok(Json(transact!(&state.services, &actor, TxMode::Read, |work| {
        providers::get(work, id).await
    })?))
}

#[utoipa::path(
    patch,
    path = "/providers/{id}",
    tag = "providers",
    summary = "Change or verify a registration",
    params(("id" = String, Path, description = "Provider id")),
    request_body = ProviderChanges,
    responses((status = 200, body = ProviderView), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Body(changes): Body<ProviderChanges>,
) -> Result<Json<ProviderView>> {
    let id: ProviderId = parse_id(&id)?;
    Ok(Json(transact!(&state.services, &actor, TxMode::Write, |work| {
        providers::update(work, id, changes).await
    })?))
}
