//! Opaque bearer tokens and API keys: 256 random bits behind a readable prefix (so leaked keys can be
//! recognised by secret scanners), stored only as their SHA-256. A hash of a 256-bit random value
//! needs no salt or slow hash: it cannot be guessed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::{CryptoError, random};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A login session (staff or patient).
    Session,
    /// A machine credential for the `system` role.
    ApiKey,
}

impl TokenKind {
    pub fn prefix(self) -> &'static str {
        match self {
            TokenKind::Session => "austa_s_",
            TokenKind::ApiKey => "austa_k_",
        }
    }

    /// The kind a presented token claims by its prefix.
    pub fn of(token: &str) -> Option<Self> {
        [TokenKind::Session, TokenKind::ApiKey]
            .into_iter()
            .find(|k| token.starts_with(k.prefix()))
    }
}

/// A token in clear: given to its holder once, never stored, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token([redacted])")
    }
}

impl Token {
    pub fn generate(kind: TokenKind) -> Result<Self, CryptoError> {
        let secret: [u8; 32] = random::bytes()?;
        Ok(Self(format!(
            "{}{}",
            kind.prefix(),
            URL_SAFE_NO_PAD.encode(secret)
        )))
    }

    /// The clear text, for the one response that hands it out.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> [u8; 32] {
        hash(&self.0)
    }
}

/// What the database stores and looks tokens up by.
pub fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether a presented string has the shape of a token we issue (cheap rejection before any lookup).
pub fn is_well_formed(token: &str) -> bool {
    TokenKind::of(token).is_some_and(|kind| {
        let body = &token[kind.prefix().len()..];
        body.len() == 43
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_prefixed() {
        let a = Token::generate(TokenKind::Session).unwrap();
        let b = Token::generate(TokenKind::Session).unwrap();
        assert_ne!(a, b);
        assert!(a.expose().starts_with("austa_s_"));
        assert!(is_well_formed(a.expose()));
        assert_eq!(TokenKind::of(a.expose()), Some(TokenKind::Session));
        let key = Token::generate(TokenKind::ApiKey).unwrap();
        assert_eq!(TokenKind::of(key.expose()), Some(TokenKind::ApiKey));
        assert_eq!(a.hash(), hash(a.expose()));
        assert!(!format!("{a:?}").contains(&a.expose()[8..]));
    }

    #[test]
    fn malformed_tokens_are_recognised() {
        for bad in [
            "",
            "austa_s_",
            "austa_s_short",
            "Bearer x",
            &format!("austa_x_{}", "a".repeat(43)),
        ] {
            assert!(!is_well_formed(bad), "{bad}");
        }
        assert!(!is_well_formed(&format!("austa_s_{}!", "a".repeat(42))));
    }
}
