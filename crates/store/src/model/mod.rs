//! The fifteen tables of the schema document and the security core's ten, one module per area. `docs/data-model.md` explains each
//! table; columns ending in `_encrypted` hold ciphertext (envelope encryption), `_bidx` a blind index.

mod audit;
mod authorizations;
mod conversations;
mod documents;
mod gamification;
mod health;
mod jobs;
mod organizations;
mod people;
mod security;
mod tasy;

pub use audit::AuditLog;
pub use authorizations::{Authorization, AuthorizationTransition};
pub use conversations::{Alert, Conversation, Message};
pub use documents::Document;
pub use gamification::{
    Badge, GamificationEvent, HealthPoints, Mission, OnboardingProgress, PointTransaction,
};
pub use health::{HealthData, MedicationDose, MedicationReminder};
pub use jobs::{Consent, Job, WebhookDelivery};
pub use organizations::Organization;
pub use people::{Provider, User};
pub use security::{
    ApiKey, AuditChainHead, AuditCheckpoint, BreakGlassGrant, CareAssignment, EncryptionKey, IdempotencyKey,
    LoginAttempt, OtpChallenge, Session,
};
pub use tasy::{TasyIntegration, TasySyncLog};

use crate::entity::Entity;
use crate::table::TableDef;

/// Every table, parents before children (the order rows can be created in).
pub const ALL_TABLES: &[&TableDef] = &[
    Organization::TABLE,
    User::TABLE,
    Provider::TABLE,
    Conversation::TABLE,
    Message::TABLE,
    Authorization::TABLE,
    Document::TABLE,
    HealthData::TABLE,
    Mission::TABLE,
    HealthPoints::TABLE,
    OnboardingProgress::TABLE,
    PointTransaction::TABLE,
    TasyIntegration::TABLE,
    TasySyncLog::TABLE,
    AuditLog::TABLE,
    EncryptionKey::TABLE,
    Session::TABLE,
    ApiKey::TABLE,
    OtpChallenge::TABLE,
    LoginAttempt::TABLE,
    CareAssignment::TABLE,
    BreakGlassGrant::TABLE,
    IdempotencyKey::TABLE,
    AuditChainHead::TABLE,
    AuditCheckpoint::TABLE,
    Job::TABLE,
    WebhookDelivery::TABLE,
    Consent::TABLE,
    Alert::TABLE,
    MedicationReminder::TABLE,
    MedicationDose::TABLE,
    GamificationEvent::TABLE,
    Badge::TABLE,
    AuthorizationTransition::TABLE,
];

/// `<table>_pkey`, PostgreSQL's default name, used by both migration trees.
pub fn primary_key_name(table: &str) -> &'static str {
    match table {
        "organizations" => "organizations_pkey",
        "users" => "users_pkey",
        "providers" => "providers_pkey",
        "conversations" => "conversations_pkey",
        "messages" => "messages_pkey",
        "health_data" => "health_data_pkey",
        "missions" => "missions_pkey",
        "health_points" => "health_points_pkey",
        "onboarding_progress" => "onboarding_progress_pkey",
        "point_transactions" => "point_transactions_pkey",
        "authorizations" => "authorizations_pkey",
        "documents" => "documents_pkey",
        "tasy_integrations" => "tasy_integrations_pkey",
        "tasy_sync_logs" => "tasy_sync_logs_pkey",
        "audit_logs" => "audit_logs_pkey",
        "encryption_keys" => "encryption_keys_pkey",
        "sessions" => "sessions_pkey",
        "api_keys" => "api_keys_pkey",
        "otp_challenges" => "otp_challenges_pkey",
        "login_attempts" => "login_attempts_pkey",
        "care_assignments" => "care_assignments_pkey",
        "break_glass_grants" => "break_glass_grants_pkey",
        "idempotency_keys" => "idempotency_keys_pkey",
        "jobs" => "jobs_pkey",
        "webhook_deliveries" => "webhook_deliveries_pkey",
        "consents" => "consents_pkey",
        "alerts" => "alerts_pkey",
        "medication_reminders" => "medication_reminders_pkey",
        "medication_doses" => "medication_doses_pkey",
        "gamification_events" => "gamification_events_pkey",
        "badges" => "badges_pkey",
        "authorization_transitions" => "authorization_transitions_pkey",
        "audit_chain_heads" => "audit_chain_heads_pkey",
        "audit_checkpoints" => "audit_checkpoints_pkey",
        _ => "pkey",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{Mutability, Tenancy};

    #[test]
    fn every_table_has_an_id_first_and_a_tenant() {
        assert_eq!(ALL_TABLES.len(), 34);
        for t in ALL_TABLES {
            assert_eq!(t.columns[0].name, "id", "{}", t.name);
            assert!(t.has_column(t.tenant_column()), "{}", t.name);
            assert_eq!(primary_key_name(t.name), format!("{}_pkey", t.name));
            if t.tenancy == Tenancy::OrganizationColumn {
                assert_eq!(
                    t.columns[1].name, "organization_id",
                    "{} leads with its tenant",
                    t.name
                );
            }
            if t.mutability == Mutability::Mutable {
                assert!(t.soft_deletes(), "{} must soft-delete", t.name);
                assert!(t.has_column("updated_at"), "{}", t.name);
            }
            for u in t.unique {
                assert!(
                    u.name.len() <= 63,
                    "{} exceeds PostgreSQL's identifier length",
                    u.name
                );
                for c in u.columns {
                    assert!(t.has_column(c), "{}.{}", t.name, c);
                }
            }
        }
    }

    #[test]
    fn column_names_are_unique_per_table() {
        for t in ALL_TABLES {
            let mut names: Vec<_> = t.columns.iter().map(|c| c.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), t.columns.len(), "{}", t.name);
        }
    }
}
