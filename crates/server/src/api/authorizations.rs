//! `/authorizations`: procedure authorizations under ANS rules.

use austa_domain::Vocabulary;
use austa_domain::enums::AuthorizationStatus;
use austa_domain::ids::{AuthorizationId, OrganizationId, UserId};
use austa_store::TxMode;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::extract::{Authenticated, Body, ListResponse, Paging};
use super::problem::Problem;
use super::{AppState, in_organization, organization_of, parse_id};
use crate::error::{Error, Result};
use crate::service::authorizations::{self, AuthorizationView, Filter, NewAuthorization, NewTransition};
use crate::transact;

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthorizationQuery {
    organization_id: Option<OrganizationId>,
    user_id: Option<UserId>,
    status: Option<String>,
    /// Only those past their ANS deadline without an answer.
    overdue: Option<bool>,
    limit: Option<u32>,
    cursor: Option<String>,
}

#[utoipa::path(get, path = "/authorizations", tag = "authorizations", summary = "Authorizations (patients: their own); `overdue=true` for those past the ANS deadline",
    params(AuthorizationQuery),
    responses((status = 200, body = ListResponse<AuthorizationView>), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<AuthorizationQuery>,
) -> Result<Json<ListResponse<AuthorizationView>>> {
    let actor = in_organization(&actor, organization_of(&actor, q.organization_id)?);
    let status = q
        .status
        .as_deref()
        .map(AuthorizationStatus::parse_str)
        .transpose()
        .map_err(|_| {
            Error::invalid(
                "status",
                "invalid_value",
                format!("must be one of {}", AuthorizationStatus::TEXTS.join(", ")),
            )
        })?;
    let query = Paging {
        limit: q.limit,
        cursor: q.cursor,
    }
    .query()?;
    let filter = Filter {
        user_id: q.user_id,
        status,
        overdue: q.overdue.unwrap_or(false),
    };
    Ok(Json(
        transact!(&state.services, &actor, TxMode::Read, |work| {
            authorizations::list(work, filter, query).await
        })?
        .into(),
    ))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrgParam {
    organization_id: Option<OrganizationId>,
}

#[utoipa::path(post, path = "/authorizations", tag = "authorizations", summary = "Request an authorization (providers, the system): TUSS codes checked, a protocol number at once, the ANS deadline computed",
    params(OrgParam),
    request_body = NewAuthorization,
    responses((status = 201, body = AuthorizationView), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<OrgParam>,
    Body(input): Body<NewAuthorization>,
) -> Result<(StatusCode, Json<AuthorizationView>)> {
    let actor = in_organization(&actor, organization_of(&actor, q.organization_id)?);
    let created = transact!(&state.services, &actor, TxMode::Write, |work| {
        authorizations::create(work, input).await
    })?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(get, path = "/authorizations/{id}", tag = "authorizations", summary = "One authorization with its transitions",
    params(("id" = String, Path, description = "Authorization id")),
    responses((status = 200, body = AuthorizationView), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<AuthorizationView>> {
    let id: AuthorizationId = parse_id(&id)?;
    Ok(Json(transact!(&state.services, &actor, TxMode::Read, |work| {
        authorizations::get(work, id).await
    })?))
}

#[utoipa::path(post, path = "/authorizations/{id}/transitions", tag = "authorizations", summary = "Move an authorization along its state machine (who, when and why are recorded; the patient is told)",
    params(("id" = String, Path, description = "Authorization id")),
    request_body = NewTransition,
    responses((status = 200, body = AuthorizationView), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"), (status = 409, description = "Illegal from the current state (named), or an urgent request held for documents", body = Problem, content_type = "application/problem+json"), (status = 422, description = "An approval without senha, a denial without reason or clause; `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn transition(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Body(input): Body<NewTransition>,
) -> Result<Json<AuthorizationView>> {
    let id: AuthorizationId = parse_id(&id)?;
    Ok(Json(transact!(&state.services, &actor, TxMode::Write, |work| {
        authorizations::transition(work, id, input).await
    })?))
}
