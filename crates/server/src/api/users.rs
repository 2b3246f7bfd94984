//! `/users` (patients), their health data and break-glass.

use austa_domain::enums::HealthDataType;
use austa_domain::ids::{HealthDataId, OrganizationId, UserId};
use austa_domain::{Principal, Vocabulary};
use austa_store::model::User;
use austa_store::{TxMode, Value};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::extract::{Authenticated, Body, ListResponse, Paging};
use super::{AppState, idempotency, in_organization, organization_of, parse_id as parse, parse_json as body};
use crate::context::{Actor, Services};
use crate::error::{Error, Result};
use crate::service::break_glass;
use crate::service::health_data::{self, HealthDataChanges, HealthDataFilter, HealthRecord, NewHealthData};
use crate::service::patients::{self, NewPatient, PatientChanges, PatientRecord};
use crate::transact;

/// Members act in their organization; a platform caller acts in the organization of the patient.
async fn scoped_for_user(services: &Services, actor: &Actor, user: UserId) -> Result<Actor> {
    if actor.principal.organization().is_some() {
        return Ok(actor.clone());
    }
    let mut tx = services
        .store
        .begin(Principal::system().scope(), TxMode::Read)
        .await?;
    let found = tx.find::<User>(user).await?;
    tx.rollback().await?;
    let org = found.map(|u| u.organization_id).ok_or(Error::NotFound)?;
    Ok(in_organization(actor, org))
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
    let input: NewPatient = body(&bytes)?;
    let actor = in_organization(&actor, org);
    let key = idempotency::key(&headers)?;
    let services = &state.services;
    idempotency::once(services, &actor, key, &bytes, async || {
        transact!(services, &actor, TxMode::Write, |work| patients::create(
            work, org, input
        )
        .await)
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserFilter {
    organization_id: Option<OrganizationId>,
    cpf: Option<String>,
    phone: Option<String>,
    is_active: Option<bool>,
    limit: Option<u32>,
    cursor: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(filter): Query<UserFilter>,
) -> Result<Json<ListResponse<PatientRecord>>> {
    let org = organization_of(&actor, filter.organization_id)?;
    let actor = in_organization(&actor, org);
    let services = &state.services;
    if let Some(cpf) = filter.cpf {
        let found = transact!(services, &actor, TxMode::Write, |work| patients::find_by_cpf(
            work, org, &cpf
        )
        .await)?;
        return Ok(Json(ListResponse {
            items: found.into_iter().collect(),
            next_cursor: None,
        }));
    }
    let mut query = Paging {
        limit: filter.limit,
        cursor: filter.cursor,
    }
    .query()?;
    if let Some(phone) = filter.phone {
        let phone = austa_domain::validation::PhoneNumber::parse(&phone)
            .map_err(|e| crate::service::invalid("phone", e))?;
        query = query.filter("phone", Value::Text(phone.e164().to_owned()));
    }
    if let Some(active) = filter.is_active {
        query = query.filter("is_active", Value::Bool(active));
    }
    let page = transact!(services, &actor, TxMode::Write, |work| patients::list(
        work, org, query
    )
    .await)?;
    Ok(Json(page.into()))
}

pub async fn get(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<PatientRecord>> {
    let id: UserId = parse(&id)?;
    let actor = scoped_for_user(&state.services, &actor, id).await?;
    Ok(Json(transact!(&state.services, &actor, TxMode::Write, |work| {
        patients::get(work, id).await
    })?))
}

pub async fn update(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Body(changes): Body<PatientChanges>,
) -> Result<Json<PatientRecord>> {
    let id: UserId = parse(&id)?;
    let actor = scoped_for_user(&state.services, &actor, id).await?;
    Ok(Json(transact!(&state.services, &actor, TxMode::Write, |work| {
        patients::update(work, id, changes).await
    })?))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HealthDataQuery {
    #[serde(rename = "type")]
    data_type: Option<String>,
    is_active: Option<bool>,
    limit: Option<u32>,
    cursor: Option<String>,
}

pub async fn list_health_data(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Query(q): Query<HealthDataQuery>,
) -> Result<Json<ListResponse<HealthRecord>>> {
    let id: UserId = parse(&id)?;
    let data_type = q
        .data_type
        .as_deref()
        .map(HealthDataType::parse_str)
        .transpose()
        .map_err(|_| {
            Error::invalid(
                "type",
                "invalid_value",
                format!("must be one of {}", HealthDataType::TEXTS.join(", ")),
            )
        })?;
    let query = Paging {
        limit: q.limit,
        cursor: q.cursor,
    }
    .query()?;
    let actor = scoped_for_user(&state.services, &actor, id).await?;
    let filter = HealthDataFilter {
        data_type,
        active: q.is_active,
    };
    let page = transact!(&state.services, &actor, TxMode::Write, |work| health_data::list(
        work, id, filter, query
    )
    .await)?;
    Ok(Json(page.into()))
}

pub async fn create_health_data(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response> {
    let id: UserId = parse(&id)?;
    let input: NewHealthData = body(&bytes)?;
    let actor = scoped_for_user(&state.services, &actor, id).await?;
    let key = idempotency::key(&headers)?;
    let services = &state.services;
    idempotency::once(services, &actor, key, &bytes, async || {
        transact!(services, &actor, TxMode::Write, |work| health_data::create(
            work, id, input
        )
        .await)
    })
    .await
}

pub async fn get_health_data(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path((id, record)): Path<(String, String)>,
) -> Result<Json<HealthRecord>> {
    let (id, record): (UserId, HealthDataId) = (parse(&id)?, parse(&record)?);
    let actor = scoped_for_user(&state.services, &actor, id).await?;
    Ok(Json(transact!(&state.services, &actor, TxMode::Write, |work| {
        health_data::get(work, id, record).await
    })?))
}

pub async fn update_health_data(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path((id, record)): Path<(String, String)>,
    Body(changes): Body<HealthDataChanges>,
) -> Result<Json<HealthRecord>> {
    let (id, record): (UserId, HealthDataId) = (parse(&id)?, parse(&record)?);
    let actor = scoped_for_user(&state.services, &actor, id).await?;
    Ok(Json(transact!(&state.services, &actor, TxMode::Write, |work| {
        health_data::update(work, id, record, changes).await
    })?))
}

pub async fn delete_health_data(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path((id, record)): Path<(String, String)>,
) -> Result<StatusCode> {
    let (id, record): (UserId, HealthDataId) = (parse(&id)?, parse(&record)?);
    let actor = scoped_for_user(&state.services, &actor, id).await?;
    transact!(&state.services, &actor, TxMode::Write, |work| {
        health_data::delete(work, id, record).await
    })?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn break_glass(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response> {
    let id: UserId = parse(&id)?;
    let request: break_glass::Request = body(&bytes)?;
    let actor = scoped_for_user(&state.services, &actor, id).await?;
    let key = idempotency::key(&headers)?;
    let services = &state.services;
    idempotency::once(services, &actor, key, &bytes, async || {
        transact!(services, &actor, TxMode::Write, |work| break_glass::open(
            work, id, request
        )
        .await)
    })
    .await
}
