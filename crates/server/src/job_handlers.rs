//! What each kind of queued job does. Workers claim jobs of these kinds and dispatch here; every
//! handler is idempotent (the queue is at-least-once).

use austa_domain::EntityId;
use austa_domain::ids::{AlertId, MessageId, OrganizationId, WebhookDeliveryId};
use austa_store::model::Job;

use crate::context::Services;
use crate::error::{Error, Result};
use crate::service::{alerts, assistant, documents, inbound, media, outbound, webhooks};

pub const KINDS: &[&str] = &[
    webhooks::PROCESS_JOB,
    media::MEDIA_JOB,
    outbound::SEND_JOB,
    outbound::MARK_READ_JOB,
    assistant::ANALYZE_JOB,
    alerts::PUSH_JOB,
    documents::OCR_JOB,
];

fn id_of<I: EntityId>(job: &Job, field: &str) -> Result<I> {
    job.payload
        .get(field)
        .and_then(|v| v.as_str())
        .and_then(|v| v.parse::<uuid::Uuid>().ok())
        .map(I::from_uuid)
        .ok_or_else(|| Error::internal(format!("job {} has no {field}", job.id)))
}

/// `Ok(Some(at))`: the job must wait until `at` (a rate limit), not counted as a failure.
pub async fn handle(services: &Services, job: &Job) -> Result<Option<time::OffsetDateTime>> {
    match job.kind.as_str() {
        webhooks::PROCESS_JOB => {
            inbound::process(services, id_of::<WebhookDeliveryId>(job, "deliveryId")?).await?;
        }
        media::MEDIA_JOB => {
            let org: OrganizationId = id_of(job, "organizationId")?;
            media::download(services, org, id_of::<MessageId>(job, "messageId")?).await?;
        }
        outbound::SEND_JOB => {
            let org: OrganizationId = id_of(job, "organizationId")?;
            return outbound::send(services, org, id_of::<MessageId>(job, "messageId")?).await;
        }
        outbound::MARK_READ_JOB => {
            let org: OrganizationId = id_of(job, "organizationId")?;
            let typing = job
                .payload
                .get("typing")
                .and_then(|t| t.as_bool())
                .unwrap_or(false);
            outbound::send_read(services, org, id_of::<MessageId>(job, "messageId")?, typing).await?;
        }
        assistant::ANALYZE_JOB => {
            let org: OrganizationId = id_of(job, "organizationId")?;
            assistant::handle(services, org, id_of::<MessageId>(job, "messageId")?).await?;
        }
        alerts::PUSH_JOB => {
            let org: OrganizationId = id_of(job, "organizationId")?;
            alerts::push(services, org, id_of::<AlertId>(job, "alertId")?).await?;
        }
        documents::OCR_JOB => {
            let org: OrganizationId = id_of(job, "organizationId")?;
            documents::ocr(
                services,
                org,
                id_of::<austa_domain::ids::DocumentId>(job, "documentId")?,
            )
            .await?;
        }
        other => return Err(Error::internal(format!("no handler for jobs of kind {other}"))),
    }
    Ok(None)
}

/// Claims and runs up to `limit` jobs; returns how many were claimed.
pub async fn run_pending(services: &Services, worker: &str, limit: u32) -> Result<usize> {
    let claimed = crate::jobs::claim(services, worker, KINDS, limit).await?;
    let count = claimed.len();
    for job in claimed {
        match handle(services, &job).await {
            Ok(None) => {
                crate::jobs::complete(services, &job).await?;
            }
            Ok(Some(at)) => {
                crate::jobs::defer(services, &job, at).await?;
            }
            Err(e) => {
                tracing::warn!(job = %job.id, kind = %job.kind, error = %e, "job failed; will retry");
                crate::jobs::fail(services, &job, &e.to_string()).await?;
            }
        }
    }
    Ok(count)
}
