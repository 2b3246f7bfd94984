//! `austa seed --demo`: a living demo organization. Synthetic but valid people (CPF check digits,
//! Brazilian mobiles), Portuguese conversations, health records of every type, missions with points,
//! authorizations, a document and an ERP integration: a row in every table, all encrypted like real
//! data. The demo organization is found by its CNPJ, so running the seed again changes nothing.

pub mod pdf;
mod people;

use austa_crypto::envelope::Field;
use austa_crypto::token::{Token, TokenKind};
use austa_domain::EntityId;
use austa_domain::enums::*;
use austa_domain::ids::*;
use austa_domain::validation::Cnpj;
use austa_store::TxMode;
use austa_store::model::*;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::json;
use time::Duration;

use crate::audit::AuditEvent;
use crate::context::{Actor, Services};
use crate::error::{Error, Result};
use crate::service::{health_data, organizations, patients, staff};
use crate::transact;
use crate::work::Work;

pub const DEMO_NAME: &str = "Austa Care Demonstração";
pub const DEMO_CNPJ: &str = "11.222.333/0001-81";
pub const DEMO_PHONE_NUMBER_ID: &str = "100200300400500";
const CLINICAL_FIELD: Field = Field::new("authorizations", "clinical_encrypted");
const CREDENTIALS_FIELD: Field = Field::new("tasy_integrations", "credentials_encrypted");

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub organization_id: OrganizationId,
    pub created: bool,
    /// Demo logins, shown when the demo is created (synthetic accounts of a demo organization).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logins: Option<serde_json::Value>,
}

pub async fn demo(services: &Services) -> Result<Outcome> {
    let cnpj = Cnpj::parse(DEMO_CNPJ).map_err(Error::internal)?;
    if let Some(existing) = organizations::find_by_tax_id(services, &cnpj).await? {
        return Ok(Outcome {
            organization_id: existing.id,
            created: false,
            logins: None,
        });
    }
    let org_id = OrganizationId::generate();
    let system = Actor::system_for(org_id).with_user_agent("austa-seed");
    let password = SecretString::from(Token::generate(TokenKind::Session)?.expose()[8..28].to_owned());
    let password_ref = &password;
    // One transaction: an interrupted seed leaves nothing behind, so running it again starts afresh.
    let totp = transact!(services, &system, TxMode::Write, |work| {
        organizations::create_in(
            work,
            org_id,
            organizations::NewOrganization {
                name: DEMO_NAME,
                tax_id: DEMO_CNPJ,
            },
        )
        .await?;
        whatsapp_settings(work, org_id).await?;
        let staff = |role, email, name| staff::NewStaff {
            organization: org_id,
            role,
            email,
            name,
            password: password_ref,
        };
        let admin = staff::create_in(
            work,
            staff(Role::Admin, "admin@demo.austa.care", "Dra. Helena Prado"),
        )
        .await?;
        let doctor = staff::create_in(
            work,
            staff(Role::Provider, "medico@demo.austa.care", "Dr. Ricardo Tavares"),
        )
        .await?;
        let nurse = staff::create_in(
            work,
            staff(Role::Provider, "enfermeira@demo.austa.care", "Enf. Camila Duarte"),
        )
        .await?;
        let doctor_registration = providers(work, org_id, doctor.user.id, nurse.user.id).await?;
        let now = work.services.clock.now();

        let mut patient_ids = Vec::new();
        for (n, (name, birth, contact)) in people::PATIENTS.iter().enumerate() {
            let (contact_name, relationship) = contact.split_once('|').unwrap_or((contact, "familiar"));
            let input = patients::NewPatient {
                name: (*name).into(),
                cpf: Some(people::cpf(n as u32)),
                phone: people::phone(n as u32),
                email: None,
                birth_date: time::Date::parse(
                    birth,
                    time::macros::format_description!("[year]-[month]-[day]"),
                )
                .ok(),
                language: None,
                timezone: None,
                emergency_contact: Some(patients::EmergencyContact {
                    name: contact_name.into(),
                    phone: people::contact_phone(n as u32),
                    relationship: Some(relationship.into()),
                }),
            };
            let patient = patients::create(work, org_id, input).await?.id;
            for (data_type, data, sensitivity) in health_records(n) {
                let input = health_data::NewHealthData {
                    data_type,
                    data,
                    notes: None,
                    sensitivity_level: Some(sensitivity),
                    access_level: None,
                    source: Some(DataSource::Provider),
                    reliability_score: None,
                    recorded_at: None,
                    expires_at: None,
                };
                health_data::create(work, patient, input).await?;
            }
            conversation(work, org_id, patient, n, now).await?;
            patient_ids.push(patient);
        }
        for patient in patient_ids.iter().take(4) {
            work.tx()
                .create(&CareAssignment {
                    id: CareAssignmentId::generate(),
                    organization_id: org_id,
                    patient_id: *patient,
                    provider_user_id: doctor.user.id,
                    created_at: now,
                    updated_at: now,
                    deleted_at: None,
                })
                .await?;
        }
        work.record(AuditEvent::new(AuditAction::Create, "care_assignments").detail("count", 4));
        let missions = missions(work, org_id, now).await?;
        for (n, patient) in patient_ids.iter().enumerate() {
            gamification(work, org_id, *patient, &missions, n, now).await?;
        }
        let authorization = authorizations(work, org_id, patient_ids[0], doctor_registration, now).await?;
        document(work, patient_ids[0], authorization).await?;
        tasy(work, org_id, now).await?;
        Ok(admin.totp_uri.as_ref().map(|u| u.expose_secret().to_owned()))
    })?;
    Ok(Outcome {
        organization_id: org_id,
        created: true,
        logins: Some(json!({
            "password": password.expose_secret(),
            "admin": {"email": "admin@demo.austa.care", "totpUri": totp},
            "providers": ["medico@demo.austa.care", "enfermeira@demo.austa.care"],
        })),
    })
}

/// The demo's WhatsApp business number, with an (unusable) access token encrypted like a real one.
async fn whatsapp_settings(work: &mut Work<'_>, org_id: OrganizationId) -> Result<()> {
    let mut org = work.tx().get::<Organization>(org_id).await?;
    org.whatsapp_phone_number_id = Some(DEMO_PHONE_NUMBER_ID.into());
    org.whatsapp_business_account_id = Some("200300400500600".into());
    org.whatsapp_access_token_encrypted = Some(
        work.services
            .keys
            .encrypt(
                work.tx(),
                org_id,
                crate::service::organizations::ACCESS_TOKEN_FIELD,
                org_id.as_uuid(),
                b"demo-access-token",
            )
            .await?,
    );
    org.settings = json!({"whatsapp": {"displayName": DEMO_NAME}, "demo": true});
    org.updated_at = work.services.clock.now();
    work.tx().update(&org).await?;
    work.record(
        AuditEvent::new(AuditAction::SettingsChange, "organizations")
            .entity(org_id.as_uuid())
            .detail("fields", vec!["whatsapp"]),
    );
    Ok(())
}

/// Council registrations of the doctor (CRM-SP) and the nurse (COREN-SP); returns the doctor's.
async fn providers(
    work: &mut Work<'_>,
    org_id: OrganizationId,
    doctor: UserId,
    nurse: UserId,
) -> Result<ProviderId> {
    let now = work.services.clock.now();
    let doctor_registration = ProviderId::generate();
    for (id, user, council, number, category, specialties) in [
        (
            doctor_registration,
            doctor,
            "CRM",
            "123456",
            None,
            json!(["Clínica Médica", "Cardiologia"]),
        ),
        (
            ProviderId::generate(),
            nurse,
            "COREN",
            "654321",
            Some("ENF".to_owned()),
            json!(["Saúde da Família"]),
        ),
    ] {
        work.tx()
            .create(&Provider {
                id,
                organization_id: org_id,
                user_id: user,
                council: council.into(),
                council_region: "SP".into(),
                council_number: number.into(),
                council_category: category,
                rqe: None,
                specialties,
                cbo: None,
                verification_status: ProviderVerification::Verified,
                verified_at: Some(now),
                is_active: true,
                created_at: now,
                updated_at: now,
                deleted_at: None,
            })
            .await?;
        work.record(AuditEvent::new(AuditAction::Create, "providers").entity(id.as_uuid()));
    }
    Ok(doctor_registration)
}

fn health_records(n: usize) -> Vec<(HealthDataType, serde_json::Value, SensitivityLevel)> {
    let conditions = [
        ("E11.9", "Diabetes mellitus tipo 2"),
        ("I10", "Hipertensão essencial"),
        ("J45.9", "Asma"),
        ("E78.0", "Hipercolesterolemia pura"),
    ];
    let (cid, name) = conditions[n % conditions.len()];
    let medication = ["Metformina", "Losartana", "Budesonida", "Sinvastatina"][n % 4];
    let dosage = ["850 mg", "50 mg", "200 mcg", "20 mg"][n % 4];
    let symptom = [
        "dor de cabeça leve",
        "tosse seca há 3 dias",
        "cansaço ao subir escadas",
        "tontura ao levantar",
    ][n % 4];
    let mut records = vec![
        (
            HealthDataType::Condition,
            json!({"cid10": cid, "name": name, "status": "ACTIVE"}),
            SensitivityLevel::Sensitive,
        ),
        (
            HealthDataType::Medication,
            json!({"name": medication, "dosage": dosage, "frequency": "1x ao dia"}),
            SensitivityLevel::Sensitive,
        ),
        (
            HealthDataType::VitalSign,
            json!({"kind": "blood_pressure", "systolic": 118 + (n % 5) * 6, "diastolic": 76 + (n % 4) * 3}),
            SensitivityLevel::Internal,
        ),
        (
            HealthDataType::VitalSign,
            json!({"kind": "glucose", "value": 92 + (n % 6) * 11}),
            SensitivityLevel::Internal,
        ),
        (
            HealthDataType::Symptom,
            json!({"description": symptom, "intensity": 3 + n % 4}),
            SensitivityLevel::Internal,
        ),
        (
            HealthDataType::LabResult,
            json!({"test": "Hemoglobina glicada (HbA1c)", "value": 5.4 + (n % 5) as f64 * 0.6, "unit": "%", "referenceRange": "< 5,7 %"}),
            SensitivityLevel::Sensitive,
        ),
    ];
    if n % 4 == 1 {
        records.push((
            HealthDataType::Allergy,
            json!({"substance": "Dipirona", "severity": "SEVERE", "reaction": "urticária"}),
            SensitivityLevel::Sensitive,
        ));
    }
    if n % 5 == 2 {
        // Mental health: confidential, readable only by the care team, admins and break-glass.
        records.push((
            HealthDataType::Condition,
            json!({"cid10": "F32.1", "name": "Episódio depressivo moderado", "status": "ACTIVE"}),
            SensitivityLevel::Confidential,
        ));
    }
    records
}

async fn conversation(
    work: &mut Work<'_>,
    org: OrganizationId,
    patient: UserId,
    n: usize,
    now: time::OffsetDateTime,
) -> Result<()> {
    let exchanges: [&[(MessageDirection, &str)]; 4] = [
        &[
            (
                MessageDirection::Inbound,
                "Bom dia! Preciso renovar a receita da metformina",
            ),
            (
                MessageDirection::Outbound,
                "Bom dia! Vou encaminhar seu pedido para o Dr. Ricardo. Você está tomando 850 mg duas vezes ao dia?",
            ),
            (MessageDirection::Inbound, "Isso, uma no café e outra no jantar"),
        ],
        &[
            (
                MessageDirection::Inbound,
                "oi, minha pressão deu 13 por 8 hoje de manhã",
            ),
            (
                MessageDirection::Outbound,
                "Obrigado por avisar! 130/80 está dentro do esperado. Continue medindo no mesmo horário.",
            ),
        ],
        &[
            (
                MessageDirection::Inbound,
                "Qual o status da minha autorização da ressonância?",
            ),
            (
                MessageDirection::Outbound,
                "Sua solicitação está em análise. O prazo da ANS é de até 10 dias úteis; avisaremos por aqui.",
            ),
        ],
        &[
            (
                MessageDirection::Inbound,
                "tô com tosse faz 3 dias e um pouco de febre, 37,8",
            ),
            (
                MessageDirection::Outbound,
                "Entendi. Se tiver falta de ar, procure atendimento ou ligue 192 (SAMU). Quer agendar uma teleconsulta?",
            ),
            (MessageDirection::Inbound, "quero sim, pode ser amanhã de manhã"),
        ],
    ];
    let messages = exchanges[n % exchanges.len()];
    let topic = [
        "medicação",
        "pressão arterial",
        "autorização",
        "sintomas respiratórios",
    ][n % 4];
    let conversation_id = ConversationId::generate();
    let start = now - Duration::hours(2 + n as i64);
    let last = start + Duration::minutes(5 * messages.len() as i64);
    work.tx()
        .create(&Conversation {
            id: conversation_id,
            organization_id: org,
            user_id: patient,
            channel: "WHATSAPP".into(),
            business_phone_number_id: Some(DEMO_PHONE_NUMBER_ID.into()),
            status: if n % 4 == 3 {
                ConversationStatus::WaitingHuman
            } else {
                ConversationStatus::Active
            },
            priority: if n % 4 == 3 {
                Priority::High
            } else {
                Priority::Normal
            },
            health_topics: json!([topic]),
            medications_mentioned: if n.is_multiple_of(4) {
                json!(["metformina"])
            } else {
                json!([])
            },
            symptoms_reported: if n % 4 == 3 {
                json!(["tosse", "febre"])
            } else {
                json!([])
            },
            ai_context_encrypted: None,
            assigned_provider_id: None,
            last_message_at: Some(last),
            first_response_at: Some(start + Duration::minutes(5)),
            message_count: messages.len() as i64,
            metrics: json!({}),
            closed_at: None,
            created_at: start,
            updated_at: last,
            deleted_at: None,
        })
        .await?;
    for (i, (direction, text)) in messages.iter().enumerate() {
        let id = MessageId::generate();
        let content = json!({"text": text}).to_string();
        let sealed = work
            .services
            .keys
            .encrypt(
                work.tx(),
                org,
                crate::service::conversations::CONTENT_FIELD,
                id.as_uuid(),
                content.as_bytes(),
            )
            .await?;
        let sent = start + Duration::minutes(5 * i as i64);
        work.tx()
            .create(&Message {
                id,
                organization_id: org,
                conversation_id,
                user_id: patient,
                whatsapp_message_id: Some(format!("wamid.DEMO{}", id.as_uuid().simple())),
                business_phone_number_id: Some(DEMO_PHONE_NUMBER_ID.into()),
                direction: *direction,
                message_type: MessageType::Text,
                content_encrypted: Some(sealed),
                media_id: None,
                context_message_id: None,
                status: if *direction == MessageDirection::Inbound {
                    MessageStatus::Received
                } else {
                    MessageStatus::Read
                },
                status_updated_at: Some(sent),
                error_code: None,
                error_title: None,
                sent_at: sent,
                delivered_at: (*direction == MessageDirection::Outbound).then_some(sent),
                read_at: (*direction == MessageDirection::Outbound).then(|| sent + Duration::minutes(1)),
                ai_processed: false,
                ai_confidence: None,
                ai_intent: None,
                ai_entities: json!([]),
                health_keywords: json!([]),
                urgency_level: None,
                metadata: json!({}),
                created_at: sent,
                updated_at: sent,
                deleted_at: None,
            })
            .await?;
    }
    work.record(
        AuditEvent::health(
            AuditAction::Create,
            "conversations",
            Some(conversation_id.as_uuid()),
        )
        .related("patientId", patient.as_uuid()),
    );
    Ok(())
}

struct DemoMission {
    id: MissionId,
    points: i64,
    badge: Option<&'static str>,
}

async fn missions(
    work: &mut Work<'_>,
    org: OrganizationId,
    now: time::OffsetDateTime,
) -> Result<Vec<DemoMission>> {
    let definitions = [
        (
            "aceitar-lgpd",
            "Aceite o termo de privacidade",
            "Leia e aceite como cuidamos dos seus dados (LGPD).",
            MissionCategory::Onboarding,
            Difficulty::Easy,
            50,
            json!({"event": "consent_given", "count": 1}),
            None,
        ),
        (
            "foto-carteirinha",
            "Envie a foto da carteirinha",
            "Mande uma foto da sua carteirinha do plano pelo WhatsApp.",
            MissionCategory::Onboarding,
            Difficulty::Easy,
            50,
            json!({"event": "document_verified", "documentType": "HEALTH_CARD", "count": 1}),
            None,
        ),
        (
            "questionario-saude",
            "Responda o questionário de saúde",
            "Conte um pouco sobre sua saúde para cuidarmos melhor de você.",
            MissionCategory::Onboarding,
            Difficulty::Medium,
            100,
            json!({"event": "questionnaire_answered", "count": 1}),
            Some("primeiros-passos"),
        ),
        (
            "pressao-3x",
            "Meça a pressão 3 vezes na semana",
            "Registre sua pressão arterial três vezes em sete dias.",
            MissionCategory::Health,
            Difficulty::Medium,
            150,
            json!({"event": "vital_sign_recorded", "kind": "blood_pressure", "count": 3, "withinDays": 7}),
            None,
        ),
        (
            "remedio-7-dias",
            "Tome o remédio 7 dias seguidos",
            "Confirme que tomou sua medicação todos os dias por uma semana.",
            MissionCategory::Health,
            Difficulty::Hard,
            300,
            json!({"event": "medication_taken", "consecutiveDays": 7}),
            Some("constancia"),
        ),
    ];
    let mut out = Vec::new();
    let mut previous: Option<MissionId> = None;
    for (code, title, description, category, difficulty, points, rule, badge) in definitions {
        let id = MissionId::generate();
        let prerequisites = match (category, previous) {
            (MissionCategory::Onboarding, Some(p)) => json!([p]),
            _ => json!([]),
        };
        work.tx()
            .create(&Mission {
                id,
                organization_id: org,
                code: code.into(),
                version: 1,
                title: title.into(),
                description: description.into(),
                category,
                difficulty,
                points,
                prerequisites,
                available_from: None,
                available_until: None,
                repeatability: if code == "pressao-3x" {
                    Repeatability::Weekly
                } else {
                    Repeatability::Once
                },
                badge: badge.map(str::to_owned),
                completion_rule: rule,
                is_active: true,
                published_at: Some(now),
                created_at: now,
                updated_at: now,
                deleted_at: None,
            })
            .await?;
        if category == MissionCategory::Onboarding {
            previous = Some(id);
        }
        out.push(DemoMission { id, points, badge });
    }
    work.record(AuditEvent::new(AuditAction::Create, "missions").detail("count", out.len()));
    Ok(out)
}

async fn gamification(
    work: &mut Work<'_>,
    org: OrganizationId,
    patient: UserId,
    missions: &[DemoMission],
    n: usize,
    now: time::OffsetDateTime,
) -> Result<()> {
    // Patient n has completed the first (n % 4) onboarding missions.
    let completed = n % 4;
    let mut balance = 0;
    for (i, mission) in missions.iter().enumerate() {
        let done = i < completed;
        let status = if done {
            ProgressStatus::Completed
        } else if i == completed {
            ProgressStatus::Available
        } else {
            ProgressStatus::Locked
        };
        work.tx()
            .create(&OnboardingProgress {
                id: OnboardingProgressId::generate(),
                organization_id: org,
                user_id: patient,
                mission_id: mission.id,
                mission_version: 1,
                period_key: "once".into(),
                status,
                steps_done: i64::from(done),
                steps_required: 1,
                attempts: i64::from(done),
                started_at: done.then_some(now - Duration::days(3)),
                completed_at: done.then_some(now - Duration::days(2)),
                time_spent_seconds: if done { 90 + 30 * i as i64 } else { 0 },
                points_awarded: if done { mission.points } else { 0 },
                badge_awarded: if done {
                    mission.badge.map(str::to_owned)
                } else {
                    None
                },
                created_at: now,
                updated_at: now,
                deleted_at: None,
            })
            .await?;
        if done {
            balance += mission.points;
            work.tx()
                .create(&PointTransaction {
                    id: PointTransactionId::generate(),
                    organization_id: org,
                    user_id: patient,
                    amount: mission.points,
                    source: PointSource::Mission,
                    reason: "missão concluída".into(),
                    mission_id: Some(mission.id),
                    idempotency_key: format!("mission:{}:{}", mission.id, patient),
                    balance_after: balance,
                    metadata: json!({"seed": true}),
                    created_by: None,
                    created_at: now,
                })
                .await?;
        }
    }
    // Patients get their (empty) account when created; the demo fills it.
    let mut account = super::service::points::lock_account(work, patient).await?;
    account.balance = balance;
    account.experience = balance;
    account.level = 1 + i64::from(balance >= 120) + i64::from(balance >= 276);
    account.current_streak = (n % 5) as i64;
    account.longest_streak = (n % 5 + 2) as i64;
    account.last_activity_on = Some(now.date());
    account.streak_freezes_available = 1;
    account.updated_at = now;
    work.tx().update(&account).await?;
    Ok(())
}

async fn authorizations(
    work: &mut Work<'_>,
    org: OrganizationId,
    patient: UserId,
    provider: ProviderId,
    now: time::OffsetDateTime,
) -> Result<AuthorizationId> {
    let id = AuthorizationId::generate();
    let clinical = json!({"indication": "Dor lombar crônica com irradiação para membro inferior esquerdo", "cid10": "M54.5"}).to_string();
    let sealed = work
        .services
        .keys
        .encrypt(work.tx(), org, CLINICAL_FIELD, id.as_uuid(), clinical.as_bytes())
        .await?;
    work.tx()
        .create(&Authorization {
            id,
            organization_id: org,
            user_id: patient,
            requesting_provider_id: Some(provider),
            protocol_number: format!("{}{:06}", now.year(), id.as_uuid().as_u128() % 1_000_000),
            procedures: json!([{"tuss": "40304361", "description": "Hemograma com contagem de plaquetas", "quantity": 1}]),
            care_character: CareCharacter::Elective,
            priority: Priority::Normal,
            status: AuthorizationStatus::UnderReview,
            clinical_encrypted: Some(sealed),
            due_at: Some(now + Duration::days(7)),
            decided_at: None,
            decided_by: None,
            authorization_password: None,
            password_valid_until: None,
            denial_reason: None,
            denial_clause: None,
            tasy_external_id: None,
            tasy_sync_status: Some(SyncStatus::Pending),
            insurance_claim_ref: None,
            created_at: now,
            updated_at: now,
            deleted_at: None,
            service_type: Some(austa_domain::enums::ServiceType::HighComplexity),
        })
        .await?;
    work.record(
        AuditEvent::health(AuditAction::Create, "authorizations", Some(id.as_uuid()))
            .related("patientId", patient.as_uuid()),
    );
    Ok(id)
}

/// A real medical order (a PDF with a text layer), stored as an upload would be: sealed with its
/// own key, in the file store, queued for OCR.
async fn document(work: &mut Work<'_>, patient: UserId, authorization: AuthorizationId) -> Result<()> {
    let pdf = pdf::text_pdf(
        &[
            "PEDIDO DE EXAME",
            "Paciente em acompanhamento ambulatorial.",
            "Solicito: hemograma completo e glicemia de jejum.",
            "Indicação clínica: lombalgia (CID M54.5).",
            "Dra. Ana Ribeiro - CRM-SP 123456",
        ],
        13,
    );
    let patient = work.tx().get::<User>(patient).await?;
    let source = crate::service::documents::Source::Upload {
        file_name: Some("pedido-hemograma.pdf"),
    };
    let mut stored =
        crate::service::documents::store_file(work, &patient, DocumentType::MedicalOrder, &pdf, source)
            .await?;
    stored.authorization_id = Some(authorization);
    work.tx().update(&stored).await?;
    Ok(())
}

async fn tasy(work: &mut Work<'_>, org: OrganizationId, now: time::OffsetDateTime) -> Result<()> {
    let id = TasyIntegrationId::generate();
    let credentials = work
        .services
        .keys
        .encrypt(
            work.tx(),
            org,
            CREDENTIALS_FIELD,
            id.as_uuid(),
            br#"{"user":"demo","password":"demo"}"#,
        )
        .await?;
    work.tx()
        .create(&TasyIntegration {
            id,
            organization_id: org,
            name: "Tasy (demonstração)".into(),
            protocol: TasyProtocol::Rest,
            endpoint_url: "http://127.0.0.1:9/tasy".into(),
            credentials_encrypted: Some(credentials),
            sync_direction: SyncDirection::Bidirectional,
            sync_interval_seconds: 900,
            last_sync_at: Some(now - Duration::minutes(15)),
            last_sync_status: Some(SyncStatus::Synced),
            settings: json!({"demo": true}),
            is_active: false,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        })
        .await?;
    work.tx()
        .create(&TasySyncLog {
            id: TasySyncLogId::generate(),
            organization_id: org,
            integration_id: id,
            entity_type: "patients".into(),
            entity_id: None,
            direction: SyncDirection::Inbound,
            status: SyncStatus::Synced,
            started_at: now - Duration::minutes(15),
            finished_at: Some(now - Duration::minutes(14)),
            records_processed: 12,
            records_failed: 0,
            error_code: None,
            error_message: None,
            payload_sha256: None,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        })
        .await?;
    work.record(AuditEvent::new(AuditAction::Create, "tasy_integrations").entity(id.as_uuid()));
    Ok(())
}
