//! API keys for machines (role `system`): shown once, stored as SHA-256, revocable.

use austa_crypto::token::{Token, TokenKind};
use austa_domain::enums::{AuditAction, RiskLevel, Role};
use austa_domain::ids::{ApiKeyId, OrganizationId};
use austa_domain::{EntityId, Principal, Vocabulary};
use austa_store::model::ApiKey;
use austa_store::{StoreError, TxMode};

use super::required_text;
use crate::audit::AuditEvent;
use crate::context::{Actor, Services};
use crate::error::{Error, Result};
use crate::work::Work;

pub struct CreatedKey {
    pub key: ApiKey,
    /// The clear key: printed once, never stored.
    pub token: Token,
}

/// A key for one organization, or (`None`) for the whole platform.
pub async fn create(
    services: &Services,
    actor: &Actor,
    organization: Option<OrganizationId>,
    role: Role,
    name: &str,
) -> Result<CreatedKey> {
    if role != Role::System {
        return Err(Error::invalid(
            "role",
            "invalid_role",
            "API keys have the system role",
        ));
    }
    let name = required_text("name", name, 200)?;
    let token = Token::generate(TokenKind::ApiKey)?;
    let now = services.clock.now();
    let key = ApiKey {
        id: ApiKeyId::generate(),
        organization_id: organization,
        name,
        role,
        key_hash: token.hash().to_vec(),
        expires_at: None,
        last_used_at: None,
        revoked_at: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    let scope_actor = Actor {
        principal: organization.map_or_else(Principal::system, Principal::system_for),
        ..actor.clone()
    };
    let mut work = Work::begin(services, &scope_actor, TxMode::Write).await?;
    let created = work.tx().create(&key).await.map_err(|e| match e {
        StoreError::ForeignKeyViolation { .. } => Error::NotFound,
        other => other.into(),
    })?;
    let mut event = AuditEvent::new(AuditAction::KeyChange, "api_keys")
        .entity(key.id.as_uuid())
        .risk(RiskLevel::High)
        .detail("change", "create")
        .detail("role", role.as_str());
    if let Some(org) = organization {
        event = event.in_organization(org);
    }
    work.record(event);
    work.commit().await?;
    Ok(CreatedKey { key: created, token })
}

/// Revokes a key at once: the next request with it is refused.
pub async fn revoke(services: &Services, actor: &Actor, id: ApiKeyId) -> Result<ApiKey> {
    let platform = Actor {
        principal: Principal::system(),
        ..actor.clone()
    };
    let now = services.clock.now();
    crate::transact!(services, &platform, TxMode::Write, |work| {
        let key = work.tx().find::<ApiKey>(id).await?.ok_or(Error::NotFound)?;
        if key.revoked_at.is_some() {
            return Ok(key);
        }
        let revoked = work
            .tx()
            .update(&ApiKey {
                revoked_at: Some(now),
                updated_at: now,
                ..key
            })
            .await?;
        let mut event = AuditEvent::new(AuditAction::KeyChange, "api_keys")
            .entity(id.as_uuid())
            .risk(RiskLevel::High)
            .detail("change", "revoke");
        if let Some(org) = revoked.organization_id {
            event = event.in_organization(org);
        }
        work.record(event);
        Ok(revoked)
    })
}
