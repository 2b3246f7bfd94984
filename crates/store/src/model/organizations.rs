use austa_domain::ids::OrganizationId;
use time::OffsetDateTime;

crate::entity! {
    /// A tenant: a hospital, clinic or lab with a CNPJ. Everything else belongs to exactly one.
    Organization in "organizations" {
        id: OrganizationId,
        tenancy: IsOrganization,
        mutability: Mutable,
        unique: [
            "organizations_tax_id_key" => ["tax_id"],
            "organizations_whatsapp_phone_number_id_key" => ["whatsapp_phone_number_id"],
        ],
        fields: {
            name: String,
            /// CNPJ, 14 upper-case characters (alphanumeric since July 2026).
            tax_id: String,
            hipaa_compliant: bool,
            data_retention_years: i64,
            is_active: bool,
            /// IANA zone for the organization's schedules (patients have their own).
            timezone: String,
            /// Non-secret settings (JSON object).
            settings: serde_json::Value,
            /// The WhatsApp business number (Cloud API `phone_number_id`) that routes webhooks here.
            whatsapp_phone_number_id: Option<String>,
            whatsapp_business_account_id: Option<String>,
            whatsapp_access_token_encrypted: Option<Vec<u8>>,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
            /// The key that signs alert pushes to the organization's webhook (HMAC-SHA256), sealed.
            alert_webhook_secret_encrypted: Option<Vec<u8>>,
        }
    }
}
