//! Keyed blind indexes: equality lookups and uniqueness on encrypted values (CPF) without storing the
//! plaintext. HMAC-SHA256 at full length, under a key of its own derived from the organization's data
//! key, so rotating the data key also rotates the index. The caller normalises the value first (CPF:
//! the 11 digits). Leaks equality only; the key never lives in the database unwrapped.

use hmac::Mac;

use crate::keys::SecretKey;

pub const LEN: usize = 32;

/// `purpose` separates indexes of different kinds of value (`"cpf"`), so equal bytes of two kinds
/// never collide.
pub fn compute(key: &SecretKey, purpose: &str, normalized: &[u8]) -> [u8; LEN] {
    let mut mac = key.hmac();
    mac.update(&(purpose.len() as u32).to_be_bytes());
    mac.update(purpose.as_bytes());
    mac.update(normalized);
    mac.finalize().into_bytes().into()
}
