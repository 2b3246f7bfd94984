//! A unit of work: one transaction in the actor's tenant scope, and the audit entries it produced,
//! appended to the audit chain in that same transaction just before it commits (so the chain head is
//! locked for the shortest time, and an audit failure undoes the change).

use austa_store::{Tx, TxMode};

use crate::audit::AuditEvent;
use crate::context::{Actor, Services};
use crate::error::Result;

pub struct Work<'s> {
    pub services: &'s Services,
    pub actor: Actor,
    tx: Box<dyn Tx>,
    mode: TxMode,
    events: Vec<AuditEvent>,
}

impl<'s> Work<'s> {
    /// The scope comes from the actor's principal, never from anywhere else.
    pub async fn begin(services: &'s Services, actor: &Actor, mode: TxMode) -> Result<Self> {
        let tx = services.store.begin(actor.principal.scope(), mode).await?;
        Ok(Self {
            services,
            actor: actor.clone(),
            tx,
            mode,
            events: Vec::new(),
        })
    }

    pub fn tx(&mut self) -> &mut dyn Tx {
        self.tx.as_mut()
    }

    pub fn record(&mut self, event: AuditEvent) {
        self.events.push(event);
    }

    /// Appends the audit entries, then commits. Nothing is committed if the audit append fails.
    /// A read's entries go through the group-commit sink once its read transaction has ended; this
    /// returns (and the caller may answer) only when they are durable.
    pub async fn commit(mut self) -> Result<()> {
        if self.mode == TxMode::Read {
            let events = std::mem::take(&mut self.events);
            self.tx.commit().await?;
            return self.services.audit_sink.record(&self.actor, events).await;
        }
        if !self.events.is_empty() {
            let events = std::mem::take(&mut self.events);
            self.services
                .audit
                .append(self.tx.as_mut(), &self.actor, events, self.services.clock.now())
                .await?;
        }
        self.tx.commit().await?;
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

impl Work<'_> {
    /// Ends the work with the outcome of what ran in it: commits on success; on failure rolls back, and
    /// records a denial's audit entry in a transaction of its own (the failed work's is gone by then).
    pub async fn finish<T>(self, outcome: Result<T>) -> Result<T> {
        match outcome {
            Ok(value) => {
                self.commit().await?;
                Ok(value)
            }
            Err(error) => {
                let services = self.services;
                let actor = self.actor.clone();
                let _ = self.rollback().await;
                if let crate::error::Error::Denied { event, .. } = &error {
                    services
                        .audit_sink
                        .record(&actor, vec![(**event).clone()])
                        .await?;
                }
                Err(error)
            }
        }
    }
}

/// Runs a body in a unit of work (see [`Work::finish`]): `transact!(services, &actor, mode, |work| body)`
/// where `work: &mut Work` and `body` evaluates to a `Result`. A macro rather than a function taking
/// an async closure, so the futures stay `Send` for axum.
#[macro_export]
macro_rules! transact {
    ($services:expr, $actor:expr, $mode:expr, |$work:ident| $body:expr) => {
        async {
            let mut owned = $crate::work::Work::begin($services, $actor, $mode).await?;
            let outcome = {
                let $work = &mut owned;
                async move { $body }.await
            };
            owned.finish(outcome).await
        }
        .await
    };
}
