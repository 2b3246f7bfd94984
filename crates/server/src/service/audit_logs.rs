//! Reading the audit log: admins see their organization's, providers the entries of their own
//! actions, patients none; the platform sees all. Reading it is itself recorded.

use austa_domain::access::{Action, Resource, Target};
use austa_domain::enums::{AuditAction, AuditAction as A, RiskLevel, Role};
use austa_domain::ids::AuditLogId;
use austa_domain::{EntityId, Subject};
use austa_store::model::AuditLog;
use austa_store::{Cmp, ListQuery, Page, Value};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit::AuditEvent;
use crate::error::{Error, Result};
use crate::guard::authorize;
use crate::work::Work;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditLogView {
    pub id: AuditLogId,
    pub organization_id: Option<austa_domain::ids::OrganizationId>,
    pub actor_id: Option<Uuid>,
    pub actor_role: Option<Role>,
    pub action: A,
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub risk_level: RiskLevel,
    pub hipaa_relevant: bool,
    pub lgpd_relevant: bool,
    pub sensitive_data: bool,
    pub requires_review: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    pub related_ids: serde_json::Value,
    pub details: serde_json::Value,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub action: Option<AuditAction>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    pub hipaa_relevant: Option<bool>,
    pub lgpd_relevant: Option<bool>,
    pub requires_review: Option<bool>,
}

pub async fn list(work: &mut Work<'_>, filter: Filter, query: ListQuery) -> Result<Page<AuditLogView>> {
    let me = match work.actor.principal.subject() {
        Subject::User(id) => Some(id),
        _ => None,
    };
    let mut query = query.newest_first();
    if let Some(org) = work.actor.principal.organization() {
        // Providers read the trail of their own actions: the filter is forced, not trusted.
        let mut target = Target::in_organization(org);
        if let (Role::Provider, Some(me)) = (work.actor.role(), me) {
            target = target.person(me);
            query = query.filter("actor_id", Value::Uuid(me.as_uuid()));
        }
        authorize(work, Action::Read, Resource::AuditLog, target, None).await?;
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from > to
    {
        return Err(Error::invalid("from", "invalid_range", "must not be after `to`"));
    }
    if let Some(t) = filter.entity_type {
        query = query.filter("entity_type", Value::Text(t));
    }
    if let Some(id) = filter.entity_id {
        query = query.filter("entity_id", Value::Uuid(id));
    }
    if let Some(id) = filter.actor_id {
        query = query.filter("actor_id", Value::Uuid(id));
    }
    if let Some(action) = filter.action {
        query = query.filter(
            "action",
            Value::Text(austa_domain::Vocabulary::as_str(action).into()),
        );
    }
    if let Some(from) = filter.from {
        query = query.compare("occurred_at", Cmp::Ge, Value::Time(from));
    }
    if let Some(to) = filter.to {
        query = query.compare("occurred_at", Cmp::Le, Value::Time(to));
    }
    for (column, value) in [
        ("hipaa_relevant", filter.hipaa_relevant),
        ("lgpd_relevant", filter.lgpd_relevant),
        ("requires_review", filter.requires_review),
    ] {
        if let Some(v) = value {
            query = query.filter(column, Value::Bool(v));
        }
    }
    let page = work.tx().list::<AuditLog>(&query).await?;
    work.record(
        AuditEvent::new(AuditAction::Read, "audit_logs")
            .risk(RiskLevel::Medium)
            .detail("entries", page.items.len()),
    );
    Ok(Page {
        items: page.items.into_iter().map(view).collect(),
        next: page.next,
    })
}

fn view(a: AuditLog) -> AuditLogView {
    AuditLogView {
        id: a.id,
        organization_id: a.organization_id,
        actor_id: a.actor_id,
        actor_role: a.actor_role,
        action: a.action,
        entity_type: a.entity_type,
        entity_id: a.entity_id,
        ip_address: a.ip_address,
        user_agent: a.user_agent,
        risk_level: a.risk_level,
        hipaa_relevant: a.hipaa_relevant,
        lgpd_relevant: a.lgpd_relevant,
        sensitive_data: a.sensitive_data,
        requires_review: a.requires_review,
        occurred_at: a.occurred_at,
        related_ids: a.related_ids,
        details: a.details,
        request_id: a.request_id,
    }
}
