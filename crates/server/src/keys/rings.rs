//! Each organization's data keys, unwrapped on first use and cached briefly. Rows say which version
//! sealed them, so a process whose cache predates a rotation still reads new rows: an unknown version
//! reloads the ring once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use austa_crypto::envelope::{DataKey, Field, KeyRing};
use austa_crypto::{CryptoError, MasterKey, SecretKey};
use austa_domain::enums::KeyState;
use austa_domain::ids::{EncryptionKeyId, OrganizationId};
use austa_domain::{EntityId, Vocabulary};
use austa_store::model::EncryptionKey;
use austa_store::{ListQuery, Tx, Value};
use time::OffsetDateTime;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// How long a process trusts its cached ring. Retiring a version waits at least twice this long after
/// the rotation, so no process can still be encrypting with it.
pub const CACHE_TTL: Duration = Duration::from_secs(30);

pub struct KeyRings {
    kek: SecretKey,
    cache: Mutex<HashMap<OrganizationId, (Arc<KeyRing>, Instant)>>,
}

impl std::fmt::Debug for KeyRings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyRings")
    }
}

impl KeyRings {
    pub fn new(master: &MasterKey) -> Self {
        Self {
            kek: master.key_encryption_key(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The first data key of a new organization (in the transaction that creates it).
    pub async fn create_first(
        &self,
        tx: &mut dyn Tx,
        org: OrganizationId,
        now: OffsetDateTime,
    ) -> Result<Arc<KeyRing>> {
        let key = DataKey::generate(1)?;
        tx.create(&EncryptionKey {
            id: EncryptionKeyId::generate(),
            organization_id: org,
            version: 1,
            state: KeyState::Primary,
            wrapped_key: Some(key.wrap(&self.kek, org.as_uuid())?),
            rotation_cursor: serde_json::json!({}),
            retired_at: None,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        })
        .await?;
        let ring = Arc::new(KeyRing::new(org.as_uuid(), vec![key], 1)?);
        self.remember(org, ring.clone());
        Ok(ring)
    }

    /// The organization's ring, from the cache or the database.
    pub async fn get(&self, tx: &mut dyn Tx, org: OrganizationId) -> Result<Arc<KeyRing>> {
        if let Some(ring) = self.cached(org) {
            return Ok(ring);
        }
        self.reload(tx, org).await
    }

    pub async fn reload(&self, tx: &mut dyn Tx, org: OrganizationId) -> Result<Arc<KeyRing>> {
        let rows = live_keys(tx, org).await?;
        let mut keys = Vec::with_capacity(rows.len());
        let mut primary = None;
        for row in &rows {
            let (Some(wrapped), Ok(version)) = (&row.wrapped_key, u32::try_from(row.version)) else {
                continue;
            };
            keys.push(DataKey::unwrap(&self.kek, org.as_uuid(), version, wrapped).map_err(|e| match e {
                CryptoError::Decrypt => Error::internal(
                    "the master key does not open this organization's data keys (wrong AUSTA_MASTER_KEY?)",
                ),
                other => other.into(),
            })?);
            if row.state == KeyState::Primary {
                primary = Some(version);
            }
        }
        let primary = primary.ok_or_else(|| Error::internal("the organization has no primary data key"))?;
        let ring = Arc::new(KeyRing::new(org.as_uuid(), keys, primary)?);
        self.remember(org, ring.clone());
        Ok(ring)
    }

    pub fn forget(&self, org: OrganizationId) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(&org);
        }
    }

    fn cached(&self, org: OrganizationId) -> Option<Arc<KeyRing>> {
        let cache = self.cache.lock().ok()?;
        let (ring, at) = cache.get(&org)?;
        (at.elapsed() < CACHE_TTL).then(|| ring.clone())
    }

    fn remember(&self, org: OrganizationId, ring: Arc<KeyRing>) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(org, (ring, Instant::now()));
        }
    }

    pub fn wrap(&self, key: &DataKey, org: OrganizationId) -> Result<Vec<u8>> {
        Ok(key.wrap(&self.kek, org.as_uuid())?)
    }

    /// Opens a key wrapped by [`KeyRings::wrap`] (a document's own key).
    pub fn unwrap(&self, wrapped: &[u8], org: OrganizationId, version: u32) -> Result<DataKey> {
        Ok(DataKey::unwrap(&self.kek, org.as_uuid(), version, wrapped)?)
    }

    pub async fn encrypt(
        &self,
        tx: &mut dyn Tx,
        org: OrganizationId,
        field: Field,
        row: Uuid,
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        Ok(self.get(tx, org).await?.encrypt(field, row, plaintext)?)
    }

    /// Decrypts; a version this process has not seen yet (a rotation elsewhere) reloads the ring once.
    pub async fn decrypt(
        &self,
        tx: &mut dyn Tx,
        org: OrganizationId,
        field: Field,
        row: Uuid,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        let ring = self.get(tx, org).await?;
        match ring.decrypt(field, row, ciphertext) {
            Err(CryptoError::UnknownKeyVersion(_)) => {
                Ok(self.reload(tx, org).await?.decrypt(field, row, ciphertext)?)
            }
            other => Ok(other?),
        }
    }
}

/// The organization's PRIMARY and ACTIVE key rows.
pub async fn live_keys(tx: &mut dyn Tx, org: OrganizationId) -> Result<Vec<EncryptionKey>> {
    let query = ListQuery::first(ListQuery::MAX_LIMIT)
        .filter("organization_id", Value::Uuid(org.as_uuid()))
        .any_of(
            "state",
            vec![
                Value::Text(KeyState::Primary.as_str().into()),
                Value::Text(KeyState::Active.as_str().into()),
            ],
        );
    Ok(tx.list::<EncryptionKey>(&query).await?.items)
}
