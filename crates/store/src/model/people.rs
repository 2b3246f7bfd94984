use austa_domain::enums::{ProviderVerification, Role};
use austa_domain::ids::{OrganizationId, ProviderId, UserId};
use time::{Date, OffsetDateTime};

crate::entity! {
    /// A person of the organization: a beneficiary (patient) or staff (provider, admin).
    User in "users" {
        id: UserId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: [
            "users_organization_id_phone_key" => ["organization_id", "phone"],
            "users_organization_id_cpf_bidx_key" => ["organization_id", "cpf_bidx"],
            "users_organization_id_email_key" => ["organization_id", "email"],
        ],
        fields: {
            organization_id: OrganizationId,
            role: Role,
            name: String,
            cpf_encrypted: Option<Vec<u8>>,
            /// Keyed blind index of the CPF digits: lookups and uniqueness without the plaintext.
            cpf_bidx: Option<Vec<u8>>,
            /// E.164 (`+5511987654321`).
            phone: Option<String>,
            /// The WhatsApp id Meta reports for this person (digits, may lack the ninth digit).
            whatsapp_id: Option<String>,
            /// Lower-cased.
            email: Option<String>,
            password_hash: Option<String>,
            totp_secret_encrypted: Option<Vec<u8>>,
            birth_date: Option<Date>,
            language: String,
            timezone: String,
            emergency_contact_encrypted: Option<Vec<u8>>,
            is_active: bool,
            last_login_at: Option<OffsetDateTime>,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}

crate::entity! {
    /// A health professional's registration (council licence, specialties), tied to a staff user.
    Provider in "providers" {
        id: ProviderId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: [
            "providers_organization_id_user_id_key" => ["organization_id", "user_id"],
            "providers_organization_id_licence_key" =>
                ["organization_id", "council", "council_region", "council_number"],
        ],
        fields: {
            organization_id: OrganizationId,
            user_id: UserId,
            /// CRM, COREN, CRF, CRO, CRP…
            council: String,
            /// UF (`SP`), or the numbered CRP region (`06`).
            council_region: String,
            council_number: String,
            /// COREN category (ENF, TE, AE, OBST, PAR).
            council_category: Option<String>,
            /// Specialist registration (RQE) for doctors.
            rqe: Option<String>,
            specialties: serde_json::Value,
            cbo: Option<String>,
            verification_status: ProviderVerification,
            verified_at: Option<OffsetDateTime>,
            is_active: bool,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}
