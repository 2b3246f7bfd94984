//! Providers: the council registration of a staff member (CRM, COREN, CRF, CRO, CRP… with UF or, for
//! CRP, numbered region), specialties, and its verification.

use std::str::FromStr;

use austa_domain::EntityId;
use austa_domain::access::{Action, Resource, Target};
use austa_domain::enums::{AuditAction, ProviderVerification, Role};
use austa_domain::ids::{OrganizationId, ProviderId, UserId};
use austa_domain::validation::{CorenCategory, Council, Licence, LicenceRegion, Uf};
use austa_store::model::{Provider, User};
use austa_store::{ListQuery, Page, StoreError, Value};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::invalid;
use crate::audit::AuditEvent;
use crate::error::{Error, Result};
use crate::guard::authorize;
use crate::work::Work;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderView {
    pub id: ProviderId,
    pub organization_id: OrganizationId,
    pub user_id: UserId,
    pub council: String,
    pub council_region: String,
    pub council_number: String,
    pub council_category: Option<String>,
    /// `CRM-SP 123456`, as printed on prescriptions.
    pub licence: String,
    pub rqe: Option<String>,
    pub specialties: serde_json::Value,
    pub cbo: Option<String>,
    pub verification_status: ProviderVerification,
    #[serde(with = "time::serde::rfc3339::option")]
    pub verified_at: Option<OffsetDateTime>,
    pub is_active: bool,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewProvider {
    pub user_id: UserId,
    pub council: String,
    /// A UF (`SP`), or for CRP the region number (`06`).
    pub council_region: String,
    pub council_number: String,
    pub council_category: Option<String>,
    pub rqe: Option<String>,
    #[serde(default)]
    pub specialties: Vec<String>,
    pub cbo: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProviderChanges {
    pub specialties: Option<Vec<String>>,
    pub rqe: Option<String>,
    pub cbo: Option<String>,
    pub verification_status: Option<ProviderVerification>,
    pub is_active: Option<bool>,
}

fn licence(council: &str, region: &str, number: &str, category: Option<&str>) -> Result<Licence> {
    let council = Council::from_str(council).map_err(|e| invalid("council", e))?;
    let region = if council.uses_numbered_region() {
        let n: u8 = region.trim().parse().map_err(|_| {
            Error::invalid(
                "councilRegion",
                "invalid_licence_region",
                "CRP regions are numbers 1 to 24",
            )
        })?;
        LicenceRegion::CrpRegion(n)
    } else {
        LicenceRegion::Uf(Uf::from_str(region).map_err(|e| invalid("councilRegion", e))?)
    };
    let category = category
        .map(CorenCategory::from_str)
        .transpose()
        .map_err(|e| invalid("councilCategory", e))?;
    Licence::new(council, region, number.trim(), category).map_err(|e| invalid("councilNumber", e))
}

fn specialties(list: &[String]) -> Result<serde_json::Value> {
    if list.len() > 20 {
        return Err(Error::invalid("specialties", "too_many", "at most 20"));
    }
    let cleaned = list
        .iter()
        .map(|s| super::required_text("specialties", s, 120))
        .collect::<Result<Vec<_>>>()?;
    Ok(serde_json::json!(cleaned))
}

pub fn view(p: Provider) -> ProviderView {
    let licence = match &p.council_category {
        Some(cat) => format!("{}-{} {}-{}", p.council, p.council_region, p.council_number, cat),
        None => format!("{}-{} {}", p.council, p.council_region, p.council_number),
    };
    ProviderView {
        id: p.id,
        organization_id: p.organization_id,
        user_id: p.user_id,
        council: p.council,
        council_region: p.council_region,
        council_number: p.council_number,
        council_category: p.council_category,
        licence,
        rqe: p.rqe,
        specialties: p.specialties,
        cbo: p.cbo,
        verification_status: p.verification_status,
        verified_at: p.verified_at,
        is_active: p.is_active,
    }
}

pub async fn create(work: &mut Work<'_>, org: OrganizationId, input: NewProvider) -> Result<ProviderView> {
    authorize(
        work,
        Action::Create,
        Resource::ProviderRegistration,
        Target::in_organization(org).person(input.user_id),
        None,
    )
    .await?;
    let licence = licence(
        &input.council,
        &input.council_region,
        &input.council_number,
        input.council_category.as_deref(),
    )?;
    match work.tx().find::<User>(input.user_id).await? {
        Some(user) if user.role == Role::Provider => {}
        Some(_) => {
            return Err(Error::invalid(
                "userId",
                "not_a_provider",
                "the user must have the provider role",
            ));
        }
        None => {
            return Err(Error::invalid(
                "userId",
                "not_found",
                "no such user in the organization",
            ));
        }
    }
    let now = work.services.clock.now();
    let provider = Provider {
        id: ProviderId::generate(),
        organization_id: org,
        user_id: input.user_id,
        council: licence.council().as_str().to_owned(),
        council_region: licence.region().to_string(),
        council_number: licence.number().to_owned(),
        council_category: licence.category().map(|c| c.as_str().to_owned()),
        rqe: input
            .rqe
            .as_deref()
            .map(|r| super::required_text("rqe", r, 20))
            .transpose()?,
        specialties: specialties(&input.specialties)?,
        cbo: input
            .cbo
            .as_deref()
            .map(|c| super::required_text("cbo", c, 10))
            .transpose()?,
        verification_status: ProviderVerification::Pending,
        verified_at: None,
        is_active: true,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    let created = work.tx().create(&provider).await.map_err(|e| match e {
        StoreError::UniqueViolation { constraint } if constraint.contains("licence") => Error::conflict(
            "licence_taken",
            "this council registration is already in the organization",
        ),
        StoreError::UniqueViolation { .. } => {
            Error::conflict("provider_exists", "this user already has a registration")
        }
        other => other.into(),
    })?;
    work.record(AuditEvent::new(AuditAction::Create, "providers").entity(provider.id.as_uuid()));
    Ok(view(created))
}

pub async fn list(work: &mut Work<'_>, org: OrganizationId, query: ListQuery) -> Result<Page<ProviderView>> {
    authorize(
        work,
        Action::Read,
        Resource::ProviderRegistration,
        Target::in_organization(org),
        None,
    )
    .await?;
    let page = work.tx().list::<Provider>(&query).await?;
    Ok(Page {
        items: page.items.into_iter().map(view).collect(),
        next: page.next,
    })
}

pub async fn get(work: &mut Work<'_>, id: ProviderId) -> Result<ProviderView> {
    let provider = work.tx().find::<Provider>(id).await?.ok_or(Error::NotFound)?;
    authorize(
        work,
        Action::Read,
        Resource::ProviderRegistration,
        Target::in_organization(provider.organization_id).person(provider.user_id),
        Some(id.as_uuid()),
    )
    .await?;
    Ok(view(provider))
}

pub async fn update(work: &mut Work<'_>, id: ProviderId, changes: ProviderChanges) -> Result<ProviderView> {
    let mut provider = work.tx().find::<Provider>(id).await?.ok_or(Error::NotFound)?;
    authorize(
        work,
        Action::Update,
        Resource::ProviderRegistration,
        Target::in_organization(provider.organization_id).person(provider.user_id),
        Some(id.as_uuid()),
    )
    .await?;
    let now = work.services.clock.now();
    let mut fields = Vec::new();
    if let Some(list) = &changes.specialties {
        provider.specialties = specialties(list)?;
        fields.push("specialties");
    }
    if let Some(rqe) = &changes.rqe {
        provider.rqe = Some(super::required_text("rqe", rqe, 20)?);
        fields.push("rqe");
    }
    if let Some(cbo) = &changes.cbo {
        provider.cbo = Some(super::required_text("cbo", cbo, 10)?);
        fields.push("cbo");
    }
    if let Some(status) = changes.verification_status {
        // Verifying a registration is an administrative act, never one's own.
        if !matches!(work.actor.role(), Role::Admin | Role::System) {
            return Err(Error::invalid(
                "verificationStatus",
                "not_allowed",
                "only admins verify registrations",
            ));
        }
        provider.verification_status = status;
        provider.verified_at = (status == ProviderVerification::Verified).then_some(now);
        fields.push("verificationStatus");
    }
    if let Some(active) = changes.is_active {
        if !matches!(work.actor.role(), Role::Admin | Role::System) {
            return Err(Error::invalid(
                "isActive",
                "not_allowed",
                "only admins change this",
            ));
        }
        provider.is_active = active;
        fields.push("isActive");
    }
    provider.updated_at = now;
    let updated = work.tx().update(&provider).await?;
    work.record(
        AuditEvent::new(AuditAction::Update, "providers")
            .entity(id.as_uuid())
            .detail("fields", fields),
    );
    Ok(view(updated))
}

/// Only used by the list filter: providers of one council.
pub fn council_filter(query: ListQuery, council: Option<&str>) -> Result<ListQuery> {
    match council {
        Some(c) => {
            let council = Council::from_str(c).map_err(|e| invalid("council", e))?;
            Ok(query.filter("council", Value::Text(council.as_str().into())))
        }
        None => Ok(query),
    }
}
