//! `/alerts`: what the assistant raised for staff (emergencies, hand-offs, appointment requests).

use austa_domain::Vocabulary;
use austa_domain::enums::{AlertKind, AlertStatus};
use austa_domain::ids::{AlertId, OrganizationId};
use austa_store::TxMode;
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;

use super::extract::{Authenticated, ListResponse, Paging};
use super::problem::Problem;
use super::{AppState, in_organization, organization_of, parse_id};
use crate::error::{Error, Result};
use crate::service::alerts::{self, AlertView, Filter};
use crate::transact;

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlertQuery {
    organization_id: Option<OrganizationId>,
    /// `OPEN`, `ACKNOWLEDGED` or `RESOLVED`.
    status: Option<String>,
    /// `EMERGENCY`, `HUMAN_HANDOFF` or `APPOINTMENT_REQUEST`.
    kind: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

fn parse<V: Vocabulary>(field: &str, text: Option<&str>) -> Result<Option<V>> {
    text.map(V::parse_str).transpose().map_err(|_| {
        Error::invalid(
            field,
            "invalid_value",
            format!("must be one of {}", V::TEXTS.join(", ")),
        )
    })
}

#[utoipa::path(
    get,
    path = "/alerts",
    tag = "alerts",
    summary = "The organization's alerts, newest first (staff)",
    params(AlertQuery),
    responses((status = 200, body = ListResponse<AlertView>), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<AlertQuery>,
) -> Result<Json<ListResponse<AlertView>>> {
    let org = organization_of(&actor, q.organization_id)?;
    let actor = in_organization(&actor, org);
    let filter = Filter {
        status: parse::<AlertStatus>("status", q.status.as_deref())?,
        kind: parse::<AlertKind>("kind", q.kind.as_deref())?,
    };
    let query = Paging {
        limit: q.limit,
        cursor: q.cursor,
    }
    .query()?;
    Ok(Json(
        transact!(&state.services, &actor, TxMode::Read, |work| alerts::list(
            work, filter, query
        )
        .await)?
        .into(),
    ))
}

async fn transition(
    state: AppState,
    actor: crate::context::Actor,
    id: String,
    to: AlertStatus,
) -> Result<Json<AlertView>> {
    let id: AlertId = parse_id(&id)?;
    Ok(Json(transact!(&state.services, &actor, TxMode::Write, |work| {
        alerts::transition(work, id, to).await
    })?))
}

#[utoipa::path(
    post,
    path = "/alerts/{id}/acknowledge",
    tag = "alerts",
    summary = "Someone is on it",
    params(("id" = String, Path, description = "Alert id")),
    responses((status = 200, body = AlertView), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"), (status = 409, description = "Already acknowledged or resolved", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn acknowledge(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<AlertView>> {
    transition(state, actor, id, AlertStatus::Acknowledged).await
}

#[utoipa::path(
    post,
    path = "/alerts/{id}/resolve",
    tag = "alerts",
    summary = "Dealt with",
    params(("id" = String, Path, description = "Alert id")),
    responses((status = 200, body = AlertView), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"), (status = 409, description = "Already resolved", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn resolve(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<AlertView>> {
    transition(state, actor, id, AlertStatus::Resolved).await
}
