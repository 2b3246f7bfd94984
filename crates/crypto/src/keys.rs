//! Key material: a zeroized 32-byte secret, the master key, and HKDF derivation with labels.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit};
use sha2::Sha256;
use uuid::Uuid;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{CryptoError, random};

pub const KEY_LEN: usize = 32;

/// 32 secret bytes, zeroed on drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey([u8; KEY_LEN]);

/// Constant-time, so comparing keys leaks nothing through timing.
impl PartialEq for SecretKey {
    fn eq(&self, other: &Self) -> bool {
        subtle::ConstantTimeEq::ct_eq(&self.0[..], &other.0[..]).into()
    }
}

impl Eq for SecretKey {}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

impl SecretKey {
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self(random::bytes()?))
    }

    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    pub fn expose(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// HMAC-SHA256 keyed with these 32 bytes. HMAC zero-pads keys shorter than its 64-byte block, so
    /// padding here is the same function, without a fallible constructor.
    pub fn hmac(&self) -> Hmac<Sha256> {
        let mut block = [0u8; 64];
        block[..KEY_LEN].copy_from_slice(&self.0);
        let mac = <Hmac<Sha256> as KeyInit>::new(&block.into());
        block.zeroize();
        mac
    }

    /// HKDF-SHA256 of this key under a label. Each part of the label is length-prefixed, so
    /// `("ab", "c")` and `("a", "bc")` derive different keys.
    pub fn derive(&self, label: &[&[u8]]) -> Self {
        let mut info = Vec::with_capacity(64);
        for part in label {
            info.extend_from_slice(&(part.len() as u32).to_be_bytes());
            info.extend_from_slice(part);
        }
        let mut out = [0u8; KEY_LEN];
        // 32 bytes is far below HKDF-SHA256's 8160-byte limit: expand cannot fail.
        let _ = Hkdf::<Sha256>::new(Some(b"austa-care"), &self.0).expand(&info, &mut out);
        Self(out)
    }
}

/// The root of the key hierarchy. Everything else is derived from it or wrapped by it.
#[derive(Clone, Debug)]
pub struct MasterKey(SecretKey);

/// Purposes derived from the master key. A new purpose gets a new label, never a reused one.
const KEK: &[u8] = b"key-encryption-key/v1";
const AUDIT_MAC: &[u8] = b"audit-mac/v1";
const AUDIT_SIGNING: &[u8] = b"audit-checkpoint-signing/v1";
const ONE_TIME_CODE: &[u8] = b"one-time-code/v1";
const PLATFORM_DATA: &[u8] = b"platform-data/v1";

impl MasterKey {
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self(SecretKey::generate()?))
    }

    /// Reads the key as written in a file or variable: base64 of 32 bytes, or 64 hex digits.
    /// Surrounding whitespace is ignored.
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        let text = text.trim();
        let bytes = if text.len() == 2 * KEY_LEN && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            decode_hex(text)
        } else {
            STANDARD.decode(text).ok()
        };
        let bytes: [u8; KEY_LEN] = bytes
            .and_then(|b| b.try_into().ok())
            .ok_or(CryptoError::MasterKeyFormat)?;
        Ok(Self(SecretKey(bytes)))
    }

    /// Base64, the form [`MasterKey::parse`] reads and `data/master.key` holds.
    pub fn encode(&self) -> String {
        STANDARD.encode(self.0.expose())
    }

    pub fn key_encryption_key(&self) -> SecretKey {
        self.0.derive(&[KEK])
    }

    /// The MAC key of one organization's audit chains (`None`: platform events of no organization).
    pub fn audit_mac_key(&self, organization: Option<Uuid>) -> SecretKey {
        match organization {
            Some(org) => self.0.derive(&[AUDIT_MAC, org.as_bytes()]),
            None => self.0.derive(&[AUDIT_MAC, b"platform"]),
        }
    }

    pub fn audit_signing_key(&self) -> crate::audit_chain::CheckpointSigner {
        crate::audit_chain::CheckpointSigner::from_seed(&self.0.derive(&[AUDIT_SIGNING]))
    }

    pub fn one_time_code_key(&self) -> SecretKey {
        self.0.derive(&[ONE_TIME_CODE])
    }

    /// Encrypts short-lived platform data that belongs to no organization (stored idempotent
    /// responses); it is not rotated with the organizations' keys.
    pub fn platform_data_key(&self) -> SecretKey {
        self.0.derive(&[PLATFORM_DATA])
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_key_round_trips_through_its_text_form() {
        let key = MasterKey::generate().unwrap();
        let again = MasterKey::parse(&format!("  {}\n", key.encode())).unwrap();
        assert_eq!(key.key_encryption_key(), again.key_encryption_key());
    }

    #[test]
    fn master_key_accepts_hex() {
        let hex = "00".repeat(31) + "ff";
        let key = MasterKey::parse(&hex).unwrap();
        assert_eq!(key.0.expose()[31], 0xff);
    }

    #[test]
    fn master_key_rejects_wrong_lengths_and_garbage() {
        for bad in [
            "",
            "abc",
            &"00".repeat(31),
            &STANDARD.encode([0u8; 16]),
            "not base64 at all!!",
        ] {
            assert_eq!(
                MasterKey::parse(bad).unwrap_err(),
                CryptoError::MasterKeyFormat,
                "{bad}"
            );
        }
    }

    #[test]
    fn derived_keys_differ_by_purpose_and_label_framing() {
        let key = SecretKey::from_bytes([7; 32]);
        assert_ne!(key.derive(&[b"ab", b"c"]), key.derive(&[b"a", b"bc"]));
        let master = MasterKey(key);
        let org = Uuid::from_u128(1);
        assert_ne!(master.audit_mac_key(Some(org)), master.audit_mac_key(None));
        assert_ne!(master.audit_mac_key(Some(org)), master.key_encryption_key());
        assert_ne!(master.one_time_code_key(), master.key_encryption_key());
    }

    #[test]
    fn padded_hmac_key_is_plain_hmac() {
        use hmac::Mac;
        let key = SecretKey::from_bytes([0x5a; 32]);
        let mut ours = key.hmac();
        ours.update(b"message");
        let mut reference = <Hmac<Sha256> as KeyInit>::new_from_slice(&[0x5a; 32]).unwrap();
        reference.update(b"message");
        assert_eq!(ours.finalize().into_bytes(), reference.finalize().into_bytes());
    }

    #[test]
    fn debug_never_shows_key_bytes() {
        let key = SecretKey::from_bytes([0xab; 32]);
        let shown = format!("{key:?} {:?}", MasterKey(key.clone()));
        assert!(
            !shown.contains("171") && !shown.to_lowercase().contains("ab, "),
            "{shown}"
        );
    }
}
