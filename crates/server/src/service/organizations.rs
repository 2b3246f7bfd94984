//! Organizations (tenants): created by the platform, each with its first data key and its audit chains.

use austa_domain::EntityId;
use austa_domain::enums::AuditAction;
use austa_domain::ids::OrganizationId;
use austa_domain::validation::Cnpj;
use austa_store::model::Organization;
use austa_store::{ListQuery, StoreError, TxMode, Value};
use serde_json::json;

use super::{invalid, required_text};
use crate::audit::AuditEvent;
use crate::context::{Actor, Services};
use crate::error::{Error, Result};
use crate::work::Work;

pub struct NewOrganization<'a> {
    pub name: &'a str,
    pub tax_id: &'a str,
}

/// Creates an organization with its first data key and empty audit chains, in one transaction.
pub async fn create(services: &Services, actor: &Actor, input: NewOrganization<'_>) -> Result<Organization> {
    let name = required_text("name", input.name, 200)?;
    let cnpj = Cnpj::parse(input.tax_id).map_err(|e| invalid("taxId", e))?;
    let now = services.clock.now();
    let org = Organization {
        id: OrganizationId::generate(),
        name,
        tax_id: cnpj.as_str().to_owned(),
        hipaa_compliant: true,
        data_retention_years: 20,
        is_active: true,
        timezone: "America/Sao_Paulo".into(),
        settings: json!({}),
        whatsapp_phone_number_id: None,
        whatsapp_business_account_id: None,
        whatsapp_access_token_encrypted: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    // The tenant does not exist yet: only the platform scope can create it.
    let mut work = Work::begin(
        services,
        &Actor {
            principal: austa_domain::Principal::system(),
            ..actor.clone()
        },
        TxMode::Write,
    )
    .await?;
    let created = work.tx().create(&org).await.map_err(|e| match e {
        StoreError::UniqueViolation { .. } => {
            Error::conflict("tax_id_taken", "an organization with this CNPJ already exists")
        }
        other => other.into(),
    })?;
    services.keys.create_first(work.tx(), org.id, now).await?;
    services.audit.create_heads(work.tx(), Some(org.id), now).await?;
    work.record(
        AuditEvent::new(AuditAction::Create, "organizations")
            .entity(org.id.as_uuid())
            .in_organization(org.id),
    );
    work.commit().await?;
    Ok(created)
}

/// The organization with this CNPJ, if any (platform scope).
pub async fn find_by_tax_id(services: &Services, tax_id: &Cnpj) -> Result<Option<Organization>> {
    let mut tx = services
        .store
        .begin(austa_domain::Principal::system().scope(), TxMode::Read)
        .await?;
    let page = tx
        .list::<Organization>(&ListQuery::first(1).filter("tax_id", Value::Text(tax_id.as_str().to_owned())))
        .await?;
    tx.rollback().await?;
    Ok(page.items.into_iter().next())
}
