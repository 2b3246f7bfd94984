//! The consent trail: appended, never edited; the latest row per patient and kind is the current
//! answer. A patient without a row has not withdrawn anything.

use austa_domain::enums::{AuditAction, ConsentChannel, ConsentKind, ConsentSource};
use austa_domain::ids::{ConsentId, MessageId, UserId};
use austa_domain::{EntityId, Vocabulary};
use austa_store::model::Consent;
use austa_store::{ListQuery, Value};
use time::OffsetDateTime;

use crate::audit::AuditEvent;
use crate::error::Result;
use crate::work::Work;

/// The current answer, if the patient ever gave one.
pub async fn current(work: &mut Work<'_>, user: UserId, kind: ConsentKind) -> Result<Option<bool>> {
    let latest = work
        .tx()
        .list::<Consent>(
            &ListQuery::first(1)
                .newest_first()
                .filter("user_id", Value::Uuid(user.as_uuid()))
                .filter("kind", Value::Text(kind.as_str().into())),
        )
        .await?;
    Ok(latest.items.first().map(|c| c.granted))
}

/// One answer of a patient to a consent question.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    pub kind: ConsentKind,
    pub granted: bool,
    pub source: ConsentSource,
    pub channel: ConsentChannel,
    /// The version of the text the patient answered, when there was one.
    pub terms_version: Option<&'a str>,
    /// The message that carried the answer.
    pub message: Option<MessageId>,
    pub at: OffsetDateTime,
}

/// Appends a grant or withdrawal (with its audit entry) in the work's transaction.
pub async fn record(work: &mut Work<'_>, user: UserId, answer: Answer<'_>) -> Result<Consent> {
    let Answer {
        kind,
        granted,
        source,
        channel,
        terms_version,
        message,
        at,
    } = answer;
    let organization = match work.actor.principal.organization() {
        Some(org) => org,
        None => {
            return Err(crate::error::Error::internal(
                "a consent belongs to an organization",
            ));
        }
    };
    let row = Consent {
        id: ConsentId::generate(),
        organization_id: organization,
        user_id: user,
        kind,
        granted,
        source,
        message_id: message,
        recorded_at: at,
        created_at: at,
        terms_version: terms_version.map(str::to_owned),
        channel: Some(channel),
    };
    let created = work.tx().create(&row).await?;
    work.record(
        AuditEvent::personal(AuditAction::ConsentChange, "consents", Some(row.id.as_uuid()))
            .related("patientId", user.as_uuid())
            .detail("kind", kind.as_str())
            .detail("granted", granted)
            .detail("source", source.as_str())
            .detail("channel", channel.as_str())
            .detail("termsVersion", terms_version.unwrap_or("")),
    );
    Ok(created)
}
