//! Signed checkpoints: every chain that grew since its last checkpoint gets a new one, signed with the
//! Ed25519 key derived from the master key. The serve process does this periodically.

use austa_crypto::audit_chain::Checkpoint;
use austa_domain::ids::{AuditCheckpointId, OrganizationId};
use austa_domain::{EntityId, Principal};
use austa_store::model::{AuditChainHead, AuditCheckpoint};
use austa_store::{ListQuery, TxMode, Value};

use crate::context::Services;
use crate::error::{Error, Result};

/// Signs a checkpoint for each chain (of `org`, or all) whose head moved; returns how many.
pub async fn sign_new(services: &Services, org: Option<OrganizationId>) -> Result<usize> {
    let principal = org.map_or_else(Principal::system, Principal::system_for);
    let mut tx = services.store.begin(principal.scope(), TxMode::Write).await?;
    let now = services.clock.now();
    let mut signed = 0;
    let mut after = None;
    loop {
        let page = tx
            .list::<AuditChainHead>(&ListQuery::first(ListQuery::MAX_LIMIT).after(after))
            .await?;
        for head in &page.items {
            if head.seq == 0 {
                continue;
            }
            let latest = tx
                .list::<AuditCheckpoint>(
                    &ListQuery::first(1)
                        .newest_first()
                        .filter("chain_id", Value::Text(head.chain_id.clone())),
                )
                .await?;
            if latest.items.first().is_some_and(|c| c.seq >= head.seq) {
                continue;
            }
            let head_mac: [u8; 32] = head
                .head_mac
                .as_slice()
                .try_into()
                .map_err(|_| Error::internal("audit chain head holds a malformed MAC"))?;
            let checkpoint = Checkpoint {
                chain: head.chain_id.clone(),
                seq: head.seq,
                head_mac,
                signed_at_unix: now.unix_timestamp(),
            };
            let signature = services.audit.signer().sign(&checkpoint);
            tx.create(&AuditCheckpoint {
                id: AuditCheckpointId::generate(),
                organization_id: head.organization_id,
                chain_id: head.chain_id.clone(),
                seq: head.seq,
                head_mac: head.head_mac.clone(),
                signature: signature.to_vec(),
                signed_at: now,
            })
            .await?;
            signed += 1;
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    tx.commit().await?;
    Ok(signed)
}
