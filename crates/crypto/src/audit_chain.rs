//! The audit log's tamper evidence: each entry's MAC covers the previous entry's MAC and the entry's
//! canonical bytes, and checkpoints of a chain's head are signed with Ed25519. Both keys derive from
//! the master key, outside the database: whoever can write the database cannot forge a chain that
//! verifies, and cannot truncate one below a signed checkpoint.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use hmac::Mac;

use crate::CryptoError;
use crate::keys::SecretKey;

pub const MAC_LEN: usize = 32;
/// The "previous MAC" of a chain's first entry.
pub const GENESIS: [u8; MAC_LEN] = [0; MAC_LEN];

/// Unambiguous bytes of an entry: each field is its name and length-prefixed value, in a fixed order.
#[derive(Default)]
pub struct CanonicalEntry(Vec<u8>);

impl CanonicalEntry {
    pub fn new() -> Self {
        Self(Vec::with_capacity(512))
    }

    pub fn field(mut self, name: &str, value: &[u8]) -> Self {
        self.0.extend_from_slice(&(name.len() as u32).to_be_bytes());
        self.0.extend_from_slice(name.as_bytes());
        self.0.extend_from_slice(&(value.len() as u32).to_be_bytes());
        self.0.extend_from_slice(value);
        self
    }

    pub fn optional(self, name: &str, value: Option<&[u8]>) -> Self {
        match value {
            // A marker byte keeps "absent" apart from "empty".
            Some(v) => {
                let mut framed = Vec::with_capacity(v.len() + 1);
                framed.push(1);
                framed.extend_from_slice(v);
                self.field(name, &framed)
            }
            None => self.field(name, &[0]),
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// `HMAC-SHA256(key, "austa-audit-v1" ‖ previous MAC ‖ entry)`.
pub fn entry_mac(key: &SecretKey, previous: &[u8; MAC_LEN], entry: &CanonicalEntry) -> [u8; MAC_LEN] {
    let mut mac = key.hmac();
    mac.update(b"austa-audit-v1");
    mac.update(previous);
    mac.update(entry.as_bytes());
    mac.finalize().into_bytes().into()
}

/// A statement "chain `chain` had `seq` entries ending in `head_mac` at `signed_at`".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub chain: String,
    pub seq: i64,
    pub head_mac: [u8; MAC_LEN],
    pub signed_at_unix: i64,
}

impl Checkpoint {
    fn message(&self) -> Vec<u8> {
        CanonicalEntry::new()
            .field("purpose", b"austa-audit-checkpoint-v1")
            .field("chain", self.chain.as_bytes())
            .field("seq", &self.seq.to_be_bytes())
            .field("head", &self.head_mac)
            .field("at", &self.signed_at_unix.to_be_bytes())
            .0
    }
}

pub struct CheckpointSigner(SigningKey);

impl std::fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CheckpointSigner([redacted])")
    }
}

impl CheckpointSigner {
    pub fn from_seed(seed: &SecretKey) -> Self {
        Self(SigningKey::from_bytes(seed.expose()))
    }

    pub fn sign(&self, checkpoint: &Checkpoint) -> [u8; 64] {
        self.0.sign(&checkpoint.message()).to_bytes()
    }

    pub fn verifier(&self) -> CheckpointVerifier {
        CheckpointVerifier(self.0.verifying_key())
    }
}

/// The public half: enough to check checkpoints, useless for forging them.
#[derive(Debug, Clone)]
pub struct CheckpointVerifier(VerifyingKey);

impl CheckpointVerifier {
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, CryptoError> {
        VerifyingKey::from_bytes(bytes)
            .map(Self)
            .map_err(|_| CryptoError::Signature)
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub fn verify(&self, checkpoint: &Checkpoint, signature: &[u8]) -> Result<(), CryptoError> {
        let signature = Signature::from_slice(signature).map_err(|_| CryptoError::Signature)?;
        self.0
            .verify(&checkpoint.message(), &signature)
            .map_err(|_| CryptoError::Signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u8) -> CanonicalEntry {
        CanonicalEntry::new().field("n", &[n]).optional("x", None)
    }

    #[test]
    fn canonical_encoding_is_unambiguous() {
        let a = CanonicalEntry::new().field("a", b"bc");
        let b = CanonicalEntry::new().field("ab", b"c");
        assert_ne!(a.as_bytes(), b.as_bytes());
        let none = CanonicalEntry::new().optional("v", None);
        let empty = CanonicalEntry::new().optional("v", Some(b""));
        assert_ne!(none.as_bytes(), empty.as_bytes());
    }

    #[test]
    fn chain_depends_on_key_order_and_content() {
        let key = SecretKey::from_bytes([3; 32]);
        let m1 = entry_mac(&key, &GENESIS, &entry(1));
        let m2 = entry_mac(&key, &m1, &entry(2));
        let swapped = entry_mac(&key, &entry_mac(&key, &GENESIS, &entry(2)), &entry(1));
        assert_ne!(m2, swapped);
        assert_ne!(
            m1,
            entry_mac(&SecretKey::from_bytes([4; 32]), &GENESIS, &entry(1))
        );
        assert_eq!(m1, entry_mac(&key, &GENESIS, &entry(1)));
    }

    #[test]
    fn checkpoints_verify_only_unaltered() {
        let signer = CheckpointSigner::from_seed(&SecretKey::from_bytes([9; 32]));
        let checkpoint = Checkpoint {
            chain: "org/3".into(),
            seq: 41,
            head_mac: [7; 32],
            signed_at_unix: 1_800_000_000,
        };
        let signature = signer.sign(&checkpoint);
        let verifier = CheckpointVerifier::from_bytes(&signer.verifier().to_bytes()).unwrap();
        verifier.verify(&checkpoint, &signature).unwrap();
        let truncated = Checkpoint {
            seq: 40,
            ..checkpoint.clone()
        };
        assert_eq!(
            verifier.verify(&truncated, &signature),
            Err(CryptoError::Signature)
        );
        let other = CheckpointSigner::from_seed(&SecretKey::from_bytes([8; 32]));
        assert_eq!(
            other.verifier().verify(&checkpoint, &signature),
            Err(CryptoError::Signature)
        );
        assert_eq!(
            verifier.verify(&checkpoint, &signature[..10]),
            Err(CryptoError::Signature)
        );
    }
}
