//! A valid row for every table, with its parents: one synthetic organization's "world".

use austa_domain::enums::*;
use austa_domain::ids::*;
use austa_domain::{EntityId, Principal, TenantScope};
use austa_store::model::*;
use austa_store::{Store, TxMode};
use serde_json::json;
use time::OffsetDateTime;
use time::macros::date;

pub fn now() -> OffsetDateTime {
    austa_store::value::to_stored_precision(OffsetDateTime::now_utc())
}

/// A CNPJ-shaped tax id unique enough for tests (the store does not validate check digits).
fn tax_id(org: OrganizationId) -> String {
    let digits: String = org
        .as_uuid()
        .simple()
        .to_string()
        .chars()
        .rev()
        .filter(char::is_ascii_digit)
        .collect();
    format!("{:0<14}", &digits[..digits.len().min(14)])
}

pub fn organization() -> Organization {
    let id = OrganizationId::generate();
    Organization {
        id,
        name: "Clínica Exemplo".into(),
        tax_id: tax_id(id),
        hipaa_compliant: true,
        data_retention_years: 20,
        is_active: true,
        timezone: "America/Sao_Paulo".into(),
        settings: json!({"whatsapp": {"displayName": "Clínica Exemplo"}}),
        whatsapp_phone_number_id: Some(format!("1{}", &id.as_uuid().simple().to_string()[20..])),
        whatsapp_business_account_id: None,
        whatsapp_access_token_encrypted: Some(vec![1, 2, 3]),
        created_at: now(),
        updated_at: now(),
        deleted_at: None,
        alert_webhook_secret_encrypted: Some(vec![4, 5, 6]),
    }
}

/// A patient with a unique phone number (`n` distinguishes several in one organization).
pub fn patient(org: OrganizationId, n: u32) -> User {
    User {
        id: UserId::generate(),
        organization_id: org,
        role: Role::Patient,
        name: format!("Paciente {n}"),
        cpf_encrypted: Some(vec![9; 40]),
        cpf_bidx: Some(format!("bidx-{n}").into_bytes()),
        phone: Some(format!("+55119{:08}", n)),
        whatsapp_id: Some(format!("55119{:08}", n)),
        email: None,
        password_hash: None,
        totp_secret_encrypted: None,
        birth_date: Some(date!(1980 - 05 - 17)),
        language: "pt-BR".into(),
        timezone: "America/Manaus".into(),
        emergency_contact_encrypted: Some(vec![7; 32]),
        is_active: true,
        last_login_at: None,
        created_at: now(),
        updated_at: now(),
        deleted_at: None,
    }
}

pub fn staff(org: OrganizationId, role: Role, email: &str) -> User {
    User {
        role,
        name: "Dra. Exemplo".into(),
        cpf_encrypted: None,
        cpf_bidx: None,
        phone: None,
        whatsapp_id: None,
        email: Some(email.into()),
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        birth_date: None,
        emergency_contact_encrypted: None,
        ..patient(org, 0)
    }
}

/// One row in every table, all in one organization.
pub struct World {
    pub organization: Organization,
    pub patient: User,
    pub staff: User,
    pub provider: Provider,
    pub conversation: Conversation,
    pub message: Message,
    pub alert: Alert,
    pub authorization: Authorization,
    pub document: Document,
    pub health_data: HealthData,
    pub reminder: MedicationReminder,
    pub dose: MedicationDose,
    pub event: GamificationEvent,
    pub badge: Badge,
    pub transition: AuthorizationTransition,
    pub mission: Mission,
    pub health_points: HealthPoints,
    pub progress: OnboardingProgress,
    pub point_transaction: PointTransaction,
    pub tasy_integration: TasyIntegration,
    pub tasy_sync_log: TasySyncLog,
    pub audit_log: AuditLog,
    pub security: Security,
}

/// A row in each table of the security core.
pub struct Security {
    pub encryption_key: EncryptionKey,
    pub session: Session,
    pub api_key: ApiKey,
    pub otp_challenge: OtpChallenge,
    pub login_attempt: LoginAttempt,
    pub care_assignment: CareAssignment,
    pub break_glass_grant: BreakGlassGrant,
    pub idempotency_key: IdempotencyKey,
    pub job: Job,
    pub webhook_delivery: WebhookDelivery,
    pub consent: Consent,
    pub audit_chain_head: AuditChainHead,
    pub audit_checkpoint: AuditCheckpoint,
}

impl Security {
    pub fn new(org: OrganizationId, patient: UserId, staff: UserId) -> Self {
        let later = now() + time::Duration::hours(1);
        let unique = |seed: u8| {
            let mut bytes = uuid::Uuid::now_v7().as_bytes().to_vec();
            bytes.extend_from_slice(&[seed; 16]);
            bytes
        };
        Security {
            encryption_key: EncryptionKey {
                id: EncryptionKeyId::generate(),
                organization_id: org,
                version: 1,
                state: KeyState::Primary,
                wrapped_key: Some(vec![1; 73]),
                rotation_cursor: json!({}),
                retired_at: None,
                created_at: now(),
                updated_at: now(),
                deleted_at: None,
            },
            session: Session {
                id: SessionId::generate(),
                organization_id: org,
                user_id: staff,
                role: Role::Provider,
                token_hash: unique(1),
                expires_at: later,
                last_seen_at: now(),
                revoked_at: None,
                ip_address: Some("203.0.113.9".into()),
                user_agent: Some("conformance".into()),
                totp_step: Some(60_000_000),
                created_at: now(),
                updated_at: now(),
                deleted_at: None,
            },
            api_key: ApiKey {
                id: ApiKeyId::generate(),
                organization_id: Some(org),
                name: "integração".into(),
                role: Role::System,
                key_hash: unique(2),
                expires_at: None,
                last_used_at: None,
                revoked_at: None,
                created_at: now(),
                updated_at: now(),
                deleted_at: None,
            },
            otp_challenge: OtpChallenge {
                id: OtpChallengeId::generate(),
                organization_id: org,
                user_id: patient,
                code_hash: vec![3; 32],
                attempts: 0,
                expires_at: later,
                consumed_at: None,
                whatsapp_message_id: None,
                created_at: now(),
                updated_at: now(),
                deleted_at: None,
            },
            login_attempt: LoginAttempt {
                id: LoginAttemptId::generate(),
                organization_id: Some(org),
                account_hash: vec![4; 32],
                ip_address: Some("203.0.113.9".into()),
                succeeded: false,
                occurred_at: now(),
                created_at: now(),
                updated_at: now(),
                deleted_at: None,
            },
            care_assignment: CareAssignment {
                id: CareAssignmentId::generate(),
                organization_id: org,
                patient_id: patient,
                provider_user_id: staff,
                created_at: now(),
                updated_at: now(),
                deleted_at: None,
            },
            break_glass_grant: BreakGlassGrant {
                id: BreakGlassGrantId::generate(),
                organization_id: org,
                provider_user_id: staff,
                patient_id: patient,
                reason_encrypted: vec![6; 60],
                expires_at: later,
                revoked_at: None,
                created_at: now(),
                updated_at: now(),
                deleted_at: None,
            },
            idempotency_key: IdempotencyKey {
                id: IdempotencyKeyId::generate(),
                organization_id: Some(org),
                actor_key: format!("user:{staff}"),
                idempotency_key: format!("key-{}", uuid::Uuid::now_v7()),
                request_hash: vec![8; 32],
                status_code: None,
                response_encrypted: None,
                created_at: now(),
                updated_at: now(),
                deleted_at: None,
            },
            job: Job {
                id: JobId::generate(),
                organization_id: Some(org),
                kind: "conformance.test".into(),
                payload: json!({"n": 1}),
                status: JobStatus::Pending,
                attempts: 0,
                max_attempts: 5,
                run_at: now(),
                locked_until: None,
                locked_by: None,
                last_error: None,
                dedupe_key: Some(format!("dedupe-{}", uuid::Uuid::now_v7())),
                finished_at: None,
                created_at: now(),
                updated_at: now(),
                deleted_at: None,
            },
            webhook_delivery: WebhookDelivery {
                id: WebhookDeliveryId::generate(),
                organization_id: Some(org),
                channel: "WHATSAPP".into(),
                body_sha256: unique(9)[..32].to_vec(),
                body_encrypted: vec![1; 64],
                body_bytes: 537,
                received_at: now(),
                processed_at: None,
                created_at: now(),
                updated_at: now(),
                deleted_at: None,
            },
            consent: Consent {
                id: ConsentId::generate(),
                organization_id: org,
                user_id: patient,
                kind: ConsentKind::WhatsappMessages,
                granted: false,
                source: ConsentSource::WhatsappKeyword,
                message_id: None,
                recorded_at: now(),
                created_at: now(),
                terms_version: Some("2026-11".into()),
                channel: Some(ConsentChannel::Whatsapp),
            },
            audit_chain_head: AuditChainHead {
                id: AuditChainHeadId::generate(),
                organization_id: Some(org),
                chain_id: format!("{org}/0"),
                seq: 1,
                head_mac: vec![5; 32],
                created_at: now(),
                updated_at: now(),
                deleted_at: None,
            },
            audit_checkpoint: AuditCheckpoint {
                id: AuditCheckpointId::generate(),
                organization_id: Some(org),
                chain_id: format!("{org}/0"),
                seq: 1,
                head_mac: vec![5; 32],
                signature: vec![7; 64],
                signed_at: now(),
            },
        }
    }

    pub async fn create(&self, tx: &mut dyn austa_store::Tx) {
        tx.create(&self.encryption_key).await.unwrap();
        tx.create(&self.session).await.unwrap();
        tx.create(&self.api_key).await.unwrap();
        tx.create(&self.otp_challenge).await.unwrap();
        tx.create(&self.login_attempt).await.unwrap();
        tx.create(&self.care_assignment).await.unwrap();
        tx.create(&self.break_glass_grant).await.unwrap();
        tx.create(&self.idempotency_key).await.unwrap();
        tx.create(&self.job).await.unwrap();
        tx.create(&self.webhook_delivery).await.unwrap();
        tx.create(&self.consent).await.unwrap();
        tx.create(&self.audit_chain_head).await.unwrap();
        tx.create(&self.audit_checkpoint).await.unwrap();
    }
}

impl World {
    pub fn scope(&self) -> TenantScope {
        Principal::member(
            self.organization.id,
            Role::Admin,
            austa_domain::Subject::User(self.staff.id),
        )
        .scope()
    }

    /// Builds the rows (nothing is written).
    pub fn new() -> Self {
        let organization = organization();
        let org = organization.id;
        let patient = patient(org, 1);
        let staff = staff(org, Role::Provider, "medica@example.org");
        let provider = Provider {
            id: ProviderId::generate(),
            organization_id: org,
            user_id: staff.id,
            council: "CRM".into(),
            council_region: "SP".into(),
            council_number: "123456".into(),
            council_category: None,
            rqe: Some("54321".into()),
            specialties: json!(["cardiologia"]),
            cbo: Some("225125".into()),
            verification_status: ProviderVerification::Verified,
            verified_at: Some(now()),
            is_active: true,
            created_at: now(),
            updated_at: now(),
            deleted_at: None,
        };
        let conversation = Conversation {
            id: ConversationId::generate(),
            organization_id: org,
            user_id: patient.id,
            channel: "WHATSAPP".into(),
            business_phone_number_id: organization.whatsapp_phone_number_id.clone(),
            status: ConversationStatus::Active,
            priority: Priority::Normal,
            health_topics: json!(["pressao"]),
            medications_mentioned: json!(["losartana"]),
            symptoms_reported: json!(["dor de cabeça"]),
            ai_context_encrypted: None,
            assigned_provider_id: Some(provider.id),
            last_message_at: Some(now()),
            first_response_at: None,
            message_count: 1,
            metrics: json!({}),
            closed_at: None,
            created_at: now(),
            updated_at: now(),
            deleted_at: None,
        };
        let message = Message {
            id: MessageId::generate(),
            organization_id: org,
            conversation_id: conversation.id,
            user_id: patient.id,
            whatsapp_message_id: Some(format!("wamid.{}", uuid::Uuid::now_v7().simple())),
            business_phone_number_id: organization.whatsapp_phone_number_id.clone(),
            direction: MessageDirection::Inbound,
            message_type: MessageType::Text,
            content_encrypted: Some(vec![1; 48]),
            media_id: None,
            context_message_id: None,
            status: MessageStatus::Received,
            status_updated_at: None,
            error_code: None,
            error_title: None,
            sent_at: now(),
            delivered_at: None,
            read_at: None,
            ai_processed: true,
            ai_confidence: Some(0.91),
            ai_intent: Some("symptom_report".into()),
            ai_entities: json!([{"type": "symptom", "normalized": "dor de cabeça"}]),
            health_keywords: json!(["dor de cabeça"]),
            urgency_level: Some(UrgencyLevel::Medium),
            metadata: json!({"profileName": null}),
            created_at: now(),
            updated_at: now(),
            deleted_at: None,
        };
        let alert = Alert {
            id: AlertId::generate(),
            organization_id: org,
            user_id: patient.id,
            conversation_id: Some(conversation.id),
            message_id: Some(message.id),
            kind: AlertKind::Emergency,
            status: AlertStatus::Open,
            urgency_level: UrgencyLevel::Emergency,
            reason: "chest_pain".into(),
            acknowledged_by: None,
            acknowledged_at: None,
            resolved_at: None,
            pushed_at: None,
            created_at: now(),
            updated_at: now(),
            deleted_at: None,
            authorization_id: None,
        };
        let authorization = Authorization {
            id: AuthorizationId::generate(),
            organization_id: org,
            user_id: patient.id,
            requesting_provider_id: Some(provider.id),
            protocol_number: format!("2026{}", &uuid::Uuid::now_v7().simple().to_string()[18..]),
            procedures: json!([{"tussCode": "40304361", "quantity": 1}]),
            care_character: CareCharacter::Elective,
            priority: Priority::Normal,
            status: AuthorizationStatus::Requested,
            clinical_encrypted: Some(vec![3; 64]),
            due_at: Some(now() + time::Duration::days(7)),
            decided_at: None,
            decided_by: None,
            authorization_password: None,
            password_valid_until: None,
            denial_reason: None,
            denial_clause: None,
            tasy_external_id: None,
            tasy_sync_status: Some(SyncStatus::Pending),
            insurance_claim_ref: None,
            created_at: now(),
            updated_at: now(),
            deleted_at: None,
            service_type: Some(ServiceType::LabTest),
        };
        let document = Document {
            id: DocumentId::generate(),
            organization_id: org,
            user_id: patient.id,
            message_id: Some(message.id),
            authorization_id: Some(authorization.id),
            document_type: DocumentType::MedicalOrder,
            file_name_encrypted: Some(vec![4; 20]),
            mime_type: "application/pdf".into(),
            size_bytes: 48_213,
            sha256: "a".repeat(64),
            storage_provider: StorageProvider::Local,
            storage_key: format!("{org}/{}", uuid::Uuid::now_v7()),
            wrapped_key: Some(vec![5; 60]),
            ocr_status: OcrStatus::Pending,
            ocr_text_encrypted: None,
            ocr_confidence: None,
            extracted_data_encrypted: None,
            health_keywords: json!([]),
            verified_by: None,
            verified_at: None,
            retention_until: Some(date!(2046 - 11 - 28)),
            created_at: now(),
            updated_at: now(),
            deleted_at: None,
        };
        let health_data = HealthData {
            id: HealthDataId::generate(),
            organization_id: org,
            user_id: patient.id,
            data_type: HealthDataType::VitalSign,
            data_encrypted: vec![6; 80],
            notes_encrypted: None,
            sensitivity_level: SensitivityLevel::Sensitive,
            access_level: AccessLevel::CareTeam,
            source: DataSource::Whatsapp,
            reliability_score: 0.6,
            recorded_at: now(),
            verified_by: Some(provider.id),
            verified_at: Some(now()),
            expires_at: None,
            is_active: true,
            message_id: Some(message.id),
            document_id: Some(document.id),
            created_by: Some(patient.id),
            created_at: now(),
            updated_at: now(),
            deleted_at: None,
        };
        let reminder = MedicationReminder {
            id: MedicationReminderId::generate(),
            organization_id: org,
            user_id: patient.id,
            health_data_id: health_data.id,
            times: json!(["08:00", "20:00"]),
            is_active: true,
            created_by: Some(patient.id),
            checked_until: now(),
            created_at: now(),
            updated_at: now(),
            deleted_at: None,
        };
        let dose = MedicationDose {
            id: MedicationDoseId::generate(),
            organization_id: org,
            user_id: patient.id,
            reminder_id: reminder.id,
            scheduled_at: now(),
            status: DoseStatus::Taken,
            delivery: DoseDelivery::Text,
            message_id: None,
            responded_at: Some(now()),
            created_at: now(),
            updated_at: now(),
            deleted_at: None,
        };
        let event = GamificationEvent {
            id: GamificationEventId::generate(),
            organization_id: org,
            user_id: patient.id,
            kind: "vital_sign.recorded".into(),
            event_key: format!("health_data:{}", health_data.id),
            occurred_at: now(),
            local_date: "2026-11-28".into(),
            detail: json!({"kind": "blood_pressure"}),
            points: 5,
            created_at: now(),
        };
        let badge = Badge {
            id: BadgeId::generate(),
            organization_id: org,
            user_id: patient.id,
            code: "primeiros-passos".into(),
            mission_id: None,
            awarded_at: now(),
            is_public: false,
            created_at: now(),
            updated_at: now(),
            deleted_at: None,
        };
        let transition = AuthorizationTransition {
            id: AuthorizationTransitionId::generate(),
            organization_id: org,
            authorization_id: authorization.id,
            from_status: AuthorizationStatus::Requested,
            to_status: AuthorizationStatus::UnderReview,
            actor_id: Some(staff.id),
            actor_role: Role::Provider,
            reason_encrypted: Some(vec![8; 40]),
            occurred_at: now(),
            created_at: now(),
        };
        let mission = Mission {
            id: MissionId::generate(),
            organization_id: org,
            code: "lgpd-consent".into(),
            version: 1,
            title: "Aceite o termo de consentimento".into(),
            description: "Leia e aceite o termo LGPD para começar.".into(),
            category: MissionCategory::Onboarding,
            difficulty: Difficulty::Easy,
            points: 50,
            prerequisites: json!([]),
            available_from: None,
            available_until: None,
            repeatability: Repeatability::Once,
            badge: Some("primeiros-passos".into()),
            completion_rule: json!({"event": "consent.accepted", "count": 1}),
            is_active: true,
            published_at: Some(now()),
            created_at: now(),
            updated_at: now(),
            deleted_at: None,
        };
        let health_points = HealthPoints {
            id: HealthPointsId::generate(),
            organization_id: org,
            user_id: patient.id,
            balance: 50,
            experience: 50,
            level: 1,
            current_streak: 1,
            longest_streak: 1,
            last_activity_on: Some(date!(2026 - 11 - 28)),
            streak_freezes_available: 2,
            created_at: now(),
            updated_at: now(),
            deleted_at: None,
            weekly_streak: 0,
            longest_weekly_streak: 0,
            last_active_week: None,
            freezes_month: None,
            leaderboard_opt_in: false,
            leaderboard_name: None,
        };
        let progress = OnboardingProgress {
            id: OnboardingProgressId::generate(),
            organization_id: org,
            user_id: patient.id,
            mission_id: mission.id,
            mission_version: 1,
            period_key: "once".into(),
            status: ProgressStatus::Completed,
            steps_done: 1,
            steps_required: 1,
            attempts: 1,
            started_at: Some(now()),
            completed_at: Some(now()),
            time_spent_seconds: 42,
            points_awarded: 50,
            badge_awarded: Some("primeiros-passos".into()),
            created_at: now(),
            updated_at: now(),
            deleted_at: None,
        };
        let point_transaction = PointTransaction {
            id: PointTransactionId::generate(),
            organization_id: org,
            user_id: patient.id,
            amount: 50,
            source: PointSource::Mission,
            reason: "mission completed".into(),
            mission_id: Some(mission.id),
            idempotency_key: format!("mission:{}:once", mission.id),
            balance_after: 50,
            metadata: json!({}),
            created_by: None,
            created_at: now(),
        };
        let tasy_integration = TasyIntegration {
            id: TasyIntegrationId::generate(),
            organization_id: org,
            name: "Tasy produção".into(),
            protocol: TasyProtocol::Rest,
            endpoint_url: "https://tasy.example.org/api".into(),
            credentials_encrypted: Some(vec![8; 40]),
            sync_direction: SyncDirection::Bidirectional,
            sync_interval_seconds: 900,
            last_sync_at: None,
            last_sync_status: None,
            settings: json!({}),
            is_active: true,
            created_at: now(),
            updated_at: now(),
            deleted_at: None,
        };
        let tasy_sync_log = TasySyncLog {
            id: TasySyncLogId::generate(),
            organization_id: org,
            integration_id: tasy_integration.id,
            entity_type: "authorization".into(),
            entity_id: Some(authorization.id.as_uuid()),
            direction: SyncDirection::Outbound,
            status: SyncStatus::InProgress,
            started_at: now(),
            finished_at: None,
            records_processed: 0,
            records_failed: 0,
            error_code: None,
            error_message: None,
            payload_sha256: None,
            created_at: now(),
            updated_at: now(),
            deleted_at: None,
        };
        let audit_log = AuditLog {
            id: AuditLogId::generate(),
            organization_id: Some(org),
            actor_id: Some(staff.id.as_uuid()),
            actor_role: Some(Role::Provider),
            action: AuditAction::Read,
            entity_type: "health_data".into(),
            entity_id: Some(health_data.id.as_uuid()),
            ip_address: Some("203.0.113.7".into()),
            user_agent: Some("conformance".into()),
            risk_level: RiskLevel::Medium,
            hipaa_relevant: true,
            lgpd_relevant: true,
            sensitive_data: true,
            requires_review: false,
            occurred_at: now(),
            related_ids: json!({"patientId": patient.id}),
            details: json!({}),
            request_id: None,
            chain_id: Some(format!("{org}/0")),
            chain_seq: Some(1),
            entry_mac: Some(vec![5; 32]),
        };
        let security = Security::new(org, patient.id, staff.id);
        World {
            organization,
            patient,
            staff,
            provider,
            conversation,
            message,
            alert,
            authorization,
            document,
            health_data,
            reminder,
            dose,
            event,
            badge,
            transition,
            mission,
            health_points,
            progress,
            point_transaction,
            tasy_integration,
            tasy_sync_log,
            audit_log,
            security,
        }
    }

    /// Builds and writes the world (the organization through the system scope, since it is the tenant).
    pub async fn create(store: &dyn Store) -> Self {
        let w = Self::new();
        let mut tx = store
            .begin(Principal::system().scope(), TxMode::Write)
            .await
            .unwrap();
        tx.create(&w.organization).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin(w.scope(), TxMode::Write).await.unwrap();
        tx.create(&w.patient).await.unwrap();
        tx.create(&w.staff).await.unwrap();
        tx.create(&w.provider).await.unwrap();
        tx.create(&w.conversation).await.unwrap();
        tx.create(&w.message).await.unwrap();
        tx.create(&w.alert).await.unwrap();
        tx.create(&w.authorization).await.unwrap();
        tx.create(&w.transition).await.unwrap();
        tx.create(&w.document).await.unwrap();
        tx.create(&w.health_data).await.unwrap();
        tx.create(&w.reminder).await.unwrap();
        tx.create(&w.dose).await.unwrap();
        tx.create(&w.event).await.unwrap();
        tx.create(&w.badge).await.unwrap();
        tx.create(&w.mission).await.unwrap();
        tx.create(&w.health_points).await.unwrap();
        tx.create(&w.progress).await.unwrap();
        tx.create(&w.point_transaction).await.unwrap();
        tx.create(&w.tasy_integration).await.unwrap();
        tx.create(&w.tasy_sync_log).await.unwrap();
        tx.create(&w.audit_log).await.unwrap();
        w.security.create(tx.as_mut()).await;
        tx.commit().await.unwrap();
        w
    }
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}
