//! Procedure authorizations over HTTP on both backends: TUSS codes checked, a protocol at once,
//! ANS deadlines in business days, the state machine (409 naming the state), approvals with
//! senha, denials with reason and clause, urgent requests never held for documents, the overdue
//! list, every move recorded with who, when and why, and the expiry job.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use austa_crypto::MasterKey;
use austa_domain::authorization::{Calendar, answer_business_days};
use austa_domain::enums::{CareCharacter, ServiceType};
use austa_server::bootstrap;
use austa_server::context::{Clock, Services};
use austa_store::model::Authorization;
use austa_store::{ListQuery, Store, TxMode};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct World {
    base: String,
    http: reqwest::Client,
    services: Arc<Services>,
    token: String,
    org: austa_domain::ids::OrganizationId,
}

async fn world(store: Arc<dyn Store>) -> World {
    store.migrate_up(None).await.unwrap();
    let whatsapp = austa_whatsapp::CloudApi::new("http://127.0.0.1:9").unwrap();
    let services = bootstrap::assemble(store, &MasterKey::generate().unwrap(), whatsapp, Clock::system())
        .await
        .unwrap();
    let base = common::serve(&services).await;
    let (org, token) = common::organization_with_key(&services, "Operadora Teste", "auditoria").await;
    World {
        base,
        http: reqwest::Client::new(),
        services,
        token,
        org,
    }
}

macro_rules! on_both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let dir = std::env::temp_dir().join(format!("austa-auth-{}", uuid::Uuid::now_v7().simple()));
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

impl World {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        common::call(&self.http, &self.base, &self.token, method, path, body).await
    }

    async fn move_to(&self, id: &str, body: Value) -> (StatusCode, Value) {
        self.call(
            reqwest::Method::POST,
            &format!("/authorizations/{id}/transitions"),
            Some(body),
        )
        .await
    }

    /// Changes a stored authorization directly (to age it for the overdue list and the expiry job).
    async fn edit(&self, id: &str, f: impl FnOnce(&mut Authorization)) {
        let mut tx = self
            .services
            .store
            .begin(
                austa_domain::Principal::system_for(self.org).scope(),
                TxMode::Write,
            )
            .await
            .unwrap();
        let uuid: uuid::Uuid = id.parse().unwrap();
        let mut a: Authorization = tx.get(austa_domain::EntityId::from_uuid(uuid)).await.unwrap();
        f(&mut a);
        tx.update(&a).await.unwrap();
        tx.commit().await.unwrap();
    }
}

fn request(patient: &Value, character: &str, service: &str) -> Value {
    json!({
        "userId": patient["id"],
        "procedures": [{"tussCode": "4.03.04.36-1", "quantity": 1}],
        "careCharacter": character,
        "serviceType": service,
        "clinicalIndication": "Investigação de anemia",
        "cid10": "D64.9",
    })
}

on_both_backends!(the_authorization_workflow);
async fn the_authorization_workflow(w: World) {
    let (s, patient) = w
        .call(
            reqwest::Method::POST,
            "/users",
            Some(json!({"name": "Ana Souza", "phone": "+5511987654321"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{patient}");

    // A wrong check digit names the field.
    let mut bad = request(&patient, "ELECTIVE", "LAB_TEST");
    bad["procedures"][0]["tussCode"] = json!("10101013");
    let (s, problem) = w.call(reqwest::Method::POST, "/authorizations", Some(bad)).await;
    assert_eq!(
        (s, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("procedures[0].tussCode"))
    );

    // Elective lab test: a protocol at once, due in 3 business days (RN 566 beats RN 623's 5).
    let (s, lab) = w
        .call(
            reqwest::Method::POST,
            "/authorizations",
            Some(request(&patient, "ELECTIVE", "LAB_TEST")),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{lab}");
    assert_eq!(lab["status"], "REQUESTED");
    assert_eq!(
        lab["procedures"],
        json!([{"tussCode": "40304361", "quantity": 1}])
    );
    assert!(lab["protocolNumber"].as_str().unwrap().len() >= 18);
    assert_eq!(lab["clinical"]["cid10"], "D64.9");
    assert_eq!(
        answer_business_days(CareCharacter::Elective, ServiceType::LabTest),
        3
    );
    let today = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(-3))
        .date();
    let due_day = Calendar::new([]).add_business_days(today, 3);
    let due = time::OffsetDateTime::parse(
        lab["dueAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(due.to_offset(time::macros::offset!(-3)).date(), due_day);
    let id = lab["id"].as_str().unwrap().to_owned();

    // The state machine: a decision needs a review first; 409 names the state.
    let (s, problem) = w.move_to(&id, json!({"to": "APPROVED", "authorizationPassword": "A1B2", "passwordValidUntil": "2099-01-01T00:00:00Z"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        problem["detail"].as_str().unwrap().contains("REQUESTED"),
        "{problem}"
    );
    assert_eq!(
        w.move_to(
            &id,
            json!({"to": "UNDER_REVIEW", "reason": "conferindo o pedido médico"})
        )
        .await
        .0,
        StatusCode::OK
    );
    // An approval carries its senha and validity; a denial its reason and clause.
    let (s, problem) = w.move_to(&id, json!({"to": "APPROVED"})).await;
    assert_eq!(
        (s, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("authorizationPassword"))
    );
    let (s, problem) = w
        .move_to(&id, json!({"to": "DENIED", "denialReason": "sem cobertura"}))
        .await;
    assert_eq!(
        (s, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("denialClause"))
    );
    let (s, approved) = w
        .move_to(&id, json!({"to": "APPROVED", "authorizationPassword": "A1B2C3", "passwordValidUntil": "2099-01-01T00:00:00Z", "reason": "dentro do rol"}))
        .await;
    assert_eq!(
        (
            s,
            approved["status"].as_str(),
            approved["authorizationPassword"].as_str()
        ),
        (StatusCode::OK, Some("APPROVED"), Some("A1B2C3"))
    );
    assert!(approved["decidedAt"].is_string());
    let (s, _) = w
        .move_to(
            &id,
            json!({"to": "DENIED", "denialReason": "x", "denialClause": "y"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "an approval is not denied afterwards");
    // Who, when and why.
    let transitions = approved["transitions"].as_array().unwrap();
    assert_eq!(transitions.len(), 2);
    assert_eq!(
        (transitions[0]["from"].as_str(), transitions[0]["to"].as_str()),
        (Some("REQUESTED"), Some("UNDER_REVIEW"))
    );
    assert_eq!(transitions[0]["reason"], "conferindo o pedido médico");
    assert_eq!(transitions[1]["actorRole"], "system");

    // Urgency/emergency: due at once, never held waiting for documents.
    let (_, urgent) = w
        .call(
            reqwest::Method::POST,
            "/authorizations",
            Some(request(&patient, "URGENCY_EMERGENCY", "HIGH_COMPLEXITY")),
        )
        .await;
    assert_eq!(urgent["priority"], "URGENT");
    let created = time::OffsetDateTime::parse(
        urgent["createdAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let due = time::OffsetDateTime::parse(
        urgent["dueAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!((due - created).abs() < time::Duration::seconds(1), "immediate");
    let uid = urgent["id"].as_str().unwrap().to_owned();
    let (s, problem) = w.move_to(&uid, json!({"to": "PENDING_DOCUMENTS"})).await;
    assert_eq!(
        (s, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("urgent_never_waits"))
    );

    // Overdue: past its deadline without an answer.
    let (_, late) = w
        .call(
            reqwest::Method::POST,
            "/authorizations",
            Some(request(&patient, "ELECTIVE", "SPECIALIST_CONSULTATION")),
        )
        .await;
    let late_id = late["id"].as_str().unwrap().to_owned();
    w.edit(&late_id, |a| {
        a.due_at = Some(time::OffsetDateTime::now_utc() - time::Duration::days(1))
    })
    .await;
    let (_, overdue) = w
        .call(reqwest::Method::GET, "/authorizations?overdue=true", None)
        .await;
    let ids: Vec<&str> = overdue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&late_id.as_str()) && !ids.contains(&id.as_str()),
        "{ids:?}"
    );
    assert_eq!(overdue["items"][0]["overdue"], true);

    // The deadline job: an alert for the staff about the late one (once), not about the answered one.
    assert!(
        austa_server::service::authorizations::warn_deadlines(&w.services)
            .await
            .unwrap()
            >= 1
    );
    assert_eq!(
        austa_server::service::authorizations::warn_deadlines(&w.services)
            .await
            .unwrap(),
        0,
        "once"
    );
    let (_, alerts) = w
        .call(reqwest::Method::GET, "/alerts?kind=AUTHORIZATION_DEADLINE", None)
        .await;
    let about: Vec<&str> = alerts["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["authorizationId"].as_str().unwrap())
        .collect();
    assert!(
        about.contains(&late_id.as_str()) && !about.contains(&id.as_str()),
        "{alerts}"
    );
    let late_alert = alerts["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["authorizationId"] == late_id.as_str())
        .unwrap();
    assert_eq!(late_alert["reason"], "deadline_missed");

    // The expiry job: a lapsed senha expires, recorded as the system's move.
    w.edit(&id, |a| {
        a.password_valid_until = Some(time::OffsetDateTime::now_utc() - time::Duration::hours(1))
    })
    .await;
    assert!(
        austa_server::service::authorizations::expire_due(&w.services)
            .await
            .unwrap()
            >= 1
    );
    let (_, expired) = w
        .call(reqwest::Method::GET, &format!("/authorizations/{id}"), None)
        .await;
    assert_eq!(expired["status"], "EXPIRED");
    assert_eq!(
        expired["transitions"].as_array().unwrap().last().unwrap()["reason"],
        "validade da senha encerrada"
    );
    assert_eq!(
        austa_server::service::authorizations::expire_due(&w.services)
            .await
            .unwrap(),
        0,
        "once"
    );
    let _ = ListQuery::first(1);
}
