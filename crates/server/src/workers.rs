//! Background work of `austa serve`: processing queued jobs (WhatsApp notifications, the assistant),
//! sending medication reminders, signing audit checkpoints, re-encrypting after key rotations, and
//! deleting the security records that have outlived their retention.
//! Each loop survives its own errors (logged, retried next round) and stops on shutdown.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::audit::checkpoint;
use crate::context::Services;
use crate::keys::rotation;

pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(60);
/// Authorizations whose senha lapsed, or left unanswered too long, expire; those near or past
/// their deadline raise an alert (each once).
pub const EXPIRY_INTERVAL: Duration = Duration::from_secs(300);
/// Medication reminders are due to the minute.
pub const REMINDER_INTERVAL: Duration = Duration::from_secs(30);
pub const ROTATION_INTERVAL: Duration = Duration::from_secs(5);
/// Expired sessions, login attempts and codes, and old idempotent responses are deleted hourly
/// (`service/retention.rs`); the first round runs at start.
pub const RETENTION_INTERVAL: Duration = Duration::from_secs(3600);
/// How often an idle worker looks for queued jobs.
pub const JOB_POLL_INTERVAL: Duration = Duration::from_millis(250);
const ROTATION_BATCH: u32 = 200;

pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Signals the loops to stop and waits for the round in progress to finish.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

pub fn spawn(services: Arc<Services>) -> Workers {
    let (stop, stopped) = watch::channel(false);
    let worker = format!("austa-{}-{}", std::process::id(), uuid::Uuid::now_v7().simple());
    let loop_of = |interval| Loop {
        services: services.clone(),
        interval,
        stopped: stopped.clone(),
    };
    let tasks = vec![
        loop_of(CHECKPOINT_INTERVAL).spawn(|services| async move {
            match checkpoint::sign_new(&services, None).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(checkpoints = n, "audit checkpoints signed"),
                Err(e) => tracing::error!(error = %e, "signing audit checkpoints failed"),
            }
        }),
        loop_of(JOB_POLL_INTERVAL).spawn(move |services| {
            let worker = worker.clone();
            async move {
                // Drain what is waiting, then sleep until the next poll.
                loop {
                    match crate::job_handlers::run_pending(&services, &worker, 20).await {
                        Ok(0) => break,
                        Ok(_) => continue,
                        Err(e) => {
                            tracing::error!(error = %e, "processing queued jobs failed");
                            break;
                        }
                    }
                }
            }
        }),
        loop_of(REMINDER_INTERVAL).spawn(|services| async move {
            match crate::service::reminders::send_due(&services).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(doses = n, "medication reminders sent"),
                Err(e) => tracing::error!(error = %e, "sending medication reminders failed"),
            }
        }),
        loop_of(EXPIRY_INTERVAL).spawn(|services| async move {
            match crate::service::authorizations::expire_due(&services).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(authorizations = n, "authorizations expired"),
                Err(e) => tracing::error!(error = %e, "expiring authorizations failed"),
            }
            match crate::service::authorizations::warn_deadlines(&services).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(alerts = n, "authorization deadline alerts raised"),
                Err(e) => tracing::error!(error = %e, "authorization deadline alerts failed"),
            }
        }),
        loop_of(RETENTION_INTERVAL).spawn(|services| async move {
            match crate::service::retention::purge_expired(&services).await {
                Ok(purged) if purged.total() == 0 => {}
                Ok(purged) => tracing::info!(
                    sessions = purged.sessions,
                    login_attempts = purged.login_attempts,
                    login_codes = purged.login_codes,
                    idempotent_responses = purged.idempotent_responses,
                    "expired security records deleted"
                ),
                Err(e) => tracing::error!(error = %e, "deleting expired security records failed"),
            }
        }),
        loop_of(ROTATION_INTERVAL).spawn(|services| async move {
            if let Err(e) = rotation_round(&services).await {
                tracing::error!(error = %e, "key rotation round failed");
            }
        }),
    ];
    Workers { stop, tasks }
}

/// One background loop: a round every `interval`, on the shared services, until shutdown.
struct Loop {
    services: Arc<Services>,
    interval: Duration,
    stopped: watch::Receiver<bool>,
}

impl Loop {
    fn spawn<F, Fut>(self, round: F) -> JoinHandle<()>
    where
        F: Fn(Arc<Services>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let Loop {
            services,
            interval,
            stopped,
        } = self;
        tokio::spawn(every(interval, stopped, move || round(services.clone())))
    }
}

async fn rotation_round(services: &Services) -> crate::error::Result<()> {
    for org in rotation::pending(services).await? {
        let rewritten = rotation::run(services, org, ROTATION_BATCH).await?;
        if rewritten > 0 {
            tracing::info!(organization = %org, values = rewritten, "re-encrypted under the new key version");
        }
        let retired = rotation::retire_unused(services, org).await?;
        if !retired.is_empty() {
            tracing::info!(organization = %org, versions = ?retired, "retired old key versions");
        }
    }
    Ok(())
}

async fn every<F, Fut>(interval: Duration, mut stopped: watch::Receiver<bool>, mut round: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    loop {
        round().await;
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stopped.changed() => return,
        }
    }
}
