//! Errors as RFC 9457 `application/problem+json`, each with a stable `code`. Anything the caller did
//! wrong is a 4xx; a 5xx means a fault here, logged with its cause and answered without it.

use austa_store::StoreError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::Error;

/// An RFC 9457 problem, as every error is answered (`application/problem+json`).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What went wrong, without personal data.
    pub detail: String,
    /// Stable, machine-readable (`invalid_cpf_check_digits`, `cpf_taken`, `not_found`…).
    pub code: String,
    /// The offending field, for validation errors (`cpf`, `data.systolic`).
    pub field: Option<String>,
}

/// Status, stable code, title, and the field concerned (validation errors name it).
fn classify(error: &Error) -> (StatusCode, &'static str, &'static str, Option<String>) {
    use StatusCode as S;
    match error {
        Error::Invalid { field, code, .. } => (
            S::UNPROCESSABLE_ENTITY,
            code,
            "Invalid value",
            Some(field.clone()),
        ),
        Error::BadRequest(_) => (S::BAD_REQUEST, "bad_request", "Malformed request", None),
        Error::TooLarge(_) => (S::PAYLOAD_TOO_LARGE, "too_large", "Too large", None),
        Error::Unauthenticated => (
            S::UNAUTHORIZED,
            "unauthenticated",
            "Authentication required",
            None,
        ),
        Error::TotpRequired => (
            S::UNAUTHORIZED,
            "totp_required",
            "A TOTP code is required",
            Some("totp".into()),
        ),
        Error::Forbidden => (S::FORBIDDEN, "forbidden", "Not allowed", None),
        Error::Denied { hidden: true, .. } | Error::NotFound => {
            (S::NOT_FOUND, "not_found", "Not found", None)
        }
        Error::Denied { hidden: false, .. } => (S::FORBIDDEN, "forbidden", "Not allowed", None),
        Error::Conflict { code, .. } => (S::CONFLICT, code, "Conflict", None),
        Error::RateLimited { .. } => (S::TOO_MANY_REQUESTS, "rate_limited", "Too many requests", None),
        Error::Upstream(_) => (
            S::BAD_GATEWAY,
            "upstream_unavailable",
            "A service this one depends on failed",
            None,
        ),
        Error::Store(StoreError::NotFound) => (S::NOT_FOUND, "not_found", "Not found", None),
        Error::Store(StoreError::UniqueViolation { .. }) => (S::CONFLICT, "conflict", "Conflict", None),
        Error::Store(StoreError::ForeignKeyViolation { .. }) => (
            S::UNPROCESSABLE_ENTITY,
            "invalid_reference",
            "A referenced record does not exist",
            None,
        ),
        Error::Store(StoreError::CheckViolation { .. }) => {
            (S::UNPROCESSABLE_ENTITY, "invalid_value", "Invalid value", None)
        }
        Error::Store(_) | Error::Crypto(_) | Error::Internal(_) => {
            (S::INTERNAL_SERVER_ERROR, "internal_error", "Internal error", None)
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code, title, field) = classify(&self);
        let detail = if status.is_server_error() {
            // The cause goes to the log (it holds no personal data), never to the caller.
            tracing::error!(error = %self, "request failed");
            "The request could not be completed; it has been logged.".to_owned()
        } else {
            self.to_string()
        };
        let mut body = json!({
            "type": format!("https://docs.austa.care/problems/{code}"),
            "title": title,
            "status": status.as_u16(),
            "detail": detail,
            "code": code,
        });
        if let Some(field) = field {
            body["field"] = json!(field);
        }
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match self {
            Error::RateLimited { retry_after_secs } => {
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    headers.insert(header::RETRY_AFTER, v);
                }
            }
            Error::Unauthenticated | Error::TotpRequired => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause() {
        let response = Error::internal("the key ring for 123 is broken").into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
    }

    #[test]
    fn statuses_follow_the_contract() {
        assert_eq!(
            classify(&Error::invalid("cpf", "invalid_cpf_check_digits", "x")).0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(classify(&Error::Unauthenticated).0, StatusCode::UNAUTHORIZED);
        assert_eq!(classify(&Error::conflict("cpf_taken", "x")).1, "cpf_taken");
        assert_eq!(
            classify(&Error::RateLimited { retry_after_secs: 5 }).0,
            StatusCode::TOO_MANY_REQUESTS
        );
    }
}
