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
    let mut exported = Vec::new();
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
            let stored = tx
                .create(&AuditCheckpoint {
                    id: AuditCheckpointId::generate(),
                    organization_id: head.organization_id,
                    chain_id: head.chain_id.clone(),
                    seq: head.seq,
                    head_mac: head.head_mac.clone(),
                    signature: signature.to_vec(),
                    signed_at: now,
                })
                .await?;
            exported.push(stored);
            signed += 1;
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    tx.commit().await?;
    if let Some(path) = &services.checkpoint_log {
        append_to_log(path, &exported)?;
    }
    Ok(signed)
}

/// One JSON object per line: what `verify` needs to check a checkpoint without the database.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogLine {
    chain_id: String,
    seq: i64,
    head_mac: String,
    signed_at: i64,
    signature: String,
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    (0..text.len())
        .step_by(2)
        .map(|i| text.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// Appends (never rewrites) and syncs, so a checkpoint is on disk before signing is reported done.
fn append_to_log(path: &std::path::Path, checkpoints: &[AuditCheckpoint]) -> Result<()> {
    use std::io::Write;
    if checkpoints.is_empty() {
        return Ok(());
    }
    let mut text = String::new();
    for c in checkpoints {
        let line = LogLine {
            chain_id: c.chain_id.clone(),
            seq: c.seq,
            head_mac: austa_crypto::hex(&c.head_mac),
            signed_at: c.signed_at.unix_timestamp(),
            signature: austa_crypto::hex(&c.signature),
        };
        text.push_str(&serde_json::to_string(&line).map_err(Error::internal)?);
        text.push('\n');
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| Error::internal(format!("cannot open the checkpoint log {}: {e}", path.display())))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::internal(format!("cannot write the checkpoint log {}: {e}", path.display())))
}

/// The checkpoints of the log file, as rows (`id` and `organization_id` are not part of a signature).
pub fn read_log(path: &std::path::Path) -> Result<Vec<AuditCheckpoint>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(Error::internal(format!(
                "cannot read the checkpoint log {}: {e}",
                path.display()
            )));
        }
    };
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let bad = || {
            Error::internal(format!(
                "checkpoint log {} line {} is malformed",
                path.display(),
                n + 1
            ))
        };
        let parsed: LogLine = serde_json::from_str(line).map_err(|_| bad())?;
        out.push(AuditCheckpoint {
            id: AuditCheckpointId::from_uuid(uuid::Uuid::nil()),
            organization_id: None,
            chain_id: parsed.chain_id,
            seq: parsed.seq,
            head_mac: unhex(&parsed.head_mac).ok_or_else(bad)?,
            signature: unhex(&parsed.signature).ok_or_else(bad)?,
            signed_at: time::OffsetDateTime::from_unix_timestamp(parsed.signed_at).map_err(|_| bad())?,
        });
    }
    Ok(out)
}
