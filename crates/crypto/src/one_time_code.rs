//! The 6-digit codes patients receive on WhatsApp to log in. A million possibilities is little, so the
//! stored form is an HMAC under a key outside the database (bound to organization and phone), and the
//! caller limits attempts.

use hmac::Mac;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::keys::SecretKey;
use crate::{CryptoError, random};

pub const DIGITS: usize = 6;

/// A uniformly random code, zero-padded (`"004217"`).
pub fn generate() -> Result<String, CryptoError> {
    Ok(format!("{:06}", random::below(1_000_000)?))
}

pub fn hash(key: &SecretKey, organization: Uuid, phone: &str, code: &str) -> [u8; 32] {
    let mut mac = key.hmac();
    mac.update(organization.as_bytes());
    mac.update(&(phone.len() as u32).to_be_bytes());
    mac.update(phone.as_bytes());
    mac.update(code.as_bytes());
    mac.finalize().into_bytes().into()
}

pub fn matches(key: &SecretKey, organization: Uuid, phone: &str, code: &str, stored: &[u8]) -> bool {
    let well_formed = code.len() == DIGITS && code.bytes().all(|b| b.is_ascii_digit());
    let expected = hash(key, organization, phone, code);
    well_formed & bool::from(expected.as_slice().ct_eq(stored))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: std::collections::HashSet<String> = (0..50).map(|_| generate().unwrap()).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
        );
        assert!(codes.len() > 40);
    }

    #[test]
    fn hash_binds_organization_and_phone() {
        let key = SecretKey::from_bytes([1; 32]);
        let org = Uuid::from_u128(7);
        let stored = hash(&key, org, "+5511987654321", "123456");
        assert!(matches(&key, org, "+5511987654321", "123456", &stored));
        assert!(!matches(&key, org, "+5511987654321", "123457", &stored));
        assert!(!matches(&key, org, "+5511987654320", "123456", &stored));
        assert!(!matches(
            &key,
            Uuid::from_u128(8),
            "+5511987654321",
            "123456",
            &stored
        ));
        assert!(!matches(
            &SecretKey::from_bytes([2; 32]),
            org,
            "+5511987654321",
            "123456",
            &stored
        ));
        assert!(!matches(&key, org, "+5511987654321", "12345", &stored));
    }
}
