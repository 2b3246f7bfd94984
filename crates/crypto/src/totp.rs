//! TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps) for admins, through `totp-rs`. A code is
//! accepted one step early or late; the caller stores the last accepted step so a code is never
//! accepted twice (RFC 6238 §5.2).

use totp_rs::{Algorithm, Builder, Secret, Totp};
use zeroize::Zeroizing;

use crate::{CryptoError, random};

pub const ISSUER: &str = "Austa Care";

/// A 160-bit TOTP secret (RFC 4226 recommends 160 bits).
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret([redacted])")
    }
}

impl TotpSecret {
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self(Zeroizing::new(random::bytes::<20>()?.to_vec())))
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The secret of an `otpauth://totp/…` URI (what an authenticator app scans).
    pub fn from_uri(uri: &str) -> Result<Self, CryptoError> {
        let totp = Totp::from_url(uri).map_err(|_| CryptoError::Totp)?;
        Ok(Self(Zeroizing::new(totp.secret().as_bytes().to_vec())))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    fn totp(&self, account: &str) -> Result<Totp, CryptoError> {
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(6)
            .with_skew(1)
            .with_step_duration(30)
            .with_secret(Secret::new(self.0.to_vec().into_boxed_slice()))
            .with_issuer(Some(ISSUER))
            .with_account_name(account)
            .build()
            .map_err(|_| CryptoError::Totp)
    }

    /// The `otpauth://totp/…` URI an authenticator app reads (shown once, at creation).
    pub fn otpauth_uri(&self, account: &str) -> Result<String, CryptoError> {
        self.totp(account)?.to_url().map_err(|_| CryptoError::Totp)
    }

    /// The step of the matching code (±1 step around `unix_time`), if any.
    pub fn check(&self, code: &str, unix_time: u64) -> Option<u64> {
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        self.totp("check").ok()?.check(code, unix_time)
    }

    pub fn code_at(&self, unix_time: u64) -> Result<String, CryptoError> {
        Ok(self.totp("code")?.generate(unix_time).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 seed, last six digits.
    #[test]
    fn rfc6238_vectors() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890".to_vec());
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(secret.code_at(time).unwrap(), code);
            assert!(secret.check(code, time).is_some());
        }
    }

    #[test]
    fn window_is_one_step_each_way() {
        let secret = TotpSecret::generate().unwrap();
        let now = 1_800_000_000;
        let code = secret.code_at(now).unwrap();
        assert_eq!(secret.check(&code, now), Some(now / 30));
        assert!(secret.check(&code, now + 30).is_some());
        assert!(secret.check(&code, now - 30).is_some());
        assert!(secret.check(&code, now + 90).is_none());
        assert!(secret.check("abcdef", now).is_none());
        assert!(secret.check("1234567", now).is_none());
    }

    #[test]
    fn uri_names_issuer_and_account() {
        let secret = TotpSecret::generate().unwrap();
        let uri = secret.otpauth_uri("ana@clinica.example").unwrap();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains("secret=") && uri.contains("issuer=Austa"), "{uri}");
        assert_eq!(TotpSecret::from_uri(&uri).unwrap().as_bytes(), secret.as_bytes());
    }
}
