//! The assistant end to end, on both backends: signed WhatsApp notifications go in over HTTP, the
//! queued jobs run, and what comes out is checked where the patient and the staff would see it —
//! the messages a stand-in of Meta's send endpoint receives, the conversation and alerts through
//! the REST API, the consent trail, the audit log, and a signed push to the organization's alert
//! webhook.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};

use austa_crypto::MasterKey;
use austa_domain::enums::{ConsentKind, Role};
use austa_server::bootstrap;
use austa_server::context::{Actor, Clock, Services};
use austa_server::service::{api_keys, organizations};
use austa_store::model::{AuditLog, Consent, Message};
use austa_store::{ListQuery, Store, TxMode};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};

const APP_SECRET: &str = "segredo_do_app_assistente";
const NUMBER_ID: &str = "109876543210987";
const ALERT_SECRET: &str = "segredo-do-webhook-de-alertas-0123456789";

/// What a local HTTP receiver got: (headers, body).
type Inbox = Arc<Mutex<Vec<(axum::http::HeaderMap, Vec<u8>)>>>;

/// Serves `route` on a free port; every POST is recorded and answered like Meta's send endpoint
/// (for the Graph stand-in) or with 200 (for the alert webhook).
async fn receiver(route: &str) -> (String, Inbox) {
    use axum::routing::post;
    let inbox: Inbox = Arc::default();
    let kept = inbox.clone();
    let app = axum::Router::new().route(
        route,
        post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push((headers, body.to_vec()));
                axum::Json(json!({"messaging_product": "whatsapp", "contacts": [],
                                  "messages": [{"id": format!("wamid.OUT{}", uuid::Uuid::now_v7().simple())}]}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), inbox)
}

struct World {
    base: String,
    http: reqwest::Client,
    services: Arc<Services>,
    /// Bodies Meta's send endpoint received.
    sent: Inbox,
    /// Pushes the organization's alert webhook received.
    pushed: Inbox,
    token: String,
}

async fn world(store: Arc<dyn Store>) -> World {
    world_with(store, None).await
}

async fn world_with(store: Arc<dyn Store>, llm: Option<austa_server::llm::LlmClient>) -> World {
    store.migrate_up(None).await.unwrap();
    let (graph, sent) = receiver("/v23.0/{number}/messages").await;
    let (hook, pushed) = receiver("/alertas").await;
    let services = bootstrap::assemble_with(
        store,
        &MasterKey::generate().unwrap(),
        austa_whatsapp::CloudApi::new(&format!("{graph}/v23.0")).unwrap(),
        Clock::system(),
        bootstrap::Options {
            whatsapp_app_secret: Some(SecretString::from(APP_SECRET)),
            llm,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let base = common::serve_root(&services).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let org = organizations::create(
        &services,
        &Actor::platform(),
        organizations::NewOrganization {
            name: "Clínica Assistente",
            tax_id: "11.222.333/0001-81",
        },
    )
    .await
    .unwrap();
    let key = api_keys::create(
        &services,
        &Actor::platform(),
        Some(org.id),
        Role::System,
        "painel",
    )
    .await
    .unwrap();
    let w = World {
        base,
        http: reqwest::Client::new(),
        services,
        sent,
        pushed,
        token: key.token.expose().to_owned(),
    };
    let settings = json!({"settings": {
        "whatsapp": {"phoneNumberId": NUMBER_ID, "accessToken": "token-da-clinica"},
        "alerts": {"webhookUrl": format!("{hook}/alertas"), "signingSecret": ALERT_SECRET},
    }});
    let (status, body) = w
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/organizations/{}", org.id),
            Some(settings),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["settings"]["alerts"]["signingSecretSet"], true);
    assert!(
        body["settings"]["alerts"].get("signingSecret").is_none(),
        "the secret is write-only"
    );
    w
}

macro_rules! on_both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let dir =
                    std::env::temp_dir().join(format!("austa-assistant-{}", uuid::Uuid::now_v7().simple()));
                let store = std::sync::Arc::new(
                    austa_store_sqlite::SqliteStore::open(&dir.join("austa.db"))
                        .await
                        .unwrap(),
                );
                super::$name(super::world(store).await).await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(db) = austa_testkit::postgres().await {
                    let store = std::sync::Arc::new(
                        austa_store_postgres::PostgresStore::connect(&db.url)
                            .await
                            .unwrap(),
                    );
                    super::$name(super::world(store).await).await;
                }
            }
        }
    };
}

async fn post_signed(http: reqwest::Client, base: String, body: Vec<u8>) -> StatusCode {
    http.post(format!("{base}/webhooks/whatsapp"))
        .header("content-type", "application/json")
        .header(
            "x-hub-signature-256",
            austa_whatsapp::signature::sign(APP_SECRET.as_bytes(), &body),
        )
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
}

/// A signed-ready notification of one text message from `from`.
fn notification(from: &str, wamid: &str, text: &str) -> Vec<u8> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "104587632219875", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "5511930041234", "phone_number_id": NUMBER_ID},
            "contacts": [{"profile": {"name": "Ana Souza"}, "wa_id": from}],
            "messages": [{"from": from, "id": wamid, "timestamp": now.to_string(), "type": "text", "text": {"body": text}}],
        }}]}],
    }))
    .unwrap()
}

impl World {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            request = request.json(&b);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The patient `from` writes `text`; the notification is delivered signed and every job runs.
    async fn says(&self, from: &str, text: &str) {
        let wamid = format!("wamid.IN{}", uuid::Uuid::now_v7().simple());
        self.deliver(from, &wamid, text).await;
    }

    async fn deliver(&self, from: &str, wamid: &str, text: &str) {
        assert_eq!(
            self.post_notification(&notification(from, wamid, text)).await,
            StatusCode::OK
        );
        self.run_jobs().await;
    }

    async fn post_notification(&self, body: &[u8]) -> StatusCode {
        post_signed(self.http.clone(), self.base.clone(), body.to_vec()).await
    }

    async fn run_jobs(&self) {
        while austa_server::job_handlers::run_pending(&self.services, "test", 20)
            .await
            .unwrap()
            > 0
        {}
    }

    /// The texts sent to `to` since the last call, in order.
    fn replies_to(&self, to: &str) -> Vec<String> {
        let mut sent = self.sent.lock().unwrap();
        let (mine, rest): (Vec<_>, Vec<_>) = sent.drain(..).partition(|(_, body)| {
            serde_json::from_slice::<Value>(body).unwrap()["to"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches('+')
                == to
        });
        *sent = rest;
        mine.into_iter()
            .map(|(_, body)| {
                serde_json::from_slice::<Value>(&body).unwrap()["text"]["body"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    }

    async fn conversation_of(&self, phone_suffix: &str) -> Value {
        let (_, list) = self
            .call(reqwest::Method::GET, "/api/v1/conversations", None)
            .await;
        let users = self
            .call(reqwest::Method::GET, "/api/v1/users?limit=100", None)
            .await
            .1;
        let user = users["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["phone"].as_str().is_some_and(|p| p.ends_with(phone_suffix)))
            .unwrap()["id"]
            .clone();
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["userId"] == user)
            .unwrap()
            .clone()
    }

    async fn rows<E: austa_store::Entity>(&self) -> Vec<E> {
        let mut tx = self
            .services
            .store
            .begin(austa_domain::Principal::system().scope(), TxMode::Read)
            .await
            .unwrap();
        let items = tx
            .list::<E>(&ListQuery::first(ListQuery::MAX_LIMIT))
            .await
            .unwrap()
            .items;
        tx.rollback().await.unwrap();
        items
    }
}

on_both_backends!(onboarding_consent_and_answers);
async fn onboarding_consent_and_answers(w: World) {
    let ana = "5511987654321";
    // A new number: welcome and the consent question, nothing health-related kept.
    w.says(ana, "oi, boa tarde").await;
    let replies = w.replies_to(ana);
    assert_eq!(replies.len(), 2, "{replies:?}");
    assert!(
        replies[0].starts_with("Olá, Ana! Eu sou a assistente virtual da Clínica Assistente"),
        "{}",
        replies[0]
    );
    assert!(replies[1].contains("LGPD") && replies[1].contains("SIM"));

    // Something else than an answer: asked again, and the symptom is not kept.
    w.says(ana, "to com febre").await;
    assert!(w.replies_to(ana)[0].starts_with("Só para confirmar"));
    let messages = w.rows::<Message>().await;
    let febre = messages
        .iter()
        .find(|m| m.ai_intent.as_deref() == Some("symptom_report"))
        .unwrap();
    assert!(febre.ai_processed);
    assert_eq!(febre.ai_entities, json!([]), "no health data before consent");

    // SIM: consent recorded with its version, time and channel; the first missions follow.
    w.says(ana, "SIM").await;
    assert!(w.replies_to(ana)[0].starts_with("Obrigado, Ana! Consentimento registrado."));
    let consents = w.rows::<Consent>().await;
    let given = consents
        .iter()
        .find(|c| c.kind == ConsentKind::DataProcessing)
        .unwrap();
    assert!(given.granted);
    assert_eq!(given.terms_version.as_deref(), Some("2026-11"));
    assert_eq!(given.channel, Some(austa_domain::enums::ConsentChannel::Whatsapp));
    assert!(given.message_id.is_some());

    // Now health data is kept: on the message (without the patient's words) and in the conversation.
    w.says(ana, "to com febre e tosse desde ontem, tomei dipirona")
        .await;
    let reply = w.replies_to(ana);
    assert_eq!(reply.len(), 1);
    assert!(
        reply[0].starts_with("Obrigado por avisar, Ana. Registrei"),
        "{reply:?}"
    );
    let messages = w.rows::<Message>().await;
    let report = messages
        .iter()
        .filter(|m| m.ai_intent.as_deref() == Some("symptom_report"))
        .max_by_key(|m| m.created_at)
        .unwrap();
    let entities = report.ai_entities.as_array().unwrap();
    assert!(
        entities
            .iter()
            .any(|e| e["normalized"] == "febre" && e["type"] == "symptom")
    );
    assert!(
        entities
            .iter()
            .any(|e| e["normalized"] == "dipirona" && e["type"] == "medication")
    );
    assert!(
        entities.iter().all(|e| e.get("text").is_none()),
        "the patient's own words stay encrypted"
    );
    assert_eq!(
        report.urgency_level,
        Some(austa_domain::enums::UrgencyLevel::Medium)
    );
    let conversation = w.conversation_of("987654321").await;
    assert_eq!(conversation["symptomsReported"], json!(["febre", "tosse"]));
    assert_eq!(conversation["medicationsMentioned"], json!(["dipirona"]));

    // Useful answers from the platform's own data.
    // Points come only from server-side events: five messages (1 each) and the consent (10).
    w.says(ana, "quantos pontos eu tenho?").await;
    let reply = w.replies_to(ana);
    assert!(reply[0].starts_with("Você tem 15 pontos, Ana."), "{reply:?}");
    w.says(ana, "minha ressonancia ja foi liberada?").await;
    assert!(w.replies_to(ana)[0].starts_with("Não encontrei nenhuma autorização em seu nome, Ana."));
    // With an authorization under review and a lab result on record, the answers read them.
    let patient = w
        .rows::<austa_store::model::User>()
        .await
        .into_iter()
        .find(|u| u.phone.as_deref() == Some("+5511987654321"))
        .unwrap();
    let (s, _) = w
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/users/{}/health-data", patient.id),
            Some(
                json!({"type": "LAB_RESULT", "data": {"test": "Hemoglobina", "value": 13.5, "unit": "g/dL"}}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let mut tx = w
        .services
        .store
        .begin(
            austa_domain::Principal::system_for(patient.organization_id).scope(),
            TxMode::Write,
        )
        .await
        .unwrap();
    let now = time::OffsetDateTime::now_utc();
    tx.create(&austa_store::model::Authorization {
        id: austa_domain::EntityId::generate(),
        organization_id: patient.organization_id,
        user_id: patient.id,
        requesting_provider_id: None,
        protocol_number: "20261128000042".into(),
        procedures: json!([{"tussCode": "41101014", "quantity": 1}]),
        care_character: austa_domain::enums::CareCharacter::Elective,
        priority: austa_domain::enums::Priority::Normal,
        status: austa_domain::enums::AuthorizationStatus::UnderReview,
        clinical_encrypted: None,
        due_at: None,
        decided_at: None,
        decided_by: None,
        authorization_password: None,
        password_valid_until: None,
        denial_reason: None,
        denial_clause: None,
        tasy_external_id: None,
        tasy_sync_status: None,
        insurance_claim_ref: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
        service_type: None,
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    w.says(ana, "e a autorizacao da ressonancia, ja saiu?").await;
    assert_eq!(
        w.replies_to(ana),
        vec!["Sua solicitação de procedimento (TUSS 41101014) (protocolo 20261128000042) está: em análise pela equipe do plano.".to_owned()]
    );
    w.says(ana, "o resultado do meu exame de sangue saiu?").await;
    assert!(w.replies_to(ana)[0].starts_with("Você tem 1 resultado(s) de exame disponível(is)"));

    w.says(ana, "queria marcar uma consulta com cardiologista").await;
    assert!(w.replies_to(ana)[0].contains("agendamento"));
    let (_, alerts) = w
        .call(
            reqwest::Method::GET,
            "/api/v1/alerts?kind=APPOINTMENT_REQUEST",
            None,
        )
        .await;
    assert_eq!(
        alerts["items"].as_array().unwrap().len(),
        1,
        "the request reaches the staff"
    );

    // Stopping messages is honoured and confirmed.
    w.says(ana, "para de me mandar mensagem").await;
    assert!(w.replies_to(ana)[0].contains("VOLTAR"));
    let consents = w.rows::<Consent>().await;
    assert!(
        consents
            .iter()
            .any(|c| c.kind == ConsentKind::WhatsappMessages && !c.granted)
    );
    w.says(ana, "bom dia").await;
    assert!(w.replies_to(ana).is_empty(), "no more non-essential messages");
}

on_both_backends!(a_refusal_is_respected);
async fn a_refusal_is_respected(w: World) {
    let beto = "5521998887777";
    w.says(beto, "ola").await;
    assert_eq!(w.replies_to(beto).len(), 2);
    w.says(beto, "não").await;
    assert!(w.replies_to(beto)[0].starts_with("Tudo bem, respeitamos a sua decisão"));
    let consents = w.rows::<Consent>().await;
    assert!(
        consents
            .iter()
            .any(|c| c.kind == ConsentKind::DataProcessing && !c.granted)
    );
    w.says(beto, "minha pressao deu 15 por 9 hoje").await;
    assert!(w.replies_to(beto)[0].contains("não guardei"));
    let messages = w.rows::<Message>().await;
    let vital = messages
        .iter()
        .find(|m| m.ai_intent.as_deref() == Some("vital_sign_report"))
        .unwrap();
    assert_eq!(
        (vital.ai_entities.clone(), vital.health_keywords.clone()),
        (json!([]), json!([]))
    );
    // Changing one's mind.
    w.says(beto, "ACEITO").await;
    assert!(w.replies_to(beto)[0].contains("Consentimento registrado"));
}

on_both_backends!(emergencies_are_answered_escalated_and_pushed);
async fn emergencies_are_answered_escalated_and_pushed(w: World) {
    let carla = "5531991112222";
    // Even before onboarding, an emergency is answered at once, and with nothing else.
    w.says(
        carla,
        "socorro to com uma dor no peito muito forte e falta de ar, suando frio",
    )
    .await;
    let replies = w.replies_to(carla);
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(replies[0].contains("192") && replies[0].contains("SAMU"));
    assert!(!replies[0].to_lowercase().contains("pontos") && !replies[0].contains("missão"));
    let conversation = w.conversation_of("991112222").await;
    assert_eq!(
        (conversation["status"].as_str(), conversation["priority"].as_str()),
        (Some("ESCALATED"), Some("URGENT"))
    );

    let (status, alerts) = w
        .call(
            reqwest::Method::GET,
            "/api/v1/alerts?status=OPEN&kind=EMERGENCY",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let alert = alerts["items"].as_array().unwrap().first().unwrap().clone();
    assert_eq!(
        (alert["reason"].as_str(), alert["urgencyLevel"].as_str()),
        (Some("chest_pain"), Some("EMERGENCY"))
    );
    assert!(alert["pushedAt"].is_string(), "the webhook accepted it");

    // The push: signed over "<t>.<body>" with the organization's secret, ids only.
    let (headers, body) = w.pushed.lock().unwrap().first().cloned().unwrap();
    let signature = headers
        .get("x-austa-signature")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let (t, v1) = signature.trim_start_matches("t=").split_once(",v1=").unwrap();
    use hmac::{KeyInit, Mac};
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(ALERT_SECRET.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(&body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(v1, expected);
    let pushed: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(pushed["alert"]["id"], alert["id"]);
    let raw = String::from_utf8_lossy(&body);
    assert!(
        !raw.contains("peito") && !raw.contains("Ana") && !raw.contains(carla),
        "no PHI in the push"
    );

    // Flagged in the audit log, for review.
    let audit = w.rows::<AuditLog>().await;
    let flagged = audit
        .iter()
        .find(|a| a.action == austa_domain::enums::AuditAction::EmergencyAlert)
        .unwrap();
    assert!(flagged.requires_review);
    assert_eq!(flagged.risk_level, austa_domain::enums::RiskLevel::Critical);

    // Staff acknowledge, then resolve; going back is refused.
    let id = alert["id"].as_str().unwrap();
    let (s, acked) = w
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/alerts/{id}/acknowledge"),
            None,
        )
        .await;
    assert_eq!(
        (s, acked["status"].as_str()),
        (StatusCode::OK, Some("ACKNOWLEDGED"))
    );
    assert_eq!(
        w.call(
            reqwest::Method::POST,
            &format!("/api/v1/alerts/{id}/resolve"),
            None
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        w.call(
            reqwest::Method::POST,
            &format!("/api/v1/alerts/{id}/acknowledge"),
            None
        )
        .await
        .0,
        StatusCode::CONFLICT
    );

    // Suicide risk: CVV 188.
    let davi = "5541993334444";
    w.says(
        davi,
        "obrigado por tudo, mas acho que seria melhor se eu nao estivesse mais aqui",
    )
    .await;
    let replies = w.replies_to(davi);
    assert_eq!(replies.len(), 1);
    assert!(
        replies[0].contains("188") && replies[0].contains("CVV"),
        "{}",
        replies[0]
    );
}

on_both_backends!(a_person_takes_over_and_retries_change_nothing);
async fn a_person_takes_over_and_retries_change_nothing(w: World) {
    let eva = "5551995556666";
    w.says(eva, "oi").await;
    w.says(eva, "sim").await;
    w.replies_to(eva);
    w.says(eva, "quero falar com um atendente").await;
    assert!(w.replies_to(eva)[0].contains("Vou chamar uma pessoa"));
    let conversation = w.conversation_of("995556666").await;
    assert_eq!(conversation["status"], "WAITING_HUMAN");
    let (_, alerts) = w
        .call(reqwest::Method::GET, "/api/v1/alerts?kind=HUMAN_HANDOFF", None)
        .await;
    assert_eq!(alerts["items"][0]["reason"], "patient_request");

    // The bot stays quiet while a person has it…
    w.says(eva, "quantos pontos eu tenho?").await;
    assert!(w.replies_to(eva).is_empty());
    // …but never about an emergency.
    w.says(eva, "minha mae desmaiou e nao acorda").await;
    assert!(w.replies_to(eva)[0].contains("192"));

    // Released by staff, it answers again.
    let id = conversation["id"].as_str().unwrap();
    let (s, released) = w
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/conversations/{id}/release"),
            None,
        )
        .await;
    assert_eq!((s, released["status"].as_str()), (StatusCode::OK, Some("ACTIVE")));
    assert_eq!(
        w.call(
            reqwest::Method::POST,
            &format!("/api/v1/conversations/{id}/release"),
            None
        )
        .await
        .0,
        StatusCode::CONFLICT
    );
    w.says(eva, "quantos pontos eu tenho?").await;
    assert_eq!(w.replies_to(eva).len(), 1);

    // The same notification delivered again (Meta retries): stored once, answered once.
    let alerts_before = w.call(reqwest::Method::GET, "/api/v1/alerts", None).await.1["items"]
        .as_array()
        .unwrap()
        .len();
    w.deliver(eva, "wamid.REPETIDA", "meu pai ta convulsionando")
        .await;
    assert_eq!(w.replies_to(eva).len(), 1);
    w.deliver(eva, "wamid.REPETIDA", "meu pai ta convulsionando")
        .await;
    assert!(
        w.replies_to(eva).is_empty(),
        "a retried webhook answers nothing twice"
    );
    let alerts_after = w.call(reqwest::Method::GET, "/api/v1/alerts", None).await.1["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(alerts_after, alerts_before + 1);
}

on_both_backends!(medication_reminders_in_the_patients_zone);
async fn medication_reminders_in_the_patients_zone(w: World) {
    use austa_store::model::{MedicationReminder, User};
    let ana = "5511987654321";
    w.says(ana, "oi").await;
    w.says(ana, "sim").await;
    w.replies_to(ana);
    let patient = w
        .rows::<User>()
        .await
        .into_iter()
        .find(|u| u.phone.as_deref() == Some("+5511987654321"))
        .unwrap();
    let path = format!("/api/v1/users/{}", patient.id);
    let (s, med) = w
        .call(
            reqwest::Method::POST,
            &format!("{path}/health-data"),
            Some(json!({"type": "MEDICATION", "data": {"name": "Losartana", "dosage": "50 mg"}})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{med}");
    let (_, condition) = w
        .call(
            reqwest::Method::POST,
            &format!("{path}/health-data"),
            Some(json!({"type": "CONDITION", "data": {"cid10": "I10", "name": "Hipertensão"}})),
        )
        .await;

    // Bad input: a clear 422 naming the field, nothing created.
    let reminders = format!("{path}/medication-reminders");
    let (s, problem) = w
        .call(
            reqwest::Method::POST,
            &reminders,
            Some(json!({"healthDataId": med["id"], "times": ["25:00"]})),
        )
        .await;
    assert_eq!(
        (s, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("times"))
    );
    let (s, problem) = w
        .call(
            reqwest::Method::POST,
            &reminders,
            Some(json!({"healthDataId": condition["id"], "times": ["08:00"]})),
        )
        .await;
    assert_eq!(
        (s, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("healthDataId"))
    );

    // A reminder one minute ago, local time in the patient's zone (São Paulo, UTC-3).
    let local =
        time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(-3)) - time::Duration::minutes(1);
    let at = format!("{:02}:{:02}", local.hour(), local.minute());
    let (s, created) = w
        .call(
            reqwest::Method::POST,
            &reminders,
            Some(json!({"healthDataId": med["id"], "times": [at]})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    assert_eq!(created["timezone"], "America/Sao_Paulo");
    // Nothing before the opt-in is due; pretend it was made five minutes ago.
    assert_eq!(
        austa_server::service::reminders::send_due(&w.services)
            .await
            .unwrap(),
        0
    );
    let mut tx = w
        .services
        .store
        .begin(austa_domain::Principal::system().scope(), TxMode::Write)
        .await
        .unwrap();
    let mut reminder = tx
        .list::<MedicationReminder>(&ListQuery::first(1))
        .await
        .unwrap()
        .items
        .remove(0);
    reminder.checked_until -= time::Duration::minutes(5);
    tx.update(&reminder).await.unwrap();
    tx.commit().await.unwrap();

    assert_eq!(
        austa_server::service::reminders::send_due(&w.services)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        austa_server::service::reminders::send_due(&w.services)
            .await
            .unwrap(),
        0,
        "sent once"
    );
    w.run_jobs().await;
    let sent = w.replies_to(ana);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].contains("Losartana (50 mg)") && sent[0].contains("TOMEI"),
        "{}",
        sent[0]
    );

    // "tomei" records adherence on that dose.
    w.says(ana, "tomei").await;
    assert!(w.replies_to(ana)[0].contains("Registrei que você tomou"));
    let (_, listed) = w.call(reqwest::Method::GET, &reminders, None).await;
    assert_eq!(
        listed[0]["adherence"],
        json!({"taken": 1, "missed": 0, "pending": 0})
    );

    // Outside the 24-hour window only the organization's approved template goes out.
    let org = patient.organization_id;
    let (s, _) = w
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/organizations/{org}"),
            Some(json!({"settings": {"whatsapp": {"reminderTemplate": {"name": "lembrete_remedio"}}}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let mut tx = w
        .services
        .store
        .begin(austa_domain::Principal::system().scope(), TxMode::Write)
        .await
        .unwrap();
    for mut m in tx
        .list::<Message>(&ListQuery::first(ListQuery::MAX_LIMIT))
        .await
        .unwrap()
        .items
    {
        m.sent_at -= time::Duration::days(2);
        tx.update(&m).await.unwrap();
    }
    let mut reminder = tx
        .list::<MedicationReminder>(&ListQuery::first(1))
        .await
        .unwrap()
        .items
        .remove(0);
    // Due this very minute (the first dose was the minute before).
    let now_local = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(-3));
    reminder.times = json!([format!("{:02}:{:02}", now_local.hour(), now_local.minute())]);
    reminder.checked_until = time::OffsetDateTime::now_utc() - time::Duration::minutes(3);
    tx.update(&reminder).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        austa_server::service::reminders::send_due(&w.services)
            .await
            .unwrap(),
        1
    );
    w.run_jobs().await;
    let sent = w
        .sent
        .lock()
        .unwrap()
        .drain(..)
        .map(|(_, b)| serde_json::from_slice::<Value>(&b).unwrap())
        .collect::<Vec<_>>();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["type"], "template");
    assert_eq!(sent[0]["template"]["name"], "lembrete_remedio");
    assert_eq!(
        sent[0]["template"]["components"][0]["parameters"][0]["text"],
        "Losartana"
    );
    // The first dose was answered; this one is pending until "tomei", "esqueci" or the next dose.
    let (_, listed_now) = w.call(reqwest::Method::GET, &reminders, None).await;
    assert_eq!(
        listed_now[0]["adherence"],
        json!({"taken": 1, "missed": 0, "pending": 1})
    );

    // Opting out stops it.
    let id = listed[0]["id"].as_str().unwrap();
    assert_eq!(
        w.call(reqwest::Method::DELETE, &format!("{reminders}/{id}"), None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(w.call(reqwest::Method::GET, &reminders, None).await.1, json!([]));
    assert_eq!(
        w.call(reqwest::Method::DELETE, &format!("{reminders}/{id}"), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

/// A stand-in for an OpenAI-compatible chat completions server: records each request, and answers
/// as `mode` says — `ok`, `dose` (an unsafe answer), `fail` (500) or `slow` (past the timeout).
async fn language_model() -> (String, Arc<Mutex<Vec<Value>>>, Arc<Mutex<&'static str>>) {
    use axum::routing::post;
    let requests: Arc<Mutex<Vec<Value>>> = Arc::default();
    let mode: Arc<Mutex<&'static str>> = Arc::new(Mutex::new("ok"));
    let (kept, how) = (requests.clone(), mode.clone());
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        post(move |axum::Json(body): axum::Json<Value>| {
            let (kept, how) = (kept.clone(), how.clone());
            async move {
                use axum::response::IntoResponse;
                kept.lock().unwrap().push(body);
                let mode = *how.lock().unwrap();
                let answer = match mode {
                    "fail" => return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                    "slow" => {
                        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                        "tarde demais"
                    }
                    "dose" => "Tome 2 comprimidos de dipirona a cada 6 horas.",
                    _ => "Não tenho o endereço aqui, mas posso ajudar com consultas, autorizações e exames. Se preferir, responda ATENDENTE.",
                };
                axum::Json(json!({"id": "chatcmpl-1", "object": "chat.completion", "model": "stand-in",
                                  "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": answer}}]}))
                .into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v1/chat/completions"), requests, mode)
}

#[tokio::test]
async fn the_language_model_phrases_within_the_safety_rules() {
    let (url, requests, mode) = language_model().await;
    let llm =
        austa_server::llm::LlmClient::new(&url, "stand-in", None, std::time::Duration::from_millis(400))
            .unwrap();
    let dir = std::env::temp_dir().join(format!("austa-assistant-{}", uuid::Uuid::now_v7().simple()));
    let store = Arc::new(
        austa_store_sqlite::SqliteStore::open(&dir.join("austa.db"))
            .await
            .unwrap(),
    );
    let w = world_with(store, Some(llm)).await;
    let ana = "5511987654321";
    w.says(ana, "oi").await;
    w.says(ana, "sim").await;
    w.replies_to(ana);

    // A question the rules cannot place: the model phrases the answer, seeing no identifiers.
    let question =
        "qual o endereço da clinica? sou a Ana, meu cpf e 529.982.247-25 e meu celular (11) 98765-4321";
    w.says(ana, question).await;
    let reply = w.replies_to(ana);
    assert_eq!(reply, vec!["Não tenho o endereço aqui, mas posso ajudar com consultas, autorizações e exames. Se preferir, responda ATENDENTE.".to_owned()]);
    let sent = requests.lock().unwrap().last().cloned().unwrap().to_string();
    assert!(sent.contains("[NUMERO]") && sent.contains("[NOME]"), "{sent}");
    for leaked in ["529.982", "98765", "Ana,", "Souza"] {
        assert!(!sent.contains(leaked), "{leaked} reached the language model");
    }

    // An unsafe answer, a failure, a slow answer: the rules' own reply, at once.
    for how in ["dose", "fail", "slow"] {
        *mode.lock().unwrap() = how;
        let started = std::time::Instant::now();
        w.says(ana, "vcs abrem no feriado de carnaval?").await;
        let reply = w.replies_to(ana);
        assert_eq!(reply.len(), 1, "{how}");
        assert!(
            reply[0].starts_with("Desculpe, Ana, não entendi bem."),
            "{how}: {}",
            reply[0]
        );
        assert!(
            started.elapsed() < std::time::Duration::from_millis(1800),
            "{how}: the timeout holds"
        );
    }

    // An emergency never reaches the model.
    *mode.lock().unwrap() = "ok";
    let before = requests.lock().unwrap().len();
    w.says(ana, "meu filho engasgou e nao respira").await;
    assert!(w.replies_to(ana)[0].contains("192"));
    assert_eq!(requests.lock().unwrap().len(), before);
}

on_both_backends!(a_notification_delivered_five_times_at_once_awards_once);
async fn a_notification_delivered_five_times_at_once_awards_once(w: World) {
    let fia = "5561997778888";
    w.says(fia, "oi").await;
    w.says(fia, "sim").await;
    assert_eq!(w.replies_to(fia).len(), 3, "welcome, consent question, thanks");
    let patient = w
        .rows::<austa_store::model::User>()
        .await
        .into_iter()
        .find(|u| u.phone.as_deref() == Some("+5561997778888"))
        .unwrap();
    let path = format!("/api/v1/users/{}/points", patient.id);
    let before = w.call(reqwest::Method::GET, &path, None).await.1["balance"]
        .as_i64()
        .unwrap();
    assert_eq!(before, 12, "two messages and the consent");
    // Meta retries: five copies of one notification, in parallel, then the jobs.
    let body = notification(fia, "wamid.CINCOVEZES", "tomei o remedio da pressao");
    let copies: Vec<_> = (0..5)
        .map(|_| tokio::spawn(post_signed(w.http.clone(), w.base.clone(), body.clone())))
        .collect();
    for copy in copies {
        assert_eq!(copy.await.unwrap(), StatusCode::OK);
    }
    w.run_jobs().await;
    let after = w.call(reqwest::Method::GET, &path, None).await.1["balance"]
        .as_i64()
        .unwrap();
    assert_eq!(after, before + 1, "one message, one point");
    assert_eq!(w.replies_to(fia).len(), 1, "answered once");
}
