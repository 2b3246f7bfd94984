//! Retention of the records that only serve a login or a retry: once they have served, they are
//! deleted for good (LGPD art. 15–16: when processing ends, the data is eliminated), after a margin
//! for looking into an incident. They hold addresses, user agents and hashes, never health data;
//! every login, logout and failure is in the audit log anyway, which is never purged. Health data
//! and documents follow the organization's retention years instead (`documents.rs`).

use austa_domain::Principal;
use austa_store::model::{IdempotencyKey, LoginAttempt, OtpChallenge, Session};
use austa_store::{Entity, TxMode};
use time::{Duration, OffsetDateTime};

use crate::context::Services;
use crate::error::Result;

/// Sessions are kept this long after they expire (which IP used a token, when it was last seen).
pub const SESSION_KEPT_AFTER_EXPIRY: Duration = Duration::days(30);
/// Login attempts are kept this long: far beyond the rate limits' window, for spotting an attack.
pub const LOGIN_ATTEMPTS_KEPT: Duration = Duration::days(30);
/// Login codes are kept this long after they expire.
pub const LOGIN_CODE_KEPT_AFTER_EXPIRY: Duration = Duration::days(1);
/// A stored response is replayed to retries with the same `Idempotency-Key` this long, then deleted.
pub const IDEMPOTENT_RESPONSE_KEPT: Duration = Duration::hours(24);

/// Rows deleted per transaction, so a large backlog never holds the write lock for long.
const BATCH: u32 = 500;

/// How many rows of each kind a purge deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub sessions: u64,
    pub login_attempts: u64,
    pub login_codes: u64,
    pub idempotent_responses: u64,
}

impl Purged {
    pub fn total(&self) -> u64 {
        self.sessions + self.login_attempts + self.login_codes + self.idempotent_responses
    }
}

/// Deletes, in every organization, what has outlived its retention as of the services' clock.
pub async fn purge_expired(services: &Services) -> Result<Purged> {
    let now = services.clock.now();
    Ok(Purged {
        sessions: purge::<Session>(services, "expires_at", now - SESSION_KEPT_AFTER_EXPIRY).await?,
        login_attempts: purge::<LoginAttempt>(services, "occurred_at", now - LOGIN_ATTEMPTS_KEPT).await?,
        login_codes: purge::<OtpChallenge>(services, "expires_at", now - LOGIN_CODE_KEPT_AFTER_EXPIRY)
            .await?,
        idempotent_responses: purge::<IdempotencyKey>(services, "created_at", now - IDEMPOTENT_RESPONSE_KEPT)
            .await?,
    })
}

async fn purge<E: Entity>(services: &Services, column: &str, before: OffsetDateTime) -> Result<u64> {
    let mut total = 0;
    loop {
        let mut tx = services
            .store
            .begin(Principal::system().scope(), TxMode::Write)
            .await?;
        let deleted = tx.purge::<E>(column, before, BATCH).await?;
        tx.commit().await?;
        total += deleted;
        if deleted < u64::from(BATCH) {
            return Ok(total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::auth;

    #[test]
    fn records_outlive_what_still_reads_them() {
        // The rate limits count failures and codes over a window: purging inside it would lift them.
        assert!(LOGIN_ATTEMPTS_KEPT > auth::FAILURE_WINDOW);
        assert!(LOGIN_CODE_KEPT_AFTER_EXPIRY > auth::FAILURE_WINDOW);
    }
}
