//! The durable job queue: every background task (webhook processing, media, sending, analysis…) is a
//! row of `jobs`. At-least-once: a worker claims jobs under a lease; a job whose worker died is claimed
//! again when its lease ends; failures are retried with exponential backoff until `max_attempts`,
//! then kept as DEAD for inspection. On PostgreSQL claims use `FOR UPDATE SKIP LOCKED`, so several
//! `austa serve` processes share the queue without taking the same job; handlers are idempotent.

use austa_domain::enums::JobStatus;
use austa_domain::ids::{JobId, OrganizationId};
use austa_domain::{EntityId, Principal, Vocabulary};
use austa_store::model::Job;
use austa_store::{Cmp, ListQuery, StoreError, Tx, TxMode, Value};
use time::{Duration, OffsetDateTime};

use crate::context::Services;
use crate::error::{Error, Result};

/// How long a claimed job belongs to its worker before another may take it (default of
/// `AUSTA_JOB_LEASE_SECONDS`).
pub const LEASE: Duration = Duration::seconds(60);
pub const DEFAULT_MAX_ATTEMPTS: i64 = 10;
/// First retry after this long, doubling up to [`MAX_BACKOFF`].
pub const BASE_BACKOFF: Duration = Duration::seconds(5);
pub const MAX_BACKOFF: Duration = Duration::hours(1);

/// A job to enqueue.
pub struct NewJob<'a> {
    pub organization: Option<OrganizationId>,
    pub kind: &'a str,
    pub payload: serde_json::Value,
    /// The same key for the same work: enqueueing it again keeps the first job.
    pub dedupe_key: Option<String>,
    pub run_at: Option<OffsetDateTime>,
}

/// Adds a job in `tx` (with the change that calls for it: both commit or neither).
pub async fn enqueue(tx: &mut dyn Tx, job: NewJob<'_>, now: OffsetDateTime) -> Result<Job> {
    if let Some(key) = &job.dedupe_key {
        let existing = tx
            .list::<Job>(
                &ListQuery::first(1)
                    .filter("kind", Value::Text(job.kind.to_owned()))
                    .filter("dedupe_key", Value::Text(key.clone())),
            )
            .await?;
        if let Some(found) = existing.items.into_iter().next() {
            return Ok(found);
        }
    }
    let row = Job {
        id: JobId::generate(),
        organization_id: job.organization,
        kind: job.kind.to_owned(),
        payload: job.payload,
        status: JobStatus::Pending,
        attempts: 0,
        max_attempts: DEFAULT_MAX_ATTEMPTS,
        run_at: job.run_at.unwrap_or(now),
        locked_until: None,
        locked_by: None,
        last_error: None,
        dedupe_key: job.dedupe_key,
        finished_at: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    tx.create(&row).await.map_err(|e| match e {
        StoreError::UniqueViolation { .. } => {
            Error::conflict("job_exists", "the same job was enqueued concurrently")
        }
        other => other.into(),
    })
}

/// Claims up to `limit` runnable jobs of `kinds` for `worker`: due pending jobs, and running jobs
/// whose lease has ended.
pub async fn claim(services: &Services, worker: &str, kinds: &[&str], limit: u32) -> Result<Vec<Job>> {
    let now = services.clock.now();
    let kinds: Vec<Value> = kinds.iter().map(|k| Value::Text((*k).to_owned())).collect();
    let mut tx = services
        .store
        .begin(Principal::system().scope(), TxMode::Write)
        .await?;
    let mut claimed = Vec::new();
    let due = tx
        .list::<Job>(
            &ListQuery::first(limit)
                .filter("status", Value::Text(JobStatus::Pending.as_str().into()))
                .compare("run_at", Cmp::Le, Value::Time(now))
                .any_of("kind", kinds.clone())
                .skip_locked(),
        )
        .await?
        .items;
    let remaining = limit.saturating_sub(due.len() as u32);
    let abandoned = if remaining > 0 {
        tx.list::<Job>(
            &ListQuery::first(remaining)
                .filter("status", Value::Text(JobStatus::Running.as_str().into()))
                .compare("locked_until", Cmp::Lt, Value::Time(now))
                .any_of("kind", kinds)
                .skip_locked(),
        )
        .await?
        .items
    } else {
        Vec::new()
    };
    for job in due.into_iter().chain(abandoned) {
        let running = Job {
            status: JobStatus::Running,
            attempts: job.attempts + 1,
            locked_until: Some(now + services.job_lease),
            locked_by: Some(worker.to_owned()),
            updated_at: now,
            ..job
        };
        claimed.push(tx.update(&running).await?);
    }
    tx.commit().await?;
    Ok(claimed)
}

/// Marks a claimed job done (only if this worker still holds it).
pub async fn complete(services: &Services, job: &Job) -> Result<bool> {
    finish(services, job, |mut j, now| {
        j.status = JobStatus::Done;
        j.finished_at = Some(now);
        j.locked_until = None;
        j.last_error = None;
        j
    })
    .await
}

/// Records a failure: retried after a backoff, or DEAD once its attempts are spent.
pub async fn fail(services: &Services, job: &Job, error: &str) -> Result<bool> {
    let message: String = error.chars().take(1000).collect();
    finish(services, job, move |mut j, now| {
        j.last_error = Some(message);
        j.locked_until = None;
        if j.attempts >= j.max_attempts {
            j.status = JobStatus::Dead;
            j.finished_at = Some(now);
        } else {
            j.status = JobStatus::Pending;
            j.run_at = now + backoff(j.attempts);
        }
        j
    })
    .await
}

/// Puts a claimed job back to run at `at` without counting the attempt (a rate limit, not a failure).
pub async fn defer(services: &Services, job: &Job, at: OffsetDateTime) -> Result<bool> {
    finish(services, job, move |mut j, _| {
        j.status = JobStatus::Pending;
        j.run_at = at;
        j.attempts = (j.attempts - 1).max(0);
        j.locked_until = None;
        j
    })
    .await
}

/// `BASE_BACKOFF × 2^(attempts−1)`, at most `MAX_BACKOFF`.
pub fn backoff(attempts: i64) -> Duration {
    let exponent = attempts.saturating_sub(1).clamp(0, 20) as u32;
    let delay = BASE_BACKOFF * 2i32.saturating_pow(exponent);
    if delay > MAX_BACKOFF { MAX_BACKOFF } else { delay }
}

async fn finish(
    services: &Services,
    job: &Job,
    change: impl FnOnce(Job, OffsetDateTime) -> Job,
) -> Result<bool> {
    let now = services.clock.now();
    let mut tx = services
        .store
        .begin(Principal::system().scope(), TxMode::Write)
        .await?;
    let Some(current) = tx.find_for_update::<Job>(job.id).await? else {
        tx.rollback().await?;
        return Ok(false);
    };
    // A worker whose lease ran out and whose job was taken by another must not overwrite it.
    if current.status != JobStatus::Running
        || current.locked_by != job.locked_by
        || current.attempts != job.attempts
    {
        tx.rollback().await?;
        return Ok(false);
    }
    let mut updated = change(current, now);
    updated.updated_at = now;
    tx.update(&updated).await?;
    tx.commit().await?;
    Ok(true)
}

/// The job with this id, for inspection (platform scope).
pub async fn get(services: &Services, id: JobId) -> Result<Option<Job>> {
    let mut tx = services
        .store
        .begin(Principal::system().scope(), TxMode::Read)
        .await?;
    let job = tx.find::<Job>(id).await?;
    tx.rollback().await?;
    Ok(job)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::seconds(5));
        assert_eq!(backoff(2), Duration::seconds(10));
        assert_eq!(backoff(4), Duration::seconds(40));
        assert_eq!(backoff(30), MAX_BACKOFF);
        assert_eq!(backoff(0), Duration::seconds(5));
    }
}
