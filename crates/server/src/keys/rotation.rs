//! Key rotation. `rotate` makes a new data key version primary (new writes use it at once); the
//! re-encryption job then walks every encrypted column of the organization in batches, re-sealing
//! values of older versions and recomputing blind indexes, and saves its position after each batch so
//! it resumes where it stopped. A version is retired (its wrapped key destroyed) only once a full scan
//! finds no value that uses it and every process's cached key ring has expired.
//!
//! Encrypted columns are found by convention: `<name>_encrypted` holds ciphertext and, where the table
//! has it, `<name>_bidx` the blind index of the same plaintext (purpose `<name>`).

use austa_crypto::envelope::{DataKey, Field, KeyRing, key_version};
use austa_domain::enums::{AuditAction, KeyState, RiskLevel};
use austa_domain::ids::{EncryptionKeyId, OrganizationId};
use austa_domain::{EntityId, Principal};
use austa_store::model::{ALL_TABLES, EncryptionKey};
use austa_store::table::Mutability;
use austa_store::{ListQuery, TableDef, Tx, TxMode, Value};
use serde_json::json;
use time::Duration;
use uuid::Uuid;

use super::rings::{CACHE_TTL, live_keys};
use crate::audit::AuditEvent;
use crate::context::{Actor, Services};
use crate::error::{Error, Result};
use crate::work::Work;

/// Tables with encrypted columns, in a fixed order (the job's cursor walks them in this order).
pub fn encrypted_tables() -> impl Iterator<Item = &'static TableDef> {
    ALL_TABLES.iter().copied().filter(|t| {
        t.mutability == Mutability::Mutable && t.columns.iter().any(|c| c.name.ends_with("_encrypted"))
    })
}

/// Makes a new version primary; the previous primary stays readable. Returns the new version.
pub async fn rotate(services: &Services, org: OrganizationId) -> Result<u32> {
    let actor = Actor::system_for(org);
    let mut work = Work::begin(services, &actor, TxMode::Write).await?;
    let now = services.clock.now();
    let live = live_keys(work.tx(), org).await?;
    let newest = live.iter().map(|k| k.version).max().unwrap_or(0);
    let version = u32::try_from(newest + 1).map_err(|_| Error::internal("key version overflow"))?;
    for key in live.into_iter().filter(|k| k.state == KeyState::Primary) {
        let demoted = EncryptionKey {
            state: KeyState::Active,
            updated_at: now,
            ..key
        };
        work.tx().update(&demoted).await?;
    }
    let key = DataKey::generate(version)?;
    let wrapped = services.keys.wrap(&key, org)?;
    work.tx()
        .create(&EncryptionKey {
            id: EncryptionKeyId::generate(),
            organization_id: org,
            version: i64::from(version),
            state: KeyState::Primary,
            wrapped_key: Some(wrapped),
            rotation_cursor: json!({}),
            retired_at: None,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        })
        .await?;
    work.record(
        AuditEvent::new(AuditAction::KeyChange, "encryption_keys")
            .in_organization(org)
            .risk(RiskLevel::High)
            .detail("change", "rotate")
            .detail("primaryVersion", i64::from(version)),
    );
    work.commit().await?;
    services.keys.forget(org);
    Ok(version)
}

/// Organizations with a rotation in progress (a non-primary version still live).
pub async fn pending(services: &Services) -> Result<Vec<OrganizationId>> {
    let mut tx = services
        .store
        .begin(Principal::system().scope(), TxMode::Read)
        .await?;
    let query = ListQuery::first(ListQuery::MAX_LIMIT).filter("state", Value::Text("ACTIVE".into()));
    let mut orgs: Vec<OrganizationId> = tx
        .list::<EncryptionKey>(&query)
        .await?
        .items
        .iter()
        .map(|k| k.organization_id)
        .collect();
    tx.rollback().await?;
    orgs.sort();
    orgs.dedup();
    Ok(orgs)
}

/// What one step of the job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A batch was processed (`rewritten` values re-sealed); more may follow.
    Progress { rewritten: usize },
    /// Every table was scanned since the rotation.
    Scanned,
}

/// One batch of at most `batch` rows, in one transaction, resuming from the saved cursor.
pub async fn reencrypt_step(services: &Services, org: OrganizationId, batch: u32) -> Result<Step> {
    let mut tx = services
        .store
        .begin(Principal::system_for(org).scope(), TxMode::Write)
        .await?;
    // Locking the primary key row makes concurrent jobs for one organization take turns.
    let Some(primary_row) = live_keys(tx.as_mut(), org)
        .await?
        .into_iter()
        .find(|k| k.state == KeyState::Primary)
    else {
        return Err(Error::internal("the organization has no primary data key"));
    };
    let Some(mut primary_row) = tx.find_for_update::<EncryptionKey>(primary_row.id).await? else {
        return Err(Error::internal("the primary data key vanished"));
    };
    let cursor = &primary_row.rotation_cursor;
    if cursor.get("scanned").and_then(|v| v.as_bool()) == Some(true) {
        tx.rollback().await?;
        return Ok(Step::Scanned);
    }
    let table_name = cursor.get("table").and_then(|v| v.as_str()).map(str::to_owned);
    let after = cursor
        .get("after")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse::<Uuid>().ok());
    let mut tables = encrypted_tables().skip_while(|t| table_name.as_deref().is_some_and(|n| n != t.name));
    let Some(table) = tables.next() else {
        primary_row.rotation_cursor = json!({"scanned": true});
        tx.update(&primary_row).await?;
        tx.commit().await?;
        return Ok(Step::Scanned);
    };
    let ring = services.keys.reload(tx.as_mut(), org).await?;
    let page = tx.list_rows(table, &ListQuery::first(batch).after(after)).await?;
    let mut rewritten = 0;
    for row in &page.items {
        let Some(Value::Uuid(id)) = row.first() else {
            continue;
        };
        if !needs_rewrite(table, row, &ring)? {
            continue;
        }
        // Re-read under lock, so a concurrent edit is neither lost nor overwritten.
        let Some(fresh) = tx.lock_row(table, *id).await? else {
            continue;
        };
        if let Some(updated) = rewrite(table, fresh, &ring)? {
            tx.update_row(table, updated).await?;
            rewritten += 1;
        }
    }
    primary_row.rotation_cursor = match page.next {
        Some(next) => json!({"table": table.name, "after": next.to_string()}),
        None => match tables.next() {
            Some(next_table) => json!({"table": next_table.name}),
            None => json!({"scanned": true}),
        },
    };
    tx.update(&primary_row).await?;
    tx.commit().await?;
    Ok(Step::Progress { rewritten })
}

fn needs_rewrite(table: &TableDef, row: &[Value], ring: &KeyRing) -> Result<bool> {
    for (col, value) in table.columns.iter().zip(row) {
        if let (true, Value::Bytes(ciphertext)) = (col.name.ends_with("_encrypted"), value)
            && ring.is_stale(ciphertext)?
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The row with every stale value re-sealed under the primary version, or `None` if nothing was stale.
fn rewrite(table: &'static TableDef, mut row: Vec<Value>, ring: &KeyRing) -> Result<Option<Vec<Value>>> {
    let Some(Value::Uuid(id)) = row.first().cloned() else {
        return Ok(None);
    };
    let mut changed = false;
    for (index, col) in table.columns.iter().enumerate() {
        let Some(base) = col.name.strip_suffix("_encrypted") else {
            continue;
        };
        let Some(Value::Bytes(ciphertext)) = row.get(index) else {
            continue;
        };
        if !ring.is_stale(ciphertext)? {
            continue;
        }
        let field = Field::new(table.name, col.name);
        let plaintext = ring.decrypt(field, id, ciphertext)?;
        row[index] = Value::Bytes(ring.encrypt(field, id, &plaintext)?);
        if let Some((bidx, _)) = table
            .columns
            .iter()
            .enumerate()
            .find(|(_, c)| c.name.strip_suffix("_bidx") == Some(base))
        {
            row[bidx] = Value::Bytes(ring.blind_index(base, &plaintext)?);
        }
        changed = true;
    }
    Ok(changed.then_some(row))
}

/// Versions still used by some value of the organization (a read-only full scan).
pub async fn versions_in_use(tx: &mut dyn Tx) -> Result<std::collections::BTreeSet<u32>> {
    let mut used = std::collections::BTreeSet::new();
    for table in encrypted_tables() {
        let mut after = None;
        loop {
            let page = tx
                .list_rows(table, &ListQuery::first(ListQuery::MAX_LIMIT).after(after))
                .await?;
            for row in &page.items {
                for (col, value) in table.columns.iter().zip(row) {
                    if let (true, Value::Bytes(ciphertext)) = (col.name.ends_with("_encrypted"), value) {
                        used.insert(key_version(ciphertext)?);
                    }
                }
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
    }
    Ok(used)
}

/// Retires the non-primary versions no value uses, once the rotation is old enough that no process can
/// still hold a ring in which they were primary. Returns the versions retired.
pub async fn retire_unused(services: &Services, org: OrganizationId) -> Result<Vec<u32>> {
    let actor = Actor::system_for(org);
    let mut work = Work::begin(services, &actor, TxMode::Write).await?;
    let now = services.clock.now();
    let live = live_keys(work.tx(), org).await?;
    let Some(primary) = live.iter().find(|k| k.state == KeyState::Primary).cloned() else {
        return Err(Error::internal("the organization has no primary data key"));
    };
    let grace = Duration::try_from(CACHE_TTL * 2).unwrap_or(Duration::minutes(1));
    if primary.created_at + grace > now
        || primary.rotation_cursor.get("scanned").and_then(|v| v.as_bool()) != Some(true)
    {
        work.rollback().await?;
        return Ok(Vec::new());
    }
    let used = versions_in_use(work.tx()).await?;
    let mut retired = Vec::new();
    for key in live.into_iter().filter(|k| k.state == KeyState::Active) {
        let version = u32::try_from(key.version).map_err(|_| Error::internal("key version out of range"))?;
        if used.contains(&version) {
            continue;
        }
        work.tx()
            .update(&EncryptionKey {
                state: KeyState::Retired,
                wrapped_key: None,
                retired_at: Some(now),
                updated_at: now,
                ..key
            })
            .await?;
        work.record(
            AuditEvent::new(AuditAction::KeyChange, "encryption_keys")
                .in_organization(org)
                .risk(RiskLevel::High)
                .detail("change", "retire")
                .detail("retiredVersion", i64::from(version)),
        );
        retired.push(version);
    }
    if retired.is_empty() && !used.iter().all(|v| *v == primary.version as u32) {
        // Values of an old version appeared after the scan (a process with a stale ring): scan again.
        let mut rescan = primary.clone();
        rescan.rotation_cursor = json!({});
        rescan.updated_at = now;
        work.tx().update(&rescan).await?;
    }
    work.commit().await?;
    services.keys.forget(org);
    Ok(retired)
}

/// Runs the job for one organization until its scan is complete (the background worker's loop body).
pub async fn run(services: &Services, org: OrganizationId, batch: u32) -> Result<usize> {
    let mut total = 0;
    loop {
        match reencrypt_step(services, org, batch).await? {
            Step::Progress { rewritten } => total += rewritten,
            Step::Scanned => return Ok(total),
        }
    }
}
