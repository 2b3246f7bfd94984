/// What can go wrong. Messages never contain key material or plaintext.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the operating system's random number generator failed")]
    Random,
    #[error("the master key must be 32 bytes, written as base64 (44 characters) or hex (64 characters)")]
    MasterKeyFormat,
    #[error("ciphertext is malformed (format {0})")]
    Malformed(&'static str),
    #[error("ciphertext uses key version {0}, which this key ring does not hold")]
    UnknownKeyVersion(u32),
    /// Wrong key, wrong context (organization, table, column, row) or altered bytes: AEAD cannot
    /// tell which, and must not.
    #[error("decryption failed: wrong key or context, or the data was altered")]
    Decrypt,
    #[error("the key ring has no primary key")]
    NoPrimaryKey,
    #[error("password hashing failed")]
    PasswordHash,
    #[error("TOTP secret is invalid")]
    Totp,
    #[error("signature is invalid")]
    Signature,
}
