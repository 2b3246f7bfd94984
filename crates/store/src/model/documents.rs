use austa_domain::enums::{DocumentType, OcrStatus, StorageProvider};
use austa_domain::ids::{AuthorizationId, DocumentId, MessageId, OrganizationId, ProviderId, UserId};
use time::{Date, OffsetDateTime};

crate::entity! {
    /// A medical document (photo or PDF): stored encrypted in object storage, read by OCR.
    Document in "documents" {
        id: DocumentId,
        tenancy: OrganizationColumn,
        mutability: Mutable,
        unique: ["documents_organization_id_storage_key_key" => ["organization_id", "storage_key"]],
        fields: {
            organization_id: OrganizationId,
            user_id: UserId,
            message_id: Option<MessageId>,
            authorization_id: Option<AuthorizationId>,
            document_type: DocumentType,
            /// File names often carry personal data, so they are encrypted too.
            file_name_encrypted: Option<Vec<u8>>,
            mime_type: String,
            size_bytes: i64,
            /// SHA-256 of the plaintext, hex.
            sha256: String,
            storage_provider: StorageProvider,
            storage_key: String,
            /// The document's own data key, wrapped by the organization's key.
            wrapped_key: Option<Vec<u8>>,
            ocr_status: OcrStatus,
            ocr_text_encrypted: Option<Vec<u8>>,
            ocr_confidence: Option<f64>,
            extracted_data_encrypted: Option<Vec<u8>>,
            health_keywords: serde_json::Value,
            verified_by: Option<ProviderId>,
            verified_at: Option<OffsetDateTime>,
            /// Kept at least until then (medical records: 20 years).
            retention_until: Option<Date>,
            created_at: OffsetDateTime,
            updated_at: OffsetDateTime,
            deleted_at: Option<OffsetDateTime>,
        }
    }
}
