//! The one error type of the services. Each variant has a stable `code` and an HTTP status; the
//! message never carries personal data (no CPF, phone, text or token: only field names and ids).

use austa_crypto::CryptoError;
use austa_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller sent a value that breaks a rule: 422 naming the field.
    #[error("{field}: {message}")]
    Invalid {
        field: String,
        code: &'static str,
        message: String,
    },
    /// The request is malformed (not JSON, wrong header): 400.
    #[error("{0}")]
    BadRequest(String),
    /// The body is larger than the endpoint takes: 413.
    #[error("{0}")]
    TooLarge(String),
    /// No or bad credentials: 401.
    #[error("authentication required")]
    Unauthenticated,
    /// The password was right, but an admin must also give a TOTP code: 401 `totp_required`.
    #[error("a TOTP code is required")]
    TotpRequired,
    /// Authenticated but not allowed: 403.
    #[error("not allowed")]
    Forbidden,
    /// Absent, or present but invisible to the caller (existence must not leak): 404.
    #[error("not found")]
    NotFound,
    /// The access policy said no: 403, or 404 when `hidden`. Carries the audit entry of the denial.
    #[error("{}", if *.hidden { "not found" } else { "not allowed" })]
    Denied {
        hidden: bool,
        event: Box<crate::audit::AuditEvent>,
    },
    /// The state of stored data forbids this: 409.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// Too many attempts: 429.
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    /// A service this one depends on failed (WhatsApp, an ERP): 502.
    #[error("{0}")]
    Upstream(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// A bug or an unavailable resource: 500, details only in the log.
    #[error("{0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            code,
            message: message.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Error::Conflict {
            code,
            message: message.into(),
        }
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        Error::Internal(message.to_string())
    }
}
