//! Operations of the platform, each in a unit of work with its audit entries. Handlers and CLI
//! commands call these; the access policy decides before they run.

pub mod alerts;
pub mod api_keys;
pub mod assistant;
pub mod audit_logs;
pub mod auth;
pub mod authorization_notices;
pub mod authorizations;
pub mod break_glass;
pub mod care_team;
pub mod consents;
pub mod conversations;
pub mod documents;
pub mod gamification;
pub mod health_data;
pub mod inbound;
pub mod media;
pub mod missions;
pub mod onboarding;
pub mod organizations;
pub mod outbound;
pub mod patients;
pub mod points;
pub mod providers;
pub mod reminders;
pub mod retention;
pub mod staff;
pub mod webhooks;

use austa_domain::validation::ValidationError;

use crate::error::Error;

/// A validation failure of one field, as the API reports it (422 naming the field).
pub fn invalid(field: &str, error: ValidationError) -> Error {
    Error::invalid(field, error.code(), error.to_string())
}

/// A trimmed, non-empty, bounded text.
pub fn required_text(field: &str, value: &str, max_chars: usize) -> Result<String, Error> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::invalid(field, "required", "must not be empty"));
    }
    if value.chars().count() > max_chars {
        return Err(Error::invalid(
            field,
            "too_long",
            format!("must have at most {max_chars} characters"),
        ));
    }
    Ok(value.to_owned())
}
