//! `/providers`.

use austa_domain::ids::{OrganizationId, ProviderId};
use austa_store::TxMode;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::extract::{Authenticated, Body, ListResponse, Paging};
use super::{AppState, idempotency, in_organization, organization_of, parse_id, parse_json};
use crate::error::Result;
use crate::service::providers::{self, NewProvider, ProviderChanges, ProviderView};
use crate::transact;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProviderQuery {
    organization_id: Option<OrganizationId>,
    council: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

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

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct OrgParam {
    organization_id: Option<OrganizationId>,
}

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
    let key = idempotency::key(&headers)?;
    let services = &state.services;
    idempotency::once(services, &actor, key, &bytes, async || {
        transact!(services, &actor, TxMode::Write, |work| providers::create(
            work, org, input
        )
        .await)
    })
    .await
}

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
