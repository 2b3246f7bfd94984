//! `/audit-logs`.

use super::problem::Problem;
use austa_domain::Vocabulary;
use austa_domain::enums::AuditAction;
use austa_domain::ids::OrganizationId;
use austa_store::TxMode;
use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::AppState;
use super::extract::{Authenticated, ListResponse, Paging};
use crate::context::Actor;
use crate::error::{Error, Result};
use crate::service::audit_logs::{self, AuditLogView, Filter};
use crate::transact;

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditQuery {
    organization_id: Option<OrganizationId>,
    entity_type: Option<String>,
    entity_id: Option<Uuid>,
    actor_id: Option<Uuid>,
    action: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    from: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    to: Option<OffsetDateTime>,
    hipaa_relevant: Option<bool>,
    lgpd_relevant: Option<bool>,
    requires_review: Option<bool>,
    limit: Option<u32>,
    cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/audit-logs",
    tag = "audit",
    summary = "Audit entries, newest first (admins: all; providers: their own actions)",
    params(AuditQuery),
    responses((status = 200, body = ListResponse<AuditLogView>), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<AuditQuery>,
) -> Result<Json<ListResponse<AuditLogView>>> {
    let actor = match (actor.principal.organization(), q.organization_id) {
        (None, Some(org)) => Actor {
            principal: austa_domain::Principal::member(
                org,
                actor.principal.role(),
                actor.principal.subject(),
            ),
            ..actor
        },
        (Some(own), Some(asked)) if own != asked => return Err(Error::NotFound),
        _ => actor,
    };
    let action = q
        .action
        .as_deref()
        .map(AuditAction::parse_str)
        .transpose()
        .map_err(|_| {
            Error::invalid(
                "action",
                "invalid_value",
                format!("must be one of {}", AuditAction::TEXTS.join(", ")),
            )
        })?;
    let filter = Filter {
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        actor_id: q.actor_id,
        action,
        from: q.from,
        to: q.to,
        hipaa_relevant: q.hipaa_relevant,
        lgpd_relevant: q.lgpd_relevant,
        requires_review: q.requires_review,
    };
    let query = Paging {
        limit: q.limit,
        cursor: q.cursor,
    }
    .query()?;
    let page = transact!(&state.services, &actor, TxMode::Read, |work| audit_logs::list(
        work, filter, query
    )
    .await)?;
    Ok(Json(page.into()))
}
