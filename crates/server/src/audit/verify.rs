//! `austa audit verify`: recomputes every chain's MACs and checks them against the signed checkpoints,
//! reporting the first entry that was modified, deleted, inserted or reordered.
//!
//! Each entry is checked against the stored MAC of its predecessor, so one modified entry is reported
//! as itself, not as the whole rest of the chain.

use std::collections::BTreeMap;

use austa_crypto::SecretKey;
use austa_crypto::audit_chain::{self, CheckpointVerifier, MAC_LEN};
use austa_domain::ids::OrganizationId;
use austa_domain::{EntityId, Principal};
use austa_store::model::{AuditChainHead, AuditCheckpoint, AuditLog};
use austa_store::{Entity, ListQuery, Tx, TxMode};
use serde::Serialize;
use uuid::Uuid;

use super::chain::{self, canonical};
use crate::context::Services;
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tampering {
    Modified,
    Deleted,
    Inserted,
    Reordered,
}

/// The first bad entry found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub chain_id: String,
    /// Position in the chain (the missing one, for a deletion).
    pub seq: Option<i64>,
    /// The audit row concerned, when there is one.
    pub entry_id: Option<Uuid>,
    pub kind: Tampering,
    pub explanation: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub intact: bool,
    pub chains: usize,
    pub entries: usize,
    pub checkpoints: usize,
    /// Hex of the Ed25519 public key the checkpoints were checked with.
    pub checkpoint_public_key: String,
    pub first_bad_entry: Option<Finding>,
}

/// Verifies every chain of `org` (or of the whole platform).
pub async fn verify(services: &Services, org: Option<OrganizationId>) -> Result<Report> {
    let principal = org.map_or_else(Principal::system, Principal::system_for);
    let mut tx = services.store.begin(principal.scope(), TxMode::Read).await?;
    let entries: Vec<AuditLog> = load_all(tx.as_mut()).await?;
    let heads: Vec<AuditChainHead> = load_all(tx.as_mut()).await?;
    let mut checkpoints: Vec<AuditCheckpoint> = load_all(tx.as_mut()).await?;
    tx.rollback().await?;
    // The copies outside the database: deleting checkpoints from it does not hide a truncation.
    if let Some(path) = &services.checkpoint_log {
        let chains_in_scope: Option<String> = org.map(|o| format!("{o}/"));
        for copy in super::checkpoint::read_log(path)? {
            let in_scope = chains_in_scope
                .as_deref()
                .is_none_or(|p| copy.chain_id.starts_with(p));
            let known = checkpoints
                .iter()
                .any(|c| c.chain_id == copy.chain_id && c.seq == copy.seq);
            if in_scope && !known {
                checkpoints.push(copy);
            }
        }
    }

    let verifier = services.audit.signer().verifier();
    let report = |finding: Option<Finding>, chains: usize| Report {
        intact: finding.is_none(),
        chains,
        entries: entries.len(),
        checkpoints: checkpoints.len(),
        checkpoint_public_key: austa_crypto::hex(&verifier.to_bytes()),
        first_bad_entry: finding,
    };

    // Rows outside any chain were written around the audit writer.
    let mut chains: BTreeMap<String, Vec<&AuditLog>> = BTreeMap::new();
    for entry in &entries {
        match (&entry.chain_id, entry.chain_seq, &entry.entry_mac) {
            (Some(chain_id), Some(_), Some(_))
                if chain::chain_organization(chain_id) == Some(entry.organization_id) =>
            {
                chains.entry(chain_id.clone()).or_default().push(entry);
            }
            _ => {
                let finding = Finding {
                    chain_id: entry.chain_id.clone().unwrap_or_default(),
                    seq: entry.chain_seq,
                    entry_id: Some(entry.id.as_uuid()),
                    kind: Tampering::Inserted,
                    explanation: "entry is not part of its organization's audit chain".into(),
                };
                return Ok(report(Some(finding), chains.len()));
            }
        }
    }
    for head in &heads {
        chains.entry(head.chain_id.clone()).or_default();
    }
    for checkpoint in &checkpoints {
        chains.entry(checkpoint.chain_id.clone()).or_default();
    }
    let chain_count = chains.len();
    for (chain_id, mut rows) in chains {
        rows.sort_by_key(|r| r.chain_seq);
        let org = chain::chain_organization(&chain_id).flatten();
        let key = services.audit.mac_key(org);
        let head = heads.iter().find(|h| h.chain_id == chain_id);
        let signed: Vec<&AuditCheckpoint> = checkpoints.iter().filter(|c| c.chain_id == chain_id).collect();
        if let Err(finding) = verify_chain(&chain_id, &rows, head, &signed, &key, &verifier) {
            return Ok(report(Some(finding), chain_count));
        }
    }
    Ok(report(None, chain_count))
}

async fn load_all<E: Entity>(tx: &mut dyn Tx) -> Result<Vec<E>> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = tx
            .list::<E>(&ListQuery::first(ListQuery::MAX_LIMIT).after(after))
            .await?;
        all.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(all),
        }
    }
}

fn mac_of(entry: &AuditLog) -> [u8; MAC_LEN] {
    entry
        .entry_mac
        .as_deref()
        .and_then(|m| m.try_into().ok())
        .unwrap_or([0xff; MAC_LEN])
}

/// One chain, rows sorted by `seq`. Pure: everything it needs is passed in.
pub fn verify_chain(
    chain_id: &str,
    rows: &[&AuditLog],
    head: Option<&AuditChainHead>,
    checkpoints: &[&AuditCheckpoint],
    key: &SecretKey,
    verifier: &CheckpointVerifier,
) -> Result<(), Finding> {
    let finding = |seq: Option<i64>, entry: Option<&AuditLog>, kind, explanation: String| Finding {
        chain_id: chain_id.to_owned(),
        seq,
        entry_id: entry.map(|e| e.id.as_uuid()),
        kind,
        explanation,
    };
    let mut previous = audit_chain::GENESIS;
    for (index, entry) in rows.iter().enumerate() {
        let expected = index as i64 + 1;
        let seq = entry.chain_seq.unwrap_or_default();
        if seq != expected {
            return Err(finding(
                Some(expected),
                None,
                Tampering::Deleted,
                format!("entry {expected} is missing (the next one present is {seq})"),
            ));
        }
        let computed = audit_chain::entry_mac(key, &previous, &canonical(entry));
        if computed != mac_of(entry) {
            // Was it written after another entry? Then it was moved: find that predecessor.
            let moved_from = std::iter::once((audit_chain::GENESIS, 0))
                .chain(rows.iter().map(|r| (mac_of(r), r.chain_seq.unwrap_or_default())))
                .filter(|(_, prev_seq)| prev_seq + 1 != seq)
                .find(|(prev, _)| audit_chain::entry_mac(key, prev, &canonical(entry)) == mac_of(entry))
                .map(|(_, prev_seq)| prev_seq + 1);
            return Err(match moved_from {
                Some(origin) => finding(
                    Some(seq),
                    Some(entry),
                    Tampering::Reordered,
                    format!(
                        "entry {seq} was written after the entry now at position {}",
                        origin - 1
                    ),
                ),
                None => finding(
                    Some(seq),
                    Some(entry),
                    Tampering::Modified,
                    format!("entry {seq} does not match its MAC"),
                ),
            });
        }
        previous = mac_of(entry);
    }
    let last = rows.len() as i64;
    if let Some(head) = head {
        if head.seq > last {
            return Err(finding(
                Some(last + 1),
                None,
                Tampering::Deleted,
                format!("the chain head records {} entries, {last} remain", head.seq),
            ));
        }
        if head.seq < last {
            return Err(finding(
                Some(head.seq + 1),
                rows.get(head.seq as usize).copied(),
                Tampering::Inserted,
                format!(
                    "entries after the head ({}) were added around the audit writer",
                    head.seq
                ),
            ));
        }
        if head.head_mac.as_slice() != previous.as_slice() {
            return Err(finding(
                Some(last),
                rows.last().copied(),
                Tampering::Modified,
                "the chain head does not match the last entry".into(),
            ));
        }
    }
    for checkpoint in checkpoints {
        let statement = audit_chain::Checkpoint {
            chain: checkpoint.chain_id.clone(),
            seq: checkpoint.seq,
            head_mac: checkpoint.head_mac.as_slice().try_into().unwrap_or([0; MAC_LEN]),
            signed_at_unix: checkpoint.signed_at.unix_timestamp(),
        };
        if verifier.verify(&statement, &checkpoint.signature).is_err() {
            return Err(finding(
                Some(checkpoint.seq),
                None,
                Tampering::Inserted,
                "a checkpoint's signature is not valid: it was not written by this platform".into(),
            ));
        }
        if checkpoint.seq > last {
            return Err(finding(
                Some(last + 1),
                None,
                Tampering::Deleted,
                format!(
                    "a signed checkpoint records {} entries, {last} remain (the chain was truncated)",
                    checkpoint.seq
                ),
            ));
        }
        if checkpoint.seq > 0 {
            let at = rows[checkpoint.seq as usize - 1];
            if mac_of(at).as_slice() != checkpoint.head_mac.as_slice() {
                return Err(finding(
                    Some(checkpoint.seq),
                    Some(at),
                    Tampering::Modified,
                    format!(
                        "the chain was rewritten up to entry {} since it was signed",
                        checkpoint.seq
                    ),
                ));
            }
        }
    }
    Ok(())
}
