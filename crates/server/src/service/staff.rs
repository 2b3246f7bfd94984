//! Staff accounts (admins and providers): e-mail and Argon2id password; admins also get a TOTP secret.

use austa_crypto::envelope::Field;
use austa_crypto::password;
use austa_crypto::totp::TotpSecret;
use austa_domain::access::{Action, Resource, Target};
use austa_domain::enums::{AuditAction, RiskLevel, Role};
use austa_domain::ids::{OrganizationId, UserId};
use austa_domain::{EntityId, Vocabulary};
use austa_store::model::User;
use austa_store::{StoreError, TxMode};
use secrecy::{ExposeSecret, SecretString};

use super::required_text;
use crate::audit::AuditEvent;
use crate::context::{Actor, Services};
use crate::error::{Error, Result};
use crate::guard::authorize;
use crate::transact;
use crate::work::Work;

pub const TOTP_FIELD: Field = Field::new("users", "totp_secret_encrypted");

pub struct NewStaff<'a> {
    pub organization: OrganizationId,
    pub role: Role,
    pub email: &'a str,
    pub name: &'a str,
    pub password: &'a SecretString,
}

/// The account, and for admins the `otpauth://` URI to enroll an authenticator (shown once).
pub struct CreatedStaff {
    pub user: User,
    pub totp_uri: Option<SecretString>,
}

/// Lower-cased, trimmed, shaped like `local@domain.tld`.
pub fn normalize_email(email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.matches('@').count() == 1;
    if valid {
        Ok(email)
    } else {
        Err(Error::invalid(
            "email",
            "invalid_email",
            "is not an e-mail address",
        ))
    }
}

pub async fn create(services: &Services, actor: &Actor, input: NewStaff<'_>) -> Result<CreatedStaff> {
    transact!(services, actor, TxMode::Write, |work| {
        create_in(work, input).await
    })
}

/// [`create`] inside a unit of work of the organization.
pub async fn create_in(work: &mut Work<'_>, input: NewStaff<'_>) -> Result<CreatedStaff> {
    if !matches!(input.role, Role::Admin | Role::Provider) {
        return Err(Error::invalid(
            "role",
            "invalid_role",
            "staff are admin or provider",
        ));
    }
    let email = normalize_email(input.email)?;
    let name = required_text("name", input.name, 200)?;
    password::check_strength(input.password.expose_secret())
        .map_err(|reason| Error::invalid("password", "weak_password", reason))?;
    let password_hash = password::hash(input.password.expose_secret())?;
    authorize(
        work,
        Action::Create,
        Resource::Staff,
        Target::in_organization(input.organization),
        None,
    )
    .await?;
    let services = work.services;
    let now = services.clock.now();
    let id = UserId::generate();
    let (totp_secret_encrypted, totp_uri) = if input.role == Role::Admin {
        let secret = TotpSecret::generate()?;
        let sealed = services
            .keys
            .encrypt(
                work.tx(),
                input.organization,
                TOTP_FIELD,
                id.as_uuid(),
                secret.as_bytes(),
            )
            .await?;
        (
            Some(sealed),
            Some(SecretString::from(secret.otpauth_uri(&email)?)),
        )
    } else {
        (None, None)
    };
    let user = User {
        id,
        organization_id: input.organization,
        role: input.role,
        name,
        cpf_encrypted: None,
        cpf_bidx: None,
        phone: None,
        whatsapp_id: None,
        email: Some(email),
        password_hash: Some(password_hash),
        totp_secret_encrypted,
        birth_date: None,
        language: "pt-BR".into(),
        timezone: "America/Sao_Paulo".into(),
        emergency_contact_encrypted: None,
        is_active: true,
        last_login_at: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    let created = work.tx().create(&user).await.map_err(|e| match e {
        StoreError::UniqueViolation { .. } => Error::conflict(
            "email_taken",
            "a person with this e-mail already exists in the organization",
        ),
        StoreError::ForeignKeyViolation { .. } => Error::NotFound,
        other => other.into(),
    })?;
    work.record(
        AuditEvent::personal(AuditAction::Create, "users", Some(id.as_uuid()))
            .in_organization(input.organization)
            .risk(RiskLevel::Medium),
    );
    work.record(
        AuditEvent::new(AuditAction::RoleChange, "users")
            .entity(id.as_uuid())
            .in_organization(input.organization)
            .risk(if input.role == Role::Admin {
                RiskLevel::High
            } else {
                RiskLevel::Medium
            })
            .detail("role", input.role.as_str()),
    );
    Ok(CreatedStaff {
        user: created,
        totp_uri,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            normalize_email("  Ana.Souza@Clinica.COM.br ").unwrap(),
            "ana.souza@clinica.com.br"
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@x.com",
            "a@b",
            "a b@c.com",
            "a@@c.com",
            "a@.com",
            "a@c.com.",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }
}
