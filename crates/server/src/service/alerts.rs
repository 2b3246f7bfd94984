//! Alerts for the organization's staff, raised by the assistant: emergencies (at once), patients
//! asking for a person, appointment requests. Listed at `GET /api/v1/alerts`, acknowledged and
//! resolved by staff, and pushed to the organization's webhook (signed with HMAC-SHA256) by a
//! queued job, so a slow or failing receiver never delays the patient's answer.
//!
//! An alert carries ids and codes, never what the patient wrote: whoever acts opens the
//! conversation, which is an audited read.

use austa_domain::access::{Action, Resource, Target};
use austa_domain::enums::{AlertKind, AlertStatus, AuditAction, RiskLevel, UrgencyLevel};
use austa_domain::ids::{AlertId, ConversationId, MessageId, OrganizationId, UserId};
use austa_domain::{EntityId, Subject, Vocabulary};
use austa_store::model::{Alert, Organization};
use austa_store::{ListQuery, Page, TxMode, Value};
use hmac::{KeyInit, Mac};
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::audit::AuditEvent;
use crate::context::{Actor, Services};
use crate::error::{Error, Result};
use crate::guard::authorize;
use crate::work::Work;

pub const PUSH_JOB: &str = "alerts.push";
/// How long the receiver has to answer a push.
const PUSH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertView {
    pub id: AlertId,
    pub organization_id: OrganizationId,
    /// The patient.
    pub user_id: UserId,
    pub conversation_id: Option<ConversationId>,
    /// The authorization a deadline alert is about.
    pub authorization_id: Option<austa_domain::ids::AuthorizationId>,
    pub message_id: Option<MessageId>,
    pub kind: AlertKind,
    pub status: AlertStatus,
    pub urgency_level: UrgencyLevel,
    /// Why, as a code: a red flag (`chest_pain`, `suicide_risk`…), `patient_request`,
    /// `medication_question`, `appointment`.
    pub reason: String,
    pub acknowledged_by: Option<UserId>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub acknowledged_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub resolved_at: Option<OffsetDateTime>,
    /// When the organization's alert webhook accepted it.
    #[serde(with = "time::serde::rfc3339::option")]
    pub pushed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

pub fn view(a: Alert) -> AlertView {
    AlertView {
        id: a.id,
        organization_id: a.organization_id,
        user_id: a.user_id,
        conversation_id: a.conversation_id,
        authorization_id: a.authorization_id,
        message_id: a.message_id,
        kind: a.kind,
        status: a.status,
        urgency_level: a.urgency_level,
        reason: a.reason,
        acknowledged_by: a.acknowledged_by,
        acknowledged_at: a.acknowledged_at,
        resolved_at: a.resolved_at,
        pushed_at: a.pushed_at,
        created_at: a.created_at,
    }
}

/// What the assistant raises.
#[derive(Debug, Clone)]
pub struct NewAlert {
    pub organization: OrganizationId,
    pub patient: UserId,
    pub conversation: Option<ConversationId>,
    pub authorization: Option<austa_domain::ids::AuthorizationId>,
    pub message: Option<MessageId>,
    pub kind: AlertKind,
    pub urgency: UrgencyLevel,
    pub reason: &'static str,
}

/// Creates the alert, its audit entry (an emergency is `EMERGENCY_ALERT`, critical, to review) and
/// the push job, all in the caller's transaction.
pub async fn raise(work: &mut Work<'_>, new: NewAlert) -> Result<Alert> {
    let now = work.services.clock.now();
    let alert = Alert {
        id: AlertId::generate(),
        organization_id: new.organization,
        user_id: new.patient,
        conversation_id: new.conversation,
        message_id: new.message,
        kind: new.kind,
        status: AlertStatus::Open,
        urgency_level: new.urgency,
        reason: new.reason.to_owned(),
        acknowledged_by: None,
        acknowledged_at: None,
        resolved_at: None,
        pushed_at: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
        authorization_id: new.authorization,
    };
    let created = work.tx().create(&alert).await?;
    let mut event = if new.kind == AlertKind::Emergency {
        AuditEvent::health(AuditAction::EmergencyAlert, "alerts", Some(alert.id.as_uuid()))
            .risk(RiskLevel::Critical)
            .needs_review()
    } else {
        AuditEvent::health(AuditAction::Create, "alerts", Some(alert.id.as_uuid())).risk(RiskLevel::Medium)
    };
    if let Some(c) = new.conversation {
        event = event.related("conversationId", c.as_uuid());
    }
    if let Some(a) = new.authorization {
        event = event.related("authorizationId", a.as_uuid());
    }
    work.record(
        event
            .related("patientId", new.patient.as_uuid())
            .detail("kind", new.kind.as_str())
            .detail("reason", new.reason),
    );
    crate::jobs::enqueue(
        work.tx(),
        crate::jobs::NewJob {
            organization: Some(new.organization),
            kind: PUSH_JOB,
            payload: json!({"organizationId": new.organization, "alertId": alert.id}),
            dedupe_key: Some(alert.id.to_string()),
            run_at: None,
        },
        now,
    )
    .await?;
    Ok(created)
}

pub struct Filter {
    pub status: Option<AlertStatus>,
    pub kind: Option<AlertKind>,
}

/// Staff list their organization's alerts, newest first.
pub async fn list(work: &mut Work<'_>, filter: Filter, query: ListQuery) -> Result<Page<AlertView>> {
    let org = work.actor.principal.organization().ok_or(Error::Forbidden)?;
    authorize(
        work,
        Action::Read,
        Resource::Alert,
        Target::in_organization(org),
        None,
    )
    .await?;
    let mut query = query.newest_first();
    if let Some(status) = filter.status {
        query = query.filter("status", Value::Text(status.as_str().into()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter("kind", Value::Text(kind.as_str().into()));
    }
    let page = work.tx().list::<Alert>(&query).await?;
    work.record(AuditEvent::new(AuditAction::Read, "alerts").detail("count", page.items.len()));
    Ok(Page {
        items: page.items.into_iter().map(view).collect(),
        next: page.next,
    })
}

/// `ACKNOWLEDGED` (someone is on it) or `RESOLVED`. Moves forward only; 409 otherwise.
pub async fn transition(work: &mut Work<'_>, id: AlertId, to: AlertStatus) -> Result<AlertView> {
    let alert = work
        .tx()
        .find_for_update::<Alert>(id)
        .await?
        .ok_or(Error::NotFound)?;
    let target = Target::in_organization(alert.organization_id).about_patient(alert.user_id);
    authorize(work, Action::Update, Resource::Alert, target, Some(id.as_uuid())).await?;
    let rank = |s: AlertStatus| match s {
        AlertStatus::Open => 0,
        AlertStatus::Acknowledged => 1,
        AlertStatus::Resolved => 2,
    };
    if rank(to) <= rank(alert.status) {
        return Err(Error::conflict(
            "alert_state",
            format!("the alert is already {}", alert.status.as_str()),
        ));
    }
    let now = work.services.clock.now();
    let staff = match work.actor.principal.subject() {
        Subject::User(user) => Some(user),
        _ => None,
    };
    let mut updated = alert;
    if updated.acknowledged_at.is_none() {
        updated.acknowledged_at = Some(now);
        updated.acknowledged_by = staff;
    }
    if to == AlertStatus::Resolved {
        updated.resolved_at = Some(now);
    }
    updated.status = to;
    updated.updated_at = now;
    let saved = work.tx().update(&updated).await?;
    work.record(
        AuditEvent::new(AuditAction::Update, "alerts")
            .entity(id.as_uuid())
            .related("patientId", saved.user_id.as_uuid())
            .detail("status", to.as_str()),
    );
    Ok(view(saved))
}

/// The body of a push: ids and codes only.
fn push_body(alert: &Alert) -> serde_json::Value {
    json!({
        "type": "alert",
        "alert": view(alert.clone()),
    })
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the timestamp inside the MAC
/// lets the receiver refuse replays.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> Result<String> {
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret).map_err(Error::internal)?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    Ok(format!("t={timestamp},v1={}", austa_crypto::hex(&tag)))
}

/// The push job: POSTs the alert to the organization's webhook; a non-2xx answer or a network
/// error fails the job, which the queue retries with backoff. No webhook configured: done.
pub async fn push(services: &Services, org: OrganizationId, id: AlertId) -> Result<()> {
    let actor = Actor::system_for(org);
    let (alert, organization, ring) = crate::transact!(services, &actor, TxMode::Read, |work| {
        let alert = work.tx().find::<Alert>(id).await?;
        let organization = work.tx().find::<Organization>(org).await?;
        let ring = services.keys.get(work.tx(), org).await?;
        Ok((alert, organization, ring))
    })?;
    let (Some(alert), Some(organization)) = (alert, organization) else {
        return Ok(());
    };
    if alert.pushed_at.is_some() {
        return Ok(());
    }
    let Some(url) = organization
        .settings
        .get("alerts")
        .and_then(|a| a.get("webhookUrl"))
        .and_then(|u| u.as_str())
        .map(str::to_owned)
    else {
        return Ok(());
    };
    let body = serde_json::to_vec(&push_body(&alert)).map_err(Error::internal)?;
    let now = services.clock.now();
    let mut request = crate::outgoing::client(PUSH_TIMEOUT)
        .map_err(|e| Error::internal(format!("alert webhook client: {e}")))?
        .post(&url)
        .header("content-type", "application/json")
        .header("x-austa-alert-id", alert.id.to_string());
    if let Some(secret) = super::organizations::alert_secret(&ring, &organization)? {
        use secrecy::ExposeSecret;
        request = request.header(
            "x-austa-signature",
            signature(secret.expose_secret().as_bytes(), now.unix_timestamp(), &body)?,
        );
    }
    let response = request
        .body(body)
        .send()
        .await
        .map_err(|e| Error::internal(format!("alert webhook unreachable: {}", e.without_url())))?;
    if !response.status().is_success() {
        return Err(Error::internal(format!(
            "alert webhook answered {}",
            response.status()
        )));
    }
    crate::transact!(services, &actor, TxMode::Write, |work| {
        if let Some(mut a) = work.tx().find_for_update::<Alert>(id).await? {
            a.pushed_at = Some(now);
            a.updated_at = now;
            work.tx().update(&a).await?;
        }
        Ok(())
    })
}
