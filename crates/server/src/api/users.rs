//! `/users` (patients), their health data and break-glass.

use super::problem::Problem;
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
use super::{AppState, in_organization, organization_of, parse_id as parse, parse_json as body};
use crate::context::{Actor, Services};
use crate::error::{Error, Result};
use crate::service::health_data::{self, HealthDataChanges, HealthDataFilter, HealthRecord, NewHealthData};
use crate::service::patients::{self, NewPatient, PatientChanges, PatientRecord};
use crate::service::{break_glass, care_team, points, reminders};
use crate::transact;

/// Members act in their organization; a platform caller acts in the organization of the patient.
pub(crate) async fn scoped_for_user(services: &Services, actor: &Actor, user: UserId) -> Result<Actor> {
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

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct OrgParam {
    organization_id: Option<OrganizationId>,
}

#[utoipa::path(
    post,
    path = "/users",
    tag = "users",
    summary = "Register a patient (CPF and phone validated, CPF unique per organization)",
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response of a retried create"), OrgParam),
    request_body = NewPatient,
    responses((status = 201, body = PatientRecord), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json"), (status = 409, description = "Conflict with stored data", body = Problem, content_type = "application/problem+json")),
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
    let input: NewPatient = body(&bytes)?;
    let actor = in_organization(&actor, org);
    crate::create_once!(&state.services, actor, headers, bytes, |work| patients::create(
        work, org, input
    )
    .await)
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserFilter {
    organization_id: Option<OrganizationId>,
    cpf: Option<String>,
    phone: Option<String>,
    is_active: Option<bool>,
    limit: Option<u32>,
    cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/users",
    tag = "users",
    summary = "Patients; `cpf` looks one up through the blind index",
    params(UserFilter),
    responses((status = 200, body = ListResponse<PatientRecord>), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(filter): Query<UserFilter>,
) -> Result<Json<ListResponse<PatientRecord>>> {
    let org = organization_of(&actor, filter.organization_id)?;
    let actor = in_organization(&actor, org);
    let services = &state.services;
    if let Some(cpf) = filter.cpf {
        let found = transact!(services, &actor, TxMode::Read, |work| patients::find_by_cpf(
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
    let page = transact!(services, &actor, TxMode::Read, |work| patients::list(
        work, org, query
    )
    .await)?;
    Ok(Json(page.into()))
}

#[utoipa::path(
    get,
    path = "/users/{id}",
    tag = "users",
    summary = "One patient",
    params(("id" = String, Path, description = "Patient id")),
    responses((status = 200, body = PatientRecord), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<PatientRecord>> {
    let id: UserId = parse(&id)?;
    let actor = scoped_for_user(&state.services, &actor, id).await?;
    Ok(Json(transact!(&state.services, &actor, TxMode::Read, |work| {
        patients::get(work, id).await
    })?))
}

#[utoipa::path(
    patch,
    path = "/users/{id}",
    tag = "users",
    summary = "Change a patient",
    params(("id" = String, Path, description = "Patient id")),
    request_body = PatientChanges,
    responses((status = 200, body = PatientRecord), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json"), (status = 409, description = "Conflict with stored data", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
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

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HealthDataQuery {
    #[serde(rename = "type")]
    data_type: Option<String>,
    is_active: Option<bool>,
    limit: Option<u32>,
    cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/users/{id}/health-data",
    tag = "health-data",
    summary = "A patient's health records the caller may read",
    params(("id" = String, Path, description = "Patient id"), HealthDataQuery),
    responses((status = 200, body = ListResponse<HealthRecord>), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
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
    let page = transact!(&state.services, &actor, TxMode::Read, |work| health_data::list(
        work, id, filter, query
    )
    .await)?;
    Ok(Json(page.into()))
}

#[utoipa::path(
    post,
    path = "/users/{id}/health-data",
    tag = "health-data",
    summary = "Record health data (plausible values only)",
    params(("id" = String, Path, description = "Patient id"), ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response of a retried create")),
    request_body = NewHealthData,
    responses((status = 201, body = HealthRecord), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
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
    crate::create_once!(&state.services, actor, headers, bytes, |work| {
        health_data::create(work, id, input).await
    })
}

#[utoipa::path(
    get,
    path = "/users/{id}/health-data/{record}",
    tag = "health-data",
    summary = "One health record (CONFIDENTIAL needs care team, admin or break-glass)",
    params(("id" = String, Path, description = "Patient id"), ("record" = String, Path, description = "Record id")),
    responses((status = 200, body = HealthRecord), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn get_health_data(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path((id, record)): Path<(String, String)>,
) -> Result<Json<HealthRecord>> {
    let (id, record): (UserId, HealthDataId) = (parse(&id)?, parse(&record)?);
    let actor = scoped_for_user(&state.services, &actor, id).await?;
    Ok(Json(transact!(&state.services, &actor, TxMode::Read, |work| {
        health_data::get(work, id, record).await
    })?))
}

#[utoipa::path(
    patch,
    path = "/users/{id}/health-data/{record}",
    tag = "health-data",
    summary = "Change or verify a health record",
    params(("id" = String, Path, description = "Patient id"), ("record" = String, Path, description = "Record id")),
    request_body = HealthDataChanges,
    responses((status = 200, body = HealthRecord), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    delete,
    path = "/users/{id}/health-data/{record}",
    tag = "health-data",
    summary = "Soft-delete a health record (admins)",
    params(("id" = String, Path, description = "Patient id"), ("record" = String, Path, description = "Record id")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    post,
    path = "/users/{id}/break-glass",
    tag = "health-data",
    summary = "Emergency access to a patient's restricted data (reason required, expires, reviewed)",
    params(("id" = String, Path, description = "Patient id"), ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response of a retried create")),
    request_body = break_glass::Request,
    responses((status = 201, body = break_glass::Grant), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
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
    crate::create_once!(&state.services, actor, headers, bytes, |work| break_glass::open(
        work, id, request
    )
    .await)
}

#[utoipa::path(
    get,
    path = "/users/{id}/care-team",
    tag = "users",
    summary = "The providers of a patient's care team",
    params(("id" = String, Path, description = "Patient id")),
    responses(
        (status = 200, body = Vec<care_team::Member>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn care_team_list(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Vec<care_team::Member>>> {
    let id: UserId = parse(&id)?;
    let actor = scoped_for_user(&state.services, &actor, id).await?;
    Ok(Json(transact!(&state.services, &actor, TxMode::Read, |work| {
        care_team::list(work, id).await
    })?))
}

#[utoipa::path(
    post,
    path = "/users/{id}/care-team",
    tag = "users",
    summary = "Add a provider to a patient's care team (admins)",
    params(("id" = String, Path, description = "Patient id")),
    request_body = care_team::NewMember,
    responses(
        (status = 201, body = care_team::Member),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict with stored data", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn care_team_add(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Body(input): Body<care_team::NewMember>,
) -> Result<(StatusCode, Json<care_team::Member>)> {
    let id: UserId = parse(&id)?;
    let actor = scoped_for_user(&state.services, &actor, id).await?;
    let added = transact!(&state.services, &actor, TxMode::Write, |work| care_team::add(
        work, id, input
    )
    .await)?;
    Ok((StatusCode::CREATED, Json(added)))
}

#[utoipa::path(
    delete,
    path = "/users/{id}/care-team/{provider}",
    tag = "users",
    summary = "Remove a provider from a patient's care team (admins)",
    params(("id" = String, Path, description = "Patient id"), ("provider" = String, Path, description = "Provider's user id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn care_team_remove(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path((id, provider)): Path<(String, String)>,
) -> Result<StatusCode> {
    let (id, provider): (UserId, UserId) = (parse(&id)?, parse(&provider)?);
    let actor = scoped_for_user(&state.services, &actor, id).await?;
    transact!(&state.services, &actor, TxMode::Write, |work| care_team::remove(
        work, id, provider
    )
    .await)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/users/{id}/medication-reminders",
    tag = "medication-reminders",
    summary = "A patient's medication reminders, with adherence (taken, missed, pending doses)",
    params(("id" = String, Path, description = "Patient id")),
    responses((status = 200, body = Vec<reminders::ReminderView>), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn reminders_list(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Vec<reminders::ReminderView>>> {
    let id: UserId = parse(&id)?;
    let actor = scoped_for_user(&state.services, &actor, id).await?;
    Ok(Json(transact!(&state.services, &actor, TxMode::Read, |work| {
        reminders::list(work, id).await
    })?))
}

#[utoipa::path(
    post,
    path = "/users/{id}/medication-reminders",
    tag = "medication-reminders",
    summary = "Opt into reminders of an active medication at local times of day (the patient, or staff on their behalf)",
    params(("id" = String, Path, description = "Patient id")),
    request_body = reminders::NewReminder,
    responses((status = 201, body = reminders::ReminderView), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn reminders_create(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Body(input): Body<reminders::NewReminder>,
) -> Result<(StatusCode, Json<reminders::ReminderView>)> {
    let id: UserId = parse(&id)?;
    let actor = scoped_for_user(&state.services, &actor, id).await?;
    let created = transact!(&state.services, &actor, TxMode::Write, |work| reminders::create(
        work, id, input
    )
    .await)?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    delete,
    path = "/users/{id}/medication-reminders/{reminder}",
    tag = "medication-reminders",
    summary = "Opt out: the reminder stops (its adherence history is kept)",
    params(("id" = String, Path, description = "Patient id"), ("reminder" = String, Path, description = "Reminder id")),
    responses((status = 204, description = "Stopped"), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn reminders_stop(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path((id, reminder)): Path<(String, String)>,
) -> Result<StatusCode> {
    let id: UserId = parse(&id)?;
    let reminder: austa_domain::ids::MedicationReminderId = parse(&reminder)?;
    let actor = scoped_for_user(&state.services, &actor, id).await?;
    transact!(&state.services, &actor, TxMode::Write, |work| reminders::stop(
        work, id, reminder
    )
    .await)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/users/{id}/points",
    tag = "points",
    summary = "A patient's points: balance, experience, level, streaks",
    params(("id" = String, Path, description = "Patient id")),
    responses((status = 200, body = points::PointsView), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn points_summary(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<points::PointsView>> {
    let id: UserId = parse(&id)?;
    let actor = scoped_for_user(&state.services, &actor, id).await?;
    Ok(Json(transact!(&state.services, &actor, TxMode::Read, |work| {
        points::summary(work, id).await
    })?))
}

#[utoipa::path(
    get,
    path = "/users/{id}/point-transactions",
    tag = "points",
    summary = "A patient's points ledger, newest first",
    params(("id" = String, Path, description = "Patient id"), Paging),
    responses((status = 200, body = ListResponse<points::TransactionView>), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn points_ledger(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Query(paging): Query<Paging>,
) -> Result<Json<ListResponse<points::TransactionView>>> {
    let id: UserId = parse(&id)?;
    let query = paging.query()?;
    let actor = scoped_for_user(&state.services, &actor, id).await?;
    Ok(Json(
        transact!(&state.services, &actor, TxMode::Read, |work| points::list(
            work, id, query
        )
        .await)?
        .into(),
    ))
}

#[utoipa::path(
    post,
    path = "/users/{id}/point-transactions",
    tag = "points",
    summary = "Spend, penalise or adjust (admins, the system); never below zero; the idempotency key applies it once",
    params(("id" = String, Path, description = "Patient id")),
    request_body = points::NewTransaction,
    responses((status = 201, body = points::TransactionView), (status = 200, description = "The key was used before: the first transaction", body = points::TransactionView), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"), (status = 409, description = "Not enough points", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn points_create(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Body(input): Body<points::NewTransaction>,
) -> Result<(StatusCode, Json<points::TransactionView>)> {
    let id: UserId = parse(&id)?;
    let actor = scoped_for_user(&state.services, &actor, id).await?;
    if let Some(org) = actor.principal.organization() {
        points::ensure_account(&state.services, org, id).await?;
    }
    let view = transact!(&state.services, &actor, TxMode::Write, |work| points::create(
        work, id, input
    )
    .await)?;
    let status = if view.applied_now {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view)))
}
