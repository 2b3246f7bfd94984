//! Staff passwords: Argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane), PHC strings.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;

use crate::{CryptoError, random};

pub const MIN_LEN: usize = 12;
/// Bounds the work an attacker can make one hash cost.
pub const MAX_LEN: usize = 256;

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::DEFAULT)
}

/// Why a new password is refused (the message is safe to show).
pub fn check_strength(password: &str) -> Result<(), &'static str> {
    let chars = password.chars().count();
    if chars < MIN_LEN {
        return Err("password must have at least 12 characters");
    }
    if password.len() > MAX_LEN {
        return Err("password must have at most 256 bytes");
    }
    let mut chars = password.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Err("password must not repeat one character");
    }
    Ok(())
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub fn hash(password: &str) -> Result<String, CryptoError> {
    let salt: [u8; 16] = random::bytes()?;
    argon2()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| CryptoError::PasswordHash)
}

/// Constant-time check. A malformed stored hash is a mismatch, never an error the caller could leak.
pub fn verify(password: &str, phc: &str) -> bool {
    if password.len() > MAX_LEN {
        return false;
    }
    argon2().verify_password(password.as_bytes(), phc).is_ok()
}

/// Spends the time of one verification when the account does not exist, so response times do not
/// reveal which e-mail addresses have accounts.
pub fn verify_against_nothing(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("no account has this password").unwrap_or_default());
    let _ = verify(password, dummy);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let phc = hash("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery", &phc));
        assert!(!verify("correct horse batterY", &phc));
        assert!(!verify("correct horse battery", "not a phc string"));
        assert_ne!(phc, hash("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn strength_rules() {
        assert!(check_strength("short").is_err());
        assert!(check_strength("aaaaaaaaaaaaaaaa").is_err());
        assert!(check_strength(&"x1".repeat(200)).is_err());
        assert!(check_strength("senha forte de verdade").is_ok());
        assert!(
            check_strength("ação-çãoéíóú").is_ok(),
            "12 characters, more bytes"
        );
    }
}
