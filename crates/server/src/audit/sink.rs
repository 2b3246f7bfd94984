//! Group commit of the audit entries of reads. A read runs in a read transaction (concurrent on both
//! backends); its entries go to one writer task that appends everything waiting in a single write
//! transaction and then answers each request. The request returns its data only after that answer:
//! the read is recorded before the data leaves, and fails if the recording fails. Writes keep
//! appending inside their own transaction (see `work.rs`).

use std::sync::Arc;

use austa_crypto::MasterKey;
use austa_domain::Principal;
use austa_store::{Store, TxMode};
use tokio::sync::{mpsc, oneshot};

use super::{AuditChains, AuditEvent};
use crate::context::{Actor, Clock};
use crate::error::{Error, Result};

/// Appends per transaction at most; more wait for the next one.
const BATCH: usize = 256;

struct Pending {
    actor: Actor,
    events: Vec<AuditEvent>,
    done: oneshot::Sender<Result<(), String>>,
}

#[derive(Clone)]
pub struct AuditSink {
    queue: mpsc::Sender<Pending>,
}

impl std::fmt::Debug for AuditSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditSink")
    }
}

impl AuditSink {
    /// Starts the writer task (inside a Tokio runtime).
    pub fn start(
        store: Arc<dyn Store>,
        master: &MasterKey,
        clock: Clock,
        appended: prometheus_client::metrics::counter::Counter,
    ) -> Self {
        let (queue, receiver) = mpsc::channel(4 * BATCH);
        tokio::spawn(writer(
            store,
            AuditChains::new(master).counting(appended),
            clock,
            receiver,
        ));
        Self { queue }
    }

    /// Records `events` durably; returns once they are committed.
    pub async fn record(&self, actor: &Actor, events: Vec<AuditEvent>) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let (done, answer) = oneshot::channel();
        self.queue
            .send(Pending {
                actor: actor.clone(),
                events,
                done,
            })
            .await
            .map_err(|_| Error::internal("the audit writer has stopped"))?;
        answer
            .await
            .map_err(|_| Error::internal("the audit writer has stopped"))?
            .map_err(|e| Error::Internal(format!("audit append failed: {e}")))
    }
}

async fn writer(
    store: Arc<dyn Store>,
    chains: AuditChains,
    clock: Clock,
    mut receiver: mpsc::Receiver<Pending>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    while receiver.recv_many(&mut batch, BATCH).await > 0 {
        // Let the tasks ready to run go first: requests that are finishing their reads join this
        // batch rather than the next commit. Each commit rewrites whole pages of the audit table
        // and its indexes, so a larger batch writes fewer bytes per entry; with nothing else to
        // run, the yield returns at once.
        tokio::task::yield_now().await;
        while batch.len() < BATCH {
            match receiver.try_recv() {
                Ok(pending) => batch.push(pending),
                Err(_) => break,
            }
        }
        let outcome = append_all(store.as_ref(), &chains, &clock, &batch).await;
        match outcome {
            Ok(()) => {
                for pending in batch.drain(..) {
                    let _ = pending.done.send(Ok(()));
                }
            }
            // One bad entry must not fail its neighbours: retry each alone.
            Err(_) => {
                for pending in batch.drain(..) {
                    let alone =
                        append_all(store.as_ref(), &chains, &clock, std::slice::from_ref(&pending)).await;
                    let _ = pending.done.send(alone.map_err(|e| e.to_string()));
                }
            }
        }
    }
}

async fn append_all(store: &dyn Store, chains: &AuditChains, clock: &Clock, batch: &[Pending]) -> Result<()> {
    // The platform scope: one transaction carries the entries of several organizations.
    let mut tx = store.begin(Principal::system().scope(), TxMode::Write).await?;
    // One append for the whole batch: each organization's chain head is locked and advanced once.
    let events = batch
        .iter()
        .flat_map(|pending| pending.events.iter().map(|e| (&pending.actor, e.clone())))
        .collect();
    chains.append_many(tx.as_mut(), events, clock.now()).await?;
    tx.commit().await?;
    Ok(())
}
