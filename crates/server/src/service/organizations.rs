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
use crate::transact;
use crate::work::Work;

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
    transact!(services, &scoped, TxMode::Write, |work| {
        create_in(work, id, input).await
    })
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
        alert_webhook_secret_encrypted: None,
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

/// An organization as the API shows it. The WhatsApp access token is write-only: only whether one is
/// set is shown.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationView {
    pub id: OrganizationId,
    pub name: String,
    pub tax_id: String,
    pub hipaa_compliant: bool,
    pub data_retention_years: i64,
    pub is_active: bool,
    pub timezone: String,
    pub settings: serde_json::Value,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: time::OffsetDateTime,
}

pub fn view(org: Organization) -> OrganizationView {
    let mut settings = match org.settings {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    let mut whatsapp = match settings.remove("whatsapp") {
        Some(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    whatsapp.insert("phoneNumberId".into(), json!(org.whatsapp_phone_number_id));
    whatsapp.insert(
        "businessAccountId".into(),
        json!(org.whatsapp_business_account_id),
    );
    whatsapp.insert(
        "accessTokenSet".into(),
        json!(org.whatsapp_access_token_encrypted.is_some()),
    );
    settings.insert("whatsapp".into(), serde_json::Value::Object(whatsapp));
    let mut alerts = match settings.remove("alerts") {
        Some(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    alerts.insert(
        "signingSecretSet".into(),
        json!(org.alert_webhook_secret_encrypted.is_some()),
    );
    settings.insert("alerts".into(), serde_json::Value::Object(alerts));
    OrganizationView {
        id: org.id,
        name: org.name,
        tax_id: org.tax_id,
        hipaa_compliant: org.hipaa_compliant,
        data_retention_years: org.data_retention_years,
        is_active: org.is_active,
        timezone: org.timezone,
        settings: serde_json::Value::Object(settings),
        created_at: org.created_at,
        updated_at: org.updated_at,
    }
}

#[derive(Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WhatsappSettings {
    pub phone_number_id: Option<String>,
    pub business_account_id: Option<String>,
    /// Write-only.
    pub access_token: Option<String>,
    /// Name of an approved authentication template for login codes (else a text message is sent).
    pub otp_template: Option<String>,
    pub display_name: Option<String>,
    /// The number's Cloud API throughput (80 by default; 1000 on upgraded numbers).
    pub messages_per_second: Option<u64>,
    /// An approved template (no parameters) sent when a message fails outside the 24-hour window
    /// (Meta error 131047), asking the patient to write back: `{"name": …, "language": "pt_BR"}`.
    pub reengagement_template: Option<serde_json::Value>,
    /// An approved template for medication reminders outside the 24-hour window, with one body
    /// parameter (the medication's name): `{"name": …, "language": "pt_BR"}`.
    pub reminder_template: Option<serde_json::Value>,
    /// An approved template telling a patient their authorization changed, outside the window;
    /// body parameters: the protocol and the new status.
    pub authorization_template: Option<serde_json::Value>,
}

/// Where the organization's alerts (emergencies, hand-offs) are pushed as they happen.
#[derive(Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlertSettings {
    /// An `https://` (or, for a local receiver, `http://`) URL that receives each alert as JSON,
    /// signed: `X-Austa-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
    pub webhook_url: Option<String>,
    /// Write-only: the HMAC key (32 to 256 characters) the receiver verifies with.
    pub signing_secret: Option<String>,
}

/// The assistant that answers patients on WhatsApp.
#[derive(Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssistantSettings {
    /// `true` by default. When `false`, messages are still analysed and emergencies still answered
    /// and escalated (safety is never off), but the assistant says nothing else: staff answer.
    pub enabled: Option<bool>,
}

/// How the organization's gamification counts.
#[derive(Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GamificationSettings {
    /// Experience at which each level starts, from level 1 (0), strictly increasing; default a
    /// geometric curve (0, 100, 250, 475, …).
    pub levels: Option<Vec<i64>>,
    /// Engagement points a patient can earn in one local day (default 30).
    pub daily_engagement_cap: Option<i64>,
    /// Streak freezes granted each month (default 2).
    pub freezes_per_month: Option<i64>,
    /// Engagement points per event kind, e.g. `{"message_received": 1, "vital_sign_recorded": 5}`.
    pub engagement: Option<std::collections::BTreeMap<String, i64>>,
}

#[derive(Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingsChanges {
    pub gamification: Option<GamificationSettings>,
    pub whatsapp: Option<WhatsappSettings>,
    pub alerts: Option<AlertSettings>,
    pub assistant: Option<AssistantSettings>,
}

/// Where an organization's alert webhook key is sealed.
pub const ALERT_SECRET_FIELD: austa_crypto::envelope::Field =
    austa_crypto::envelope::Field::new("organizations", "alert_webhook_secret_encrypted");

#[derive(Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrganizationChanges {
    pub name: Option<String>,
    pub data_retention_years: Option<i64>,
    pub timezone: Option<String>,
    pub hipaa_compliant: Option<bool>,
    pub is_active: Option<bool>,
    pub settings: Option<SettingsChanges>,
}

/// Where an organization's WhatsApp access token is sealed.
pub const ACCESS_TOKEN_FIELD: austa_crypto::envelope::Field =
    austa_crypto::envelope::Field::new("organizations", "whatsapp_access_token_encrypted");

/// The organization's WhatsApp access token, opened with its key ring (`None`: not set).
pub fn whatsapp_token(
    ring: &austa_crypto::envelope::KeyRing,
    org: &Organization,
) -> Result<Option<secrecy::SecretString>> {
    let Some(sealed) = &org.whatsapp_access_token_encrypted else {
        return Ok(None);
    };
    let plain = ring.decrypt(ACCESS_TOKEN_FIELD, org.id.as_uuid(), sealed)?;
    let text = String::from_utf8(plain.to_vec()).map_err(Error::internal)?;
    Ok(Some(secrecy::SecretString::from(text)))
}

pub async fn get(work: &mut Work<'_>, id: OrganizationId) -> Result<OrganizationView> {
    use austa_domain::access::{Action, Resource, Target};
    crate::guard::authorize(
        work,
        Action::Read,
        Resource::Organization,
        Target::in_organization(id),
        Some(id.as_uuid()),
    )
    .await?;
    let org = work.tx().find::<Organization>(id).await?.ok_or(Error::NotFound)?;
    Ok(view(org))
}

/// The platform sees every organization; anyone else sees their own.
pub async fn list(work: &mut Work<'_>, query: ListQuery) -> Result<austa_store::Page<OrganizationView>> {
    let page = work.tx().list::<Organization>(&query).await?;
    Ok(austa_store::Page {
        items: page.items.into_iter().map(view).collect(),
        next: page.next,
    })
}

pub async fn update(
    work: &mut Work<'_>,
    id: OrganizationId,
    changes: OrganizationChanges,
) -> Result<OrganizationView> {
    use austa_domain::access::{Action, Resource, Target};
    crate::guard::authorize(
        work,
        Action::Update,
        Resource::Organization,
        Target::in_organization(id),
        Some(id.as_uuid()),
    )
    .await?;
    let mut org = work.tx().find::<Organization>(id).await?.ok_or(Error::NotFound)?;
    let mut fields: Vec<&str> = Vec::new();
    if let Some(name) = &changes.name {
        org.name = required_text("name", name, 200)?;
        fields.push("name");
    }
    if let Some(years) = changes.data_retention_years {
        // Lei 13.787/2018: patient records are kept at least 20 years.
        if !(20..=100).contains(&years) {
            return Err(Error::invalid(
                "dataRetentionYears",
                "out_of_range",
                "must be between 20 and 100 (Lei 13.787/2018)",
            ));
        }
        org.data_retention_years = years;
        fields.push("dataRetentionYears");
    }
    if let Some(zone) = &changes.timezone {
        org.timezone = super::patients::validate_timezone(zone)?;
        fields.push("timezone");
    }
    if let Some(flag) = changes.hipaa_compliant {
        org.hipaa_compliant = flag;
        fields.push("hipaaCompliant");
    }
    if let Some(active) = changes.is_active {
        if work.actor.role() != Role::System {
            return Err(Error::invalid(
                "isActive",
                "not_allowed",
                "only the platform activates or deactivates organizations",
            ));
        }
        org.is_active = active;
        fields.push("isActive");
    }
    let settings_changes = changes.settings.unwrap_or_default();
    if let Some(enabled) = settings_changes.assistant.and_then(|a| a.enabled) {
        let mut settings = match org.settings.clone() {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        settings.insert("assistant".into(), json!({"enabled": enabled}));
        org.settings = serde_json::Value::Object(settings);
        fields.push("settings.assistant.enabled");
    }
    if let Some(game) = settings_changes.gamification {
        apply_gamification_settings(&mut org, game, &mut fields)?;
    }
    if let Some(alerts) = settings_changes.alerts {
        apply_alert_settings(work, &mut org, alerts, &mut fields).await?;
    }
    if let Some(whatsapp) = settings_changes.whatsapp {
        if let Some(number) = &whatsapp.phone_number_id {
            if number.is_empty() || number.len() > 32 || !number.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::invalid(
                    "settings.whatsapp.phoneNumberId",
                    "invalid_phone_number_id",
                    "must be the digits of the Cloud API phone number id",
                ));
            }
            org.whatsapp_phone_number_id = Some(number.clone());
            fields.push("settings.whatsapp.phoneNumberId");
        }
        if let Some(account) = &whatsapp.business_account_id {
            if account.is_empty() || account.len() > 32 || !account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::invalid(
                    "settings.whatsapp.businessAccountId",
                    "invalid_business_account_id",
                    "must be digits",
                ));
            }
            org.whatsapp_business_account_id = Some(account.clone());
            fields.push("settings.whatsapp.businessAccountId");
        }
        if let Some(token) = &whatsapp.access_token {
            let token = required_text("settings.whatsapp.accessToken", token, 1024)?;
            let services = work.services;
            org.whatsapp_access_token_encrypted = Some(
                services
                    .keys
                    .encrypt(work.tx(), id, ACCESS_TOKEN_FIELD, id.as_uuid(), token.as_bytes())
                    .await?,
            );
            fields.push("settings.whatsapp.accessToken");
        }
        let new_token = whatsapp.access_token.is_some();
        let mut settings = match org.settings.clone() {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        let mut stored = match settings.remove("whatsapp") {
            Some(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        if let Some(template) = &whatsapp.otp_template {
            stored.insert(
                "otpTemplate".into(),
                json!(required_text("settings.whatsapp.otpTemplate", template, 512)?),
            );
            fields.push("settings.whatsapp.otpTemplate");
        }
        if let Some(display) = &whatsapp.display_name {
            stored.insert(
                "displayName".into(),
                json!(required_text("settings.whatsapp.displayName", display, 200)?),
            );
            fields.push("settings.whatsapp.displayName");
        }
        if let Some(rate) = whatsapp.messages_per_second {
            if !(1..=1000).contains(&rate) {
                return Err(Error::invalid(
                    "settings.whatsapp.messagesPerSecond",
                    "out_of_range",
                    "must be between 1 and 1000",
                ));
            }
            stored.insert("messagesPerSecond".into(), json!(rate));
            fields.push("settings.whatsapp.messagesPerSecond");
        }
        for (template, key, field) in [
            (
                &whatsapp.reengagement_template,
                "reengagementTemplate",
                "settings.whatsapp.reengagementTemplate",
            ),
            (
                &whatsapp.reminder_template,
                "reminderTemplate",
                "settings.whatsapp.reminderTemplate",
            ),
        ] {
            if let Some(template) = template {
                stored.insert(key.into(), template_setting(field, template)?);
                fields.push(field);
            }
        }
        if new_token {
            // A new token resumes a number paused by an expired one.
            stored.remove("paused");
        }
        settings.insert("whatsapp".into(), serde_json::Value::Object(stored));
        org.settings = serde_json::Value::Object(settings);
    }
    org.updated_at = work.services.clock.now();
    let updated = work.tx().update(&org).await.map_err(|e| match e {
        StoreError::UniqueViolation { .. } => Error::conflict(
            "phone_number_id_taken",
            "another organization uses this WhatsApp number",
        ),
        other => other.into(),
    })?;
    work.record(
        AuditEvent::new(AuditAction::SettingsChange, "organizations")
            .entity(id.as_uuid())
            .risk(
                if fields
                    .iter()
                    .any(|f| f.contains("accessToken") || f.contains("signingSecret"))
                {
                    austa_domain::enums::RiskLevel::High
                } else {
                    austa_domain::enums::RiskLevel::Medium
                },
            )
            .detail("fields", fields),
    );
    Ok(view(updated))
}

crate::redacted_debug!(OrganizationChanges);

async fn apply_alert_settings(
    work: &mut Work<'_>,
    org: &mut Organization,
    alerts: AlertSettings,
    fields: &mut Vec<&'static str>,
) -> Result<()> {
    let mut settings = match org.settings.clone() {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    let mut stored = match settings.remove("alerts") {
        Some(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    if let Some(url) = &alerts.webhook_url {
        if url.is_empty() {
            stored.remove("webhookUrl");
        } else {
            let parsed = url::Url::parse(url).map_err(|_| {
                Error::invalid(
                    "settings.alerts.webhookUrl",
                    "invalid_url",
                    "must be an absolute URL",
                )
            })?;
            if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() || url.len() > 2048
            {
                return Err(Error::invalid(
                    "settings.alerts.webhookUrl",
                    "invalid_url",
                    "must be an https:// (or http://) URL with a host",
                ));
            }
            stored.insert("webhookUrl".into(), json!(url));
        }
        fields.push("settings.alerts.webhookUrl");
    }
    if let Some(secret) = &alerts.signing_secret {
        if !(32..=256).contains(&secret.chars().count()) {
            return Err(Error::invalid(
                "settings.alerts.signingSecret",
                "invalid_secret",
                "must be 32 to 256 characters",
            ));
        }
        let services = work.services;
        org.alert_webhook_secret_encrypted = Some(
            services
                .keys
                .encrypt(
                    work.tx(),
                    org.id,
                    ALERT_SECRET_FIELD,
                    org.id.as_uuid(),
                    secret.as_bytes(),
                )
                .await?,
        );
        fields.push("settings.alerts.signingSecret");
    }
    settings.insert("alerts".into(), serde_json::Value::Object(stored));
    org.settings = serde_json::Value::Object(settings);
    Ok(())
}

/// The organization's alert webhook key, opened (`None`: not set).
pub fn alert_secret(
    ring: &austa_crypto::envelope::KeyRing,
    org: &Organization,
) -> Result<Option<secrecy::SecretString>> {
    let Some(sealed) = &org.alert_webhook_secret_encrypted else {
        return Ok(None);
    };
    let plain = ring.decrypt(ALERT_SECRET_FIELD, org.id.as_uuid(), sealed)?;
    let text = String::from_utf8(plain.to_vec()).map_err(Error::internal)?;
    Ok(Some(secrecy::SecretString::from(text)))
}

/// An approved template named in the settings: `{"name": "a_z_0_9", "language": "pt_BR"}`.
fn template_setting(field: &'static str, template: &serde_json::Value) -> Result<serde_json::Value> {
    let name = template.get("name").and_then(|n| n.as_str()).unwrap_or_default();
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(Error::invalid(
            format!("{field}.name"),
            "invalid_template",
            "must be a template name (a-z, 0-9, _)",
        ));
    }
    let language = template
        .get("language")
        .and_then(|l| l.as_str())
        .unwrap_or("pt_BR");
    Ok(json!({"name": name, "language": language}))
}

fn apply_gamification_settings(
    org: &mut Organization,
    game: GamificationSettings,
    fields: &mut Vec<&'static str>,
) -> Result<()> {
    let mut settings = match org.settings.clone() {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    let mut stored = match settings.remove("gamification") {
        Some(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    if let Some(levels) = game.levels {
        austa_domain::gamification::Levels::custom(levels.clone())
            .map_err(|e| Error::invalid("settings.gamification.levels", "invalid_levels", e))?;
        stored.insert("levels".into(), json!(levels));
        fields.push("settings.gamification.levels");
    }
    if let Some(cap) = game.daily_engagement_cap {
        if !(0..=10_000).contains(&cap) {
            return Err(Error::invalid(
                "settings.gamification.dailyEngagementCap",
                "out_of_range",
                "must be between 0 and 10000",
            ));
        }
        stored.insert("dailyEngagementCap".into(), json!(cap));
        fields.push("settings.gamification.dailyEngagementCap");
    }
    if let Some(freezes) = game.freezes_per_month {
        if !(0..=31).contains(&freezes) {
            return Err(Error::invalid(
                "settings.gamification.freezesPerMonth",
                "out_of_range",
                "must be between 0 and 31",
            ));
        }
        stored.insert("freezesPerMonth".into(), json!(freezes));
        fields.push("settings.gamification.freezesPerMonth");
    }
    if let Some(engagement) = game.engagement {
        for (kind, points) in &engagement {
            if !super::gamification::kinds::ALL.contains(&kind.as_str()) || !(0..=1000).contains(points) {
                return Err(Error::invalid(
                    "settings.gamification.engagement",
                    "invalid_engagement",
                    format!(
                        "event kinds are {}; points 0 to 1000",
                        super::gamification::kinds::ALL.join(", ")
                    ),
                ));
            }
        }
        stored.insert("engagement".into(), json!(engagement));
        fields.push("settings.gamification.engagement");
    }
    settings.insert("gamification".into(), serde_json::Value::Object(stored));
    org.settings = serde_json::Value::Object(settings);
    Ok(())
}
