//! Appending to the audit chain. Each organization has [`SHARDS`] chains; a unit of work appends all
//! its entries to one of them, chosen at random, after locking that chain's head row. Concurrent
//! requests of one organization therefore rarely wait for each other (see `docs/security.md`), yet
//! every chain is a strict sequence: `seq` without gaps, each MAC covering the previous one.

use austa_crypto::audit_chain::{self, CanonicalEntry, CheckpointSigner, MAC_LEN};
use austa_crypto::{MasterKey, SecretKey, random};
use austa_domain::EntityId;
use austa_domain::enums::Vocabulary;
use austa_domain::ids::{AuditChainHeadId, AuditLogId, OrganizationId};
use austa_store::Tx;
use austa_store::model::{AuditChainHead, AuditLog};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{AuditEvent, canonical_json};
use crate::context::Actor;
use crate::error::{Error, Result};

/// Events to append, each with the actor who caused it.
type Batch<'a> = Vec<(&'a Actor, AuditEvent)>;

/// Chains per organization: how many writers of one organization can append at the same time.
pub const SHARDS: u32 = 8;

pub struct AuditChains {
    master: MasterKey,
    signer: CheckpointSigner,
    appended: prometheus_client::metrics::counter::Counter,
}

impl std::fmt::Debug for AuditChains {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditChains")
    }
}

/// `<organization id>/<shard>`, or `platform/<shard>` for events of no organization.
pub fn chain_id(org: Option<OrganizationId>, shard: u32) -> String {
    match org {
        Some(org) => format!("{org}/{shard}"),
        None => format!("platform/{shard}"),
    }
}

/// Whose chain an id names: `Some(None)` for the platform's, `None` if the id is malformed.
pub fn chain_organization(chain_id: &str) -> Option<Option<OrganizationId>> {
    let (owner, shard) = chain_id.rsplit_once('/')?;
    let shard: u32 = shard.parse().ok()?;
    if shard >= SHARDS {
        return None;
    }
    match owner {
        "platform" => Some(None),
        id => id.parse::<OrganizationId>().ok().map(Some),
    }
}

/// Head rows have ids derived from the chain id, so an append finds and locks its head in one query.
pub fn head_id(chain_id: &str) -> AuditChainHeadId {
    let digest = Sha256::digest(chain_id.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    AuditChainHeadId::from_uuid(uuid::Builder::from_custom_bytes(bytes).into_uuid())
}

/// The bytes an entry's MAC covers: every field but the MAC and the position, in a fixed order. The
/// position needs no MAC of its own: each MAC covers the previous one, so the links fix the order, and
/// an entry moved elsewhere can be recognised by the predecessor it was written after.
pub fn canonical(entry: &AuditLog) -> CanonicalEntry {
    let uuid = |u: Option<Uuid>| u.map(|u| u.as_bytes().to_vec());
    CanonicalEntry::new()
        .field("id", entry.id.as_uuid().as_bytes())
        .optional(
            "organization_id",
            uuid(entry.organization_id.map(|o| o.as_uuid())).as_deref(),
        )
        .optional("actor_id", uuid(entry.actor_id).as_deref())
        .optional("actor_role", entry.actor_role.map(|r| r.as_str().as_bytes()))
        .field("action", entry.action.as_str().as_bytes())
        .field("entity_type", entry.entity_type.as_bytes())
        .optional("entity_id", uuid(entry.entity_id).as_deref())
        .optional("ip_address", entry.ip_address.as_deref().map(str::as_bytes))
        .optional("user_agent", entry.user_agent.as_deref().map(str::as_bytes))
        .field("risk_level", entry.risk_level.as_str().as_bytes())
        .field(
            "flags",
            &[
                entry.hipaa_relevant as u8,
                entry.lgpd_relevant as u8,
                entry.sensitive_data as u8,
                entry.requires_review as u8,
            ],
        )
        .field(
            "occurred_at",
            &entry.occurred_at.unix_timestamp_nanos().to_be_bytes(),
        )
        .field("related_ids", canonical_json(&entry.related_ids).as_bytes())
        .field("details", canonical_json(&entry.details).as_bytes())
        .optional("request_id", entry.request_id.as_deref().map(str::as_bytes))
        .optional("chain_id", entry.chain_id.as_deref().map(str::as_bytes))
}

impl AuditChains {
    pub fn new(master: &MasterKey) -> Self {
        Self {
            master: master.clone(),
            signer: master.audit_signing_key(),
            appended: Default::default(),
        }
    }

    /// Counts appended entries into `counter` (the `/metrics` one).
    pub fn counting(mut self, counter: prometheus_client::metrics::counter::Counter) -> Self {
        self.appended = counter;
        self
    }

    pub fn mac_key(&self, org: Option<OrganizationId>) -> SecretKey {
        self.master.audit_mac_key(org.map(|o| o.as_uuid()))
    }

    pub fn signer(&self) -> &CheckpointSigner {
        &self.signer
    }

    /// The empty heads of an organization's chains (or the platform's), in the transaction that
    /// creates the organization; existing heads are kept.
    pub async fn create_heads(
        &self,
        tx: &mut dyn Tx,
        org: Option<OrganizationId>,
        now: OffsetDateTime,
    ) -> Result<()> {
        for shard in 0..SHARDS {
            let chain = chain_id(org, shard);
            let id = head_id(&chain);
            if tx.find::<AuditChainHead>(id).await?.is_some() {
                continue;
            }
            tx.create(&AuditChainHead {
                id,
                organization_id: org,
                chain_id: chain,
                seq: 0,
                head_mac: audit_chain::GENESIS.to_vec(),
                created_at: now,
                updated_at: now,
                deleted_at: None,
            })
            .await?;
        }
        Ok(())
    }

    /// Writes `events` as chained audit rows in `tx`, which must be in the events' tenant scope.
    pub async fn append(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        events: Vec<AuditEvent>,
        now: OffsetDateTime,
    ) -> Result<()> {
        self.append_many(tx, events.into_iter().map(|e| (actor, e)).collect(), now)
            .await
    }

    /// Writes the events of several actors (a group commit): each organization's events go to one of
    /// its chains, whose head is locked and advanced once for all of them.
    pub async fn append_many(&self, tx: &mut dyn Tx, events: Batch<'_>, now: OffsetDateTime) -> Result<()> {
        // A member's events belong to the member's organization, whatever the event says.
        let mut groups: Vec<(Option<OrganizationId>, Batch<'_>)> = Vec::new();
        for (actor, event) in events {
            let org = actor.principal.organization().or(event.organization);
            match groups.iter_mut().find(|(o, _)| *o == org) {
                Some((_, list)) => list.push((actor, event)),
                None => groups.push((org, vec![(actor, event)])),
            }
        }
        for (org, events) in groups {
            let shard = random::below(SHARDS)?;
            self.append_to_chain(tx, org, &chain_id(org, shard), events, now)
                .await?;
        }
        Ok(())
    }

    async fn append_to_chain(
        &self,
        tx: &mut dyn Tx,
        org: Option<OrganizationId>,
        chain: &str,
        events: Batch<'_>,
        now: OffsetDateTime,
    ) -> Result<()> {
        let id = head_id(chain);
        let mut head = match tx.find_for_update::<AuditChainHead>(id).await? {
            Some(head) => head,
            // Heads are created with their organization (and the platform's at start-up), so this
            // is a chain nobody created: refuse rather than race another writer creating it.
            None => return Err(Error::internal(format!("audit chain {chain} has no head"))),
        };
        let key = self.mac_key(org);
        let mut previous: [u8; MAC_LEN] = head
            .head_mac
            .as_slice()
            .try_into()
            .map_err(|_| Error::internal("audit chain head holds a malformed MAC"))?;
        let mut entries = Vec::with_capacity(events.len());
        for (actor, event) in events {
            head.seq += 1;
            let mut entry = AuditLog {
                id: AuditLogId::generate(),
                organization_id: org,
                actor_id: actor.actor_id(),
                actor_role: Some(actor.role()),
                action: event.action,
                entity_type: event.entity_type.to_owned(),
                entity_id: event.entity_id,
                ip_address: actor.ip_address.clone(),
                user_agent: actor.user_agent.clone(),
                risk_level: event.risk,
                hipaa_relevant: event.hipaa_relevant,
                lgpd_relevant: event.lgpd_relevant,
                sensitive_data: event.sensitive_data,
                requires_review: event.requires_review,
                occurred_at: now,
                related_ids: serde_json::Value::Object(event.related),
                details: serde_json::Value::Object(event.details),
                request_id: actor.request_id.clone(),
                chain_id: Some(chain.to_owned()),
                chain_seq: Some(head.seq),
                entry_mac: None,
            };
            let mac = audit_chain::entry_mac(&key, &previous, &canonical(&entry));
            entry.entry_mac = Some(mac.to_vec());
            entries.push(entry);
            previous = mac;
        }
        tx.append_many(&entries).await?;
        self.appended.inc_by(entries.len() as u64);
        head.head_mac = previous.to_vec();
        head.updated_at = now;
        tx.update(&head).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_ids_round_trip() {
        let org = OrganizationId::generate();
        assert_eq!(chain_organization(&chain_id(Some(org), 3)), Some(Some(org)));
        assert_eq!(chain_organization(&chain_id(None, 0)), Some(None));
        assert!(chain_organization("nonsense").is_none());
        assert!(chain_organization(&format!("{org}/{SHARDS}")).is_none());
        assert_ne!(head_id(&chain_id(Some(org), 1)), head_id(&chain_id(Some(org), 2)));
        assert_eq!(head_id("platform/0"), head_id("platform/0"));
    }
}
