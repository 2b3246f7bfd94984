//! Envelope encryption of fields.
//!
//! Every organization holds versioned data keys, each stored wrapped (XChaCha20-Poly1305) by the
//! key-encryption key. A field value is sealed with XChaCha20-Poly1305 under the primary version's
//! field key; its 192-bit nonce is random, which is safe at any volume. Layout of a ciphertext:
//!
//! `format (1 byte, 0x01) ‖ key version (4 bytes, big-endian) ‖ nonce (24) ‖ ciphertext ‖ tag (16)`
//!
//! The associated data binds the format, organization, table, column, row id and key version, so a
//! ciphertext copied to another row, column or organization, or given another version in its header,
//! fails to decrypt.

use std::collections::BTreeMap;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::keys::{KEY_LEN, SecretKey};
use crate::{CryptoError, blind_index, random};

/// The only format so far: XChaCha20-Poly1305 with the header above.
pub const FORMAT_V1: u8 = 0x01;
const NONCE_LEN: usize = 24;
const HEADER_LEN: usize = 1 + 4 + NONCE_LEN;
const TAG_LEN: usize = 16;

/// Format byte of a wrapped data key.
const WRAP_V1: u8 = 0x01;

/// Where a value lives: the table and column it is encrypted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub table: &'static str,
    pub column: &'static str,
}

impl Field {
    pub const fn new(table: &'static str, column: &'static str) -> Self {
        Self { table, column }
    }
}

/// One version of an organization's data key, with the two keys derived from it.
#[derive(Clone)]
pub struct DataKey {
    version: u32,
    material: SecretKey,
    field_key: SecretKey,
    index_key: SecretKey,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKey")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl DataKey {
    pub fn generate(version: u32) -> Result<Self, CryptoError> {
        Ok(Self::from_material(version, SecretKey::generate()?))
    }

    /// A data key from given material (a key derived from the master key for a platform purpose).
    pub fn from_material(version: u32, material: SecretKey) -> Self {
        Self {
            version,
            field_key: material.derive(&[b"field-encryption/v1"]),
            index_key: material.derive(&[b"blind-index/v1"]),
            material,
        }
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    /// Seals the key material under the key-encryption key, bound to its organization and version.
    pub fn wrap(&self, kek: &SecretKey, organization: Uuid) -> Result<Vec<u8>, CryptoError> {
        let nonce: [u8; NONCE_LEN] = random::bytes()?;
        let sealed = cipher(kek)
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: self.material.expose(),
                    aad: &wrap_aad(organization, self.version),
                },
            )
            .map_err(|_| CryptoError::Decrypt)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(WRAP_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn unwrap(
        kek: &SecretKey,
        organization: Uuid,
        version: u32,
        wrapped: &[u8],
    ) -> Result<Self, CryptoError> {
        let (format, rest) = wrapped.split_first().ok_or(CryptoError::Malformed("empty"))?;
        if *format != WRAP_V1 || rest.len() != NONCE_LEN + KEY_LEN + TAG_LEN {
            return Err(CryptoError::Malformed("wrapped key"));
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::Malformed("nonce"))?;
        let material = Zeroizing::new(
            cipher(kek)
                .decrypt(
                    &XNonce::from(nonce),
                    Payload {
                        msg: sealed,
                        aad: &wrap_aad(organization, version),
                    },
                )
                .map_err(|_| CryptoError::Decrypt)?,
        );
        let bytes: [u8; KEY_LEN] = material
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::Malformed("wrapped key"))?;
        Ok(Self::from_material(version, SecretKey::from_bytes(bytes)))
    }

    fn seal(
        &self,
        organization: Uuid,
        field: Field,
        row: Uuid,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let nonce: [u8; NONCE_LEN] = random::bytes()?;
        let aad = field_aad(organization, field, row, self.version);
        let sealed = cipher(&self.field_key)
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::Decrypt)?;
        let mut out = Vec::with_capacity(HEADER_LEN + sealed.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    fn open(
        &self,
        organization: Uuid,
        field: Field,
        row: Uuid,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let nonce: [u8; NONCE_LEN] = ciphertext
            .get(5..HEADER_LEN)
            .and_then(|n| n.try_into().ok())
            .ok_or(CryptoError::Malformed("too short"))?;
        let aad = field_aad(organization, field, row, self.version);
        cipher(&self.field_key)
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &ciphertext[HEADER_LEN..],
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::Decrypt)
    }
}

/// The key version a ciphertext was sealed with, read from its header.
pub fn key_version(ciphertext: &[u8]) -> Result<u32, CryptoError> {
    if ciphertext.len() < HEADER_LEN + TAG_LEN {
        return Err(CryptoError::Malformed("too short"));
    }
    if ciphertext[0] != FORMAT_V1 {
        return Err(CryptoError::Malformed("unknown format byte"));
    }
    let version: [u8; 4] = ciphertext[1..5]
        .try_into()
        .map_err(|_| CryptoError::Malformed("header"))?;
    Ok(u32::from_be_bytes(version))
}

/// An organization's data keys: the primary one encrypts, any held one decrypts.
#[derive(Clone, Debug)]
pub struct KeyRing {
    organization: Uuid,
    primary: u32,
    keys: BTreeMap<u32, DataKey>,
}

impl KeyRing {
    pub fn new(organization: Uuid, keys: Vec<DataKey>, primary: u32) -> Result<Self, CryptoError> {
        let keys: BTreeMap<u32, DataKey> = keys.into_iter().map(|k| (k.version, k)).collect();
        if !keys.contains_key(&primary) {
            return Err(CryptoError::NoPrimaryKey);
        }
        Ok(Self {
            organization,
            primary,
            keys,
        })
    }

    /// A ring of one key, primary.
    pub fn single(organization: Uuid, key: DataKey) -> Self {
        let primary = key.version;
        Self {
            organization,
            primary,
            keys: BTreeMap::from([(primary, key)]),
        }
    }

    pub fn organization(&self) -> Uuid {
        self.organization
    }

    pub fn primary_version(&self) -> u32 {
        self.primary
    }

    pub fn versions(&self) -> impl Iterator<Item = u32> + '_ {
        self.keys.keys().copied()
    }

    fn primary(&self) -> Result<&DataKey, CryptoError> {
        self.keys.get(&self.primary).ok_or(CryptoError::NoPrimaryKey)
    }

    pub fn encrypt(&self, field: Field, row: Uuid, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.primary()?.seal(self.organization, field, row, plaintext)
    }

    pub fn decrypt(
        &self,
        field: Field,
        row: Uuid,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let version = key_version(ciphertext)?;
        let key = self
            .keys
            .get(&version)
            .ok_or(CryptoError::UnknownKeyVersion(version))?;
        key.open(self.organization, field, row, ciphertext)
    }

    /// Whether a ciphertext was sealed with an older version than the primary (rotation's test).
    pub fn is_stale(&self, ciphertext: &[u8]) -> Result<bool, CryptoError> {
        Ok(key_version(ciphertext)? != self.primary)
    }

    /// The blind index a row written now stores (primary version).
    pub fn blind_index(&self, purpose: &str, normalized: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(blind_index::compute(&self.primary()?.index_key, purpose, normalized).to_vec())
    }

    /// Every index the value may be stored under while a rotation is in progress, primary first:
    /// lookups and uniqueness checks must match any of them.
    pub fn blind_index_candidates(&self, purpose: &str, normalized: &[u8]) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = Vec::with_capacity(self.keys.len());
        if let Some(primary) = self.keys.get(&self.primary) {
            out.push(blind_index::compute(&primary.index_key, purpose, normalized).to_vec());
        }
        for key in self.keys.values().filter(|k| k.version != self.primary) {
            out.push(blind_index::compute(&key.index_key, purpose, normalized).to_vec());
        }
        out
    }
}

fn cipher(key: &SecretKey) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(&Key::from(*key.expose()))
}

fn push_framed(out: &mut Vec<u8>, part: &[u8]) {
    out.extend_from_slice(&(part.len() as u32).to_be_bytes());
    out.extend_from_slice(part);
}

fn field_aad(organization: Uuid, field: Field, row: Uuid, version: u32) -> Vec<u8> {
    let mut aad = Vec::with_capacity(96);
    push_framed(&mut aad, b"austa-field");
    aad.push(FORMAT_V1);
    push_framed(&mut aad, organization.as_bytes());
    push_framed(&mut aad, field.table.as_bytes());
    push_framed(&mut aad, field.column.as_bytes());
    push_framed(&mut aad, row.as_bytes());
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

fn wrap_aad(organization: Uuid, version: u32) -> Vec<u8> {
    let mut aad = Vec::with_capacity(48);
    push_framed(&mut aad, b"austa-data-key");
    aad.push(WRAP_V1);
    push_framed(&mut aad, organization.as_bytes());
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CPF: Field = Field::new("users", "cpf_encrypted");
    const CONTACT: Field = Field::new("users", "emergency_contact_encrypted");

    fn ring(org: Uuid, versions: &[u32], primary: u32) -> KeyRing {
        let keys = versions.iter().map(|v| DataKey::generate(*v).unwrap()).collect();
        KeyRing::new(org, keys, primary).unwrap()
    }

    #[test]
    fn round_trip_and_header() {
        let org = Uuid::now_v7();
        let row = Uuid::now_v7();
        let ring = ring(org, &[3], 3);
        let sealed = ring.encrypt(CPF, row, b"52998224725").unwrap();
        assert_eq!(sealed[0], FORMAT_V1);
        assert_eq!(key_version(&sealed).unwrap(), 3);
        assert_eq!(sealed.len(), HEADER_LEN + 11 + TAG_LEN);
        assert_eq!(
            ring.decrypt(CPF, row, &sealed).unwrap().as_slice(),
            b"52998224725"
        );
        assert!(!sealed.windows(11).any(|w| w == b"52998224725"));
    }

    #[test]
    fn same_value_encrypts_differently_each_time() {
        let ring = ring(Uuid::now_v7(), &[1], 1);
        let row = Uuid::now_v7();
        assert_ne!(
            ring.encrypt(CPF, row, b"x").unwrap(),
            ring.encrypt(CPF, row, b"x").unwrap()
        );
    }

    #[test]
    fn ciphertext_copied_elsewhere_fails() {
        let org = Uuid::now_v7();
        let row = Uuid::now_v7();
        let ring = ring(org, &[1], 1);
        let sealed = ring.encrypt(CPF, row, b"secret").unwrap();
        assert_eq!(
            ring.decrypt(CPF, Uuid::now_v7(), &sealed).unwrap_err(),
            CryptoError::Decrypt
        );
        assert_eq!(
            ring.decrypt(CONTACT, row, &sealed).unwrap_err(),
            CryptoError::Decrypt
        );
        assert_eq!(
            ring.decrypt(Field::new("providers", "cpf_encrypted"), row, &sealed)
                .unwrap_err(),
            CryptoError::Decrypt
        );
        // Same key material under another organization id: the associated data differs.
        let other = KeyRing::new(Uuid::now_v7(), ring.keys.values().cloned().collect(), 1).unwrap();
        assert_eq!(
            other.decrypt(CPF, row, &sealed).unwrap_err(),
            CryptoError::Decrypt
        );
    }

    #[test]
    fn relabelled_version_fails() {
        let org = Uuid::now_v7();
        let row = Uuid::now_v7();
        let mut ring = ring(org, &[1], 1);
        let sealed = ring.encrypt(CPF, row, b"secret").unwrap();
        // Same key material registered as version 2, header rewritten: the AAD catches it.
        let key1 = ring.keys[&1].clone();
        ring.keys.insert(2, DataKey { version: 2, ..key1 });
        let mut relabelled = sealed.clone();
        relabelled[1..5].copy_from_slice(&2u32.to_be_bytes());
        assert_eq!(
            ring.decrypt(CPF, row, &relabelled).unwrap_err(),
            CryptoError::Decrypt
        );
    }

    #[test]
    fn old_versions_decrypt_new_writes_use_primary() {
        let org = Uuid::now_v7();
        let row = Uuid::now_v7();
        let v1 = DataKey::generate(1).unwrap();
        let old = KeyRing::new(org, vec![v1.clone()], 1).unwrap();
        let sealed = old.encrypt(CPF, row, b"old").unwrap();
        let rotated = KeyRing::new(org, vec![v1, DataKey::generate(2).unwrap()], 2).unwrap();
        assert_eq!(rotated.decrypt(CPF, row, &sealed).unwrap().as_slice(), b"old");
        assert!(rotated.is_stale(&sealed).unwrap());
        let fresh = rotated.encrypt(CPF, row, b"new").unwrap();
        assert_eq!(key_version(&fresh).unwrap(), 2);
        assert!(!rotated.is_stale(&fresh).unwrap());
        // Retiring v1 before re-encryption would make the old row unreadable, loudly.
        let retired = KeyRing::new(org, vec![rotated.keys[&2].clone()], 2).unwrap();
        assert_eq!(
            retired.decrypt(CPF, row, &sealed).unwrap_err(),
            CryptoError::UnknownKeyVersion(1)
        );
    }

    #[test]
    fn wrapped_keys_are_bound_to_organization_and_version() {
        let kek = SecretKey::generate().unwrap();
        let org = Uuid::now_v7();
        let key = DataKey::generate(4).unwrap();
        let wrapped = key.wrap(&kek, org).unwrap();
        let back = DataKey::unwrap(&kek, org, 4, &wrapped).unwrap();
        assert_eq!(back.material, key.material);
        assert_eq!(
            DataKey::unwrap(&kek, org, 5, &wrapped).unwrap_err(),
            CryptoError::Decrypt
        );
        assert_eq!(
            DataKey::unwrap(&kek, Uuid::now_v7(), 4, &wrapped).unwrap_err(),
            CryptoError::Decrypt
        );
        let other_kek = SecretKey::generate().unwrap();
        assert_eq!(
            DataKey::unwrap(&other_kek, org, 4, &wrapped).unwrap_err(),
            CryptoError::Decrypt
        );
    }

    #[test]
    fn blind_index_is_stable_keyed_and_covers_old_versions() {
        let org = Uuid::now_v7();
        let v1 = DataKey::generate(1).unwrap();
        let one = KeyRing::new(org, vec![v1.clone()], 1).unwrap();
        let idx = one.blind_index("cpf", b"52998224725").unwrap();
        assert_eq!(idx, one.blind_index("cpf", b"52998224725").unwrap());
        assert_ne!(idx, one.blind_index("cpf", b"11144477735").unwrap());
        assert_ne!(idx, one.blind_index("phone", b"52998224725").unwrap());
        let two = KeyRing::new(org, vec![v1, DataKey::generate(2).unwrap()], 2).unwrap();
        let candidates = two.blind_index_candidates("cpf", b"52998224725");
        assert_eq!(candidates.len(), 2);
        assert_ne!(candidates[0], idx, "the primary (new) index comes first");
        assert_eq!(
            candidates[1], idx,
            "the old index still matches rows not yet rotated"
        );
    }

    proptest! {
        #[test]
        fn any_value_round_trips(value in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let ring = ring(Uuid::now_v7(), &[1], 1);
            let row = Uuid::now_v7();
            let sealed = ring.encrypt(CONTACT, row, &value).unwrap();
            let opened = ring.decrypt(CONTACT, row, &sealed).unwrap();
            prop_assert_eq!(opened.as_slice(), value.as_slice());
        }

        #[test]
        fn any_flipped_bit_is_detected(value in proptest::collection::vec(any::<u8>(), 1..256), at in any::<usize>(), bit in 0u8..8) {
            let ring = ring(Uuid::now_v7(), &[1], 1);
            let row = Uuid::now_v7();
            let mut sealed = ring.encrypt(CONTACT, row, &value).unwrap();
            let at = at % sealed.len();
            sealed[at] ^= 1 << bit;
            prop_assert!(ring.decrypt(CONTACT, row, &sealed).is_err());
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
            let ring = ring(Uuid::now_v7(), &[1], 1);
            prop_assert!(ring.decrypt(CONTACT, Uuid::now_v7(), &bytes).is_err());
        }
    }
}
