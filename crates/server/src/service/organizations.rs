//! Organizations (tenants): created by the platform, each with its first data key and its audit chains.

use austa_domain::enums::AuditAction;
use austa_domain::enums::Role;
use austa_domain::ids::OrganizationId;
use austa_domain::validation::Cnpj;
use austa_domain::{EntityId, Principal};
use austa_store::model::Organization;
use austa_store::{ListQuery, StoreError, TxMode, Value};
use serde_json::json;

use super::{invalid, required_text};
use crate::audit::AuditEvent;
use crate::context::{Actor, Services};
use crate::error::{Error, Result};
use crate::work::{Work, transact};

pub struct NewOrganization<'a> {
    pub name: &'a str,
    pub tax_id: &'a str,
}

/// Creates an organization with its first data key and empty audit chains, in one transaction.
pub async fn create(services: &Services, actor: &Actor, input: NewOrganization<'_>) -> Result<Organization> {
    let id = OrganizationId::generate();
    // The new tenant's own scope: the organization row is its own tenant row.
    let scoped = Actor {
        principal: Principal::system_for(id),
        ..actor.clone()
    };
    transact(services, &scoped, TxMode::Write, async |work| {
        create_in(work, id, input).await
    })
    .await
}

/// [`create`] inside a unit of work whose scope is the new organization (or the platform).
pub async fn create_in(
    work: &mut Work<'_>,
    id: OrganizationId,
    input: NewOrganization<'_>,
) -> Result<Organization> {
    if work.actor.role() != Role::System {
        return Err(Error::Forbidden);
    }
    let name = required_text("name", input.name, 200)?;
    let cnpj = Cnpj::parse(input.tax_id).map_err(|e| invalid("taxId", e))?;
    let now = work.services.clock.now();
    let org = Organization {
        id,
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
    let created = work.tx().create(&org).await.map_err(|e| match e {
        StoreError::UniqueViolation { .. } => {
            Error::conflict("tax_id_taken", "an organization with this CNPJ already exists")
        }
        other => other.into(),
    })?;
    let services = work.services;
    services.keys.create_first(work.tx(), id, now).await?;
    services.audit.create_heads(work.tx(), Some(id), now).await?;
    work.record(
        AuditEvent::new(AuditAction::Create, "organizations")
            .entity(id.as_uuid())
            .in_organization(id),
    );
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
