//! The pure rules of Austa Care: identifiers, the enumerations the database checks, validation of
//! Brazilian documents and codes, the tenant scope and the access policy. Nothing here does I/O; the clock is a parameter.

pub mod access;
pub mod authorization;
pub mod consent;
pub mod enums;
pub mod gamification;
pub mod health_record;
pub mod ids;
pub mod reminders;
pub mod scope;
pub mod validation;

pub use enums::Vocabulary;
pub use ids::EntityId;
pub use scope::{Principal, Subject, TenantScope};
