//! Cryptography of the platform, free of I/O: the key hierarchy, field encryption, blind indexes,
//! password and token hashing, one-time codes and the audit chain.
//!
//! Key hierarchy (see `docs/security.md`):
//! - the **master key** lives outside the database (`AUSTA_MASTER_KEY(_FILE)` or `data/master.key`);
//! - from it, by HKDF with distinct labels: the key-encryption key, the audit MAC keys, the checkpoint
//!   signing key and the one-time-code key;
//! - each organization has versioned random **data keys**, stored wrapped by the key-encryption key;
//!   from each data key, again by HKDF: the field-encryption key and the blind-index key.
//!
//! No key is ever used for two purposes.

pub mod audit_chain;
pub mod blind_index;
pub mod envelope;
mod error;
pub mod keys;
pub mod one_time_code;
pub mod password;
pub mod random;
pub mod token;
pub mod totp;

pub use error::CryptoError;
pub use keys::{MasterKey, SecretKey};

/// Lower-case hex of bytes (MACs, digests, public keys in reports and logs of checkpoints).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
