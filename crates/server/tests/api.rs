//! The REST API over real HTTP, on both backends: the server runs in-process on a free port, and a
//! stand-in of Meta's Graph API (speaking its real request and response format) receives the
//! WhatsApp login codes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};

use austa_crypto::MasterKey;
use austa_crypto::totp::TotpSecret;
use austa_domain::enums::Role;
use austa_domain::ids::OrganizationId;
use austa_server::bootstrap;
use austa_server::context::{Actor, Clock, Services};
use austa_server::service::{api_keys, organizations, staff};
use austa_store::Store;
use austa_store_postgres::PostgresStore;
use austa_store_sqlite::SqliteStore;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

type Outbox = Arc<Mutex<Vec<Value>>>;

/// Media the stand-in serves: id → bytes. Ids starting with `777` answer 404 (an expired URL) to
/// their first download.
type MediaStore = Arc<Mutex<std::collections::HashMap<String, (Vec<u8>, u32)>>>;

#[derive(Clone)]
struct GraphState {
    outbox: Outbox,
    media: MediaStore,
    base: Arc<Mutex<String>>,
}

/// A stand-in for Meta's Graph API: the send endpoint (recording each message, answering like the
/// Cloud API), media info and media download (bearer token required).
async fn graph() -> (String, Outbox, MediaStore) {
    use axum::extract::{Path, State};
    use axum::routing::{get, post};
    let state = GraphState {
        outbox: Arc::default(),
        media: Arc::default(),
        base: Arc::default(),
    };
    let app = axum::Router::new()
        .route(
            "/v23.0/{phone_number_id}/messages",
            post(|State(state): State<GraphState>, headers: axum::http::HeaderMap, axum::Json(body): axum::Json<Value>| async move {
                if headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer token-expirado") {
                    let error = json!({"error": {"message": "Error validating access token: Session has expired", "type": "OAuthException", "code": 190, "fbtrace_id": "A"}});
                    return (axum::http::StatusCode::UNAUTHORIZED, axum::Json(error)).into_response();
                }
                if body["text"]["body"].as_str().is_some_and(|t| t.contains("fora-da-janela")) {
                    let error = json!({"error": {"message": "(#131047) Re-engagement message", "type": "OAuthException", "code": 131047,
                                                 "error_data": {"messaging_product": "whatsapp", "details": "Message failed to send because more than 24 hours have passed"}}});
                    return (axum::http::StatusCode::BAD_REQUEST, axum::Json(error)).into_response();
                }
                let to = body["to"].as_str().unwrap_or_default().trim_start_matches('+').to_owned();
                state.outbox.lock().unwrap().push(body);
                axum::Json(json!({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                                  "messages": [{"id": format!("wamid.TEST{}", uuid::Uuid::now_v7().simple())}]}))
                .into_response()
            }),
        )
        .route(
            "/v23.0/{media_id}",
            get(|State(state): State<GraphState>, Path(id): Path<String>, headers: axum::http::HeaderMap| async move {
                let media = state.media.lock().unwrap();
                match (media.get(&id), headers.get("authorization").and_then(|v| v.to_str().ok())) {
                    (Some((bytes, _)), Some("Bearer token-da-clinica")) => {
                        use sha2::Digest;
                        let sha: String = sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
                        let url = format!("{}/download/{id}", state.base.lock().unwrap());
                        axum::Json(json!({"messaging_product": "whatsapp", "url": url, "mime_type": "image/jpeg",
                                          "sha256": sha, "file_size": bytes.len(), "id": id})).into_response()
                    }
                    _ => axum::http::StatusCode::NOT_FOUND.into_response(),
                }
            }),
        )
        .route(
            "/download/{media_id}",
            get(|State(state): State<GraphState>, Path(id): Path<String>, headers: axum::http::HeaderMap| async move {
                if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer token-da-clinica") {
                    return axum::http::StatusCode::UNAUTHORIZED.into_response();
                }
                let mut media = state.media.lock().unwrap();
                match media.get_mut(&id) {
                    Some((_, downloads)) if id.starts_with("777") && *downloads == 0 => {
                        *downloads += 1;
                        axum::http::StatusCode::NOT_FOUND.into_response()
                    }
                    Some((bytes, downloads)) => {
                        *downloads += 1;
                        bytes.clone().into_response()
                    }
                    None => axum::http::StatusCode::NOT_FOUND.into_response(),
                }
            }),
        )
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    *state.base.lock().unwrap() = format!("http://{addr}");
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v23.0"), state.outbox, state.media)
}

use axum::response::IntoResponse;

struct Api {
    base: String,
    http: reqwest::Client,
    services: Arc<Services>,
    outbox: Outbox,
    media: MediaStore,
}

async fn start(store: Arc<dyn Store>) -> Api {
    start_with(store, bootstrap::Options::default()).await
}

async fn start_with(store: Arc<dyn Store>, options: bootstrap::Options) -> Api {
    store.migrate_up(None).await.unwrap();
    let (graph_base, outbox, media) = graph().await;
    let whatsapp = austa_whatsapp::CloudApi::new(&graph_base).unwrap();
    let services = bootstrap::assemble_with(
        store,
        &MasterKey::generate().unwrap(),
        whatsapp,
        Clock::system(),
        options,
    )
    .await
    .unwrap();
    let base = common::serve(&services).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    Api {
        base,
        http: reqwest::Client::new(),
        services,
        outbox,
        media,
    }
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        if let Some(b) = body {
            request = request.json(&b);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value, headers)
    }

    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let (s, v, _) = self.call(reqwest::Method::GET, path, Some(token), None).await;
        (s, v)
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let (s, v, _) = self.call(reqwest::Method::POST, path, token, Some(body)).await;
        (s, v)
    }

    async fn login(&self, email: &str, password: &str, totp: Option<String>) -> (StatusCode, Value) {
        self.post(
            "/auth/login",
            None,
            json!({"email": email, "password": password, "totp": totp}),
        )
        .await
    }
}

struct Org {
    id: OrganizationId,
    admin_totp: TotpSecret,
}

const PASSWORD: &str = "senha longa e segura";

async fn organization(s: &Services, name: &str, cnpj: &str, prefix: &str) -> Org {
    let org = organizations::create(
        s,
        &Actor::platform(),
        organizations::NewOrganization { name, tax_id: cnpj },
    )
    .await
    .unwrap();
    let actor = Actor::system_for(org.id);
    let password = SecretString::from(PASSWORD);
    let mut admin_totp = None;
    for (role, who) in [
        (Role::Admin, "admin"),
        (Role::Provider, "medica"),
        (Role::Provider, "enfermeiro"),
    ] {
        let created = staff::create(
            s,
            &actor,
            staff::NewStaff {
                organization: org.id,
                role,
                email: &format!("{who}@{prefix}.example"),
                name: who,
                password: &password,
            },
        )
        .await
        .unwrap();
        if let Some(uri) = created.totp_uri {
            admin_totp = Some(TotpSecret::from_uri(uri.expose_secret()).unwrap());
        }
    }
    Org {
        id: org.id,
        admin_totp: admin_totp.unwrap(),
    }
}

fn code_now(secret: &TotpSecret, offset_steps: i64) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp() + offset_steps * 30;
    secret.code_at(now as u64).unwrap()
}

macro_rules! on_both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let dir = std::env::temp_dir().join(format!("austa-api-{}", uuid::Uuid::now_v7().simple()));
                let store = std::sync::Arc::new(
                    super::SqliteStore::open(&dir.join("austa.db"))
                        .await
                        .unwrap(),
                );
                super::$name(super::start(store).await).await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(db) = austa_testkit::postgres().await {
                    let store = std::sync::Arc::new(super::PostgresStore::connect(&db.url).await.unwrap());
                    super::$name(super::start(store).await).await;
                }
            }
        }
    };
}

/// Like `on_both_backends!`, with WhatsApp webhooks configured.
macro_rules! on_both_backends_webhook {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let dir = std::env::temp_dir().join(format!("austa-api-{}", uuid::Uuid::now_v7().simple()));
                let store = std::sync::Arc::new(
                    super::SqliteStore::open(&dir.join("austa.db"))
                        .await
                        .unwrap(),
                );
                super::$name(super::webhook_api(store).await).await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(db) = austa_testkit::postgres().await {
                    let store = std::sync::Arc::new(super::PostgresStore::connect(&db.url).await.unwrap());
                    super::$name(super::webhook_api(store).await).await;
                }
            }
        }
    };
}

on_both_backends!(staff_login_totp_and_rate_limits);
async fn staff_login_totp_and_rate_limits(api: Api) {
    let org = organization(&api.services, "Clínica Login", "11.222.333/0001-81", "login").await;

    let (status, body) = api.login("medica@login.example", PASSWORD, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("austa_s_") && token.len() >= 8 + 43);
    let (status, me) = api.get("/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["role"], "provider");
    assert_eq!(me["organizationId"], org.id.to_string());

    // Admins need TOTP; a code is accepted once.
    let (status, problem) = api.login("ADMIN@login.example", PASSWORD, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["code"], "totp_required");
    let code = code_now(&org.admin_totp, 0);
    let (status, body) = api
        .login("admin@login.example", PASSWORD, Some(code.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = api.login("admin@login.example", PASSWORD, Some(code)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a replayed TOTP code is refused"
    );
    let (status, _) = api
        .login("admin@login.example", PASSWORD, Some("000000".into()))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Logout revokes the token.
    let (status, _, _) = api
        .call(reqwest::Method::POST, "/auth/logout", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, problem) = api.get("/me", &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["code"], "unauthenticated");

    // Five failures lock the account: then even the right password gets 429, exactly as an
    // address without an account does, so the lock tells nothing about who has an account.
    for _ in 0..5 {
        assert_eq!(
            api.login("enfermeiro@login.example", "senha errada!!", None)
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            api.login("ninguem@login.example", "senha errada!!", None).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    let (locked, locked_body) = api.login("enfermeiro@login.example", PASSWORD, None).await;
    let (unknown, unknown_body) = api.login("ninguem@login.example", PASSWORD, None).await;
    assert_eq!(locked, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(unknown, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(locked_body, unknown_body);
    // Another account from the same address still works (per-address limit is higher).
    assert_eq!(
        api.login("medica@login.example", PASSWORD, None).await.0,
        StatusCode::OK
    );

    // Tokens of the wrong shape, unknown tokens and missing headers are all 401 problems.
    for bad in [
        "",
        "austa_s_nope",
        "Basic abc",
        &format!("austa_s_{}", "A".repeat(43)),
    ] {
        let (status, problem, headers) = api.call(reqwest::Method::GET, "/me", Some(bad), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}");
        assert_eq!(problem["code"], "unauthenticated");
        assert_eq!(headers["content-type"], "application/problem+json");
    }
}

on_both_backends!(patients_health_data_and_the_access_matrix);
async fn patients_health_data_and_the_access_matrix(api: Api) {
    let org = organization(&api.services, "Clínica Registro", "11.444.777/0001-61", "reg").await;
    let other = organization(&api.services, "Outra Clínica", "12.ABC.345/01DE-35", "outra").await;
    let doctor = api.login("medica@reg.example", PASSWORD, None).await.1["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let nurse = api.login("enfermeiro@reg.example", PASSWORD, None).await.1["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let stranger = api.login("medica@outra.example", PASSWORD, None).await.1["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin = api
        .login("admin@reg.example", PASSWORD, Some(code_now(&org.admin_totp, 0)))
        .await
        .1["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let _ = other.id;

    // Validation names the field.
    let (status, problem) = api
        .post(
            "/users",
            Some(&doctor),
            json!({"name": "Ana", "cpf": "529.982.247-24", "phone": "(11) 98765-4321"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["field"], "cpf");
    assert_eq!(problem["code"], "invalid_cpf_check_digits");
    let (status, problem) = api
        .post(
            "/users",
            Some(&doctor),
            json!({"name": "Ana", "cpf": "111.111.111-11", "phone": "(11) 98765-4321"}),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("invalid_cpf_repeated_digits")
        )
    );
    let (status, problem) = api
        .post("/users", Some(&doctor), json!({"name": "Ana", "phone": "123"}))
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("phone"))
    );
    let (status, _) = api
        .post(
            "/users",
            Some(&doctor),
            json!({"name": "Ana", "phone": "(11) 98765-4321", "unknown": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Create with an Idempotency-Key: a retry replays, another body is refused.
    let patient_body = json!({"name": "Ana Souza", "cpf": "529.982.247-25", "phone": "+55 11 98765-4321",
        "emergencyContact": {"name": "José Souza", "phone": "(11) 3456-7890", "relationship": "pai"}});
    let send = |body: Value| {
        api.http
            .post(format!("{}/users", api.base))
            .bearer_auth(&doctor)
            .header("Idempotency-Key", "cria-ana-1")
            .json(&body)
            .send()
    };
    let first = send(patient_body.clone()).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let created: Value = first.json().await.unwrap();
    let retry = send(patient_body.clone()).await.unwrap();
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(retry.json::<Value>().await.unwrap(), created);
    let reused = send(json!({"name": "Outra", "phone": "(11) 91111-2222"}))
        .await
        .unwrap();
    assert_eq!(reused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let patient_id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["phone"], "+5511987654321");
    assert_eq!(created["cpfMasked"], "***.***.*47-25");
    assert_eq!(created["emergencyContact"]["phone"], "+551134567890");
    assert!(created.get("cpf").is_none(), "the full CPF is never returned");

    let (status, problem) = api
        .post(
            "/users",
            Some(&doctor),
            json!({"name": "Dup", "cpf": "52998224725", "phone": "(21) 99999-0000"}),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("cpf_taken"))
    );
    let (status, found) = api.get("/users?cpf=529.982.247-25", &doctor).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["items"][0]["id"], patient_id.as_str());
    assert_eq!(
        api.get("/users?cpf=111.444.777-35", &doctor).await.1["items"],
        json!([])
    );

    // Another organization cannot see the patient exist.
    let (status, problem) = api.get(&format!("/users/{patient_id}"), &stranger).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(
        api.get("/users?cpf=529.982.247-25", &stranger).await.1["items"],
        json!([])
    );

    // Health data: plausible values only.
    let path = format!("/users/{patient_id}/health-data");
    let (status, problem) = api.post(&path, Some(&doctor), json!({"type": "VITAL_SIGN", "data": {"kind": "blood_pressure", "systolic": 1300, "diastolic": 80}})).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("data.systolic"))
    );
    let (status, bp) = api.post(&path, Some(&doctor), json!({"type": "VITAL_SIGN", "data": {"kind": "blood_pressure", "systolic": 130, "diastolic": 80}})).await;
    assert_eq!(status, StatusCode::CREATED, "{bp}");
    assert_eq!(bp["data"]["unit"], "mmHg");
    let (status, secret) = api
        .post(&path, Some(&doctor), json!({"type": "CONDITION", "data": {"cid10": "F32.1", "name": "Episódio depressivo"}, "sensitivityLevel": "CONFIDENTIAL"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{secret}");
    let secret_path = format!("{path}/{}", secret["id"].as_str().unwrap());

    // CONFIDENTIAL: the nurse is not in the care team: 403, left out of lists, and audited.
    let (status, _) = api.get(&secret_path, &nurse).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, listed) = api.get(&path, &nurse).await;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        1,
        "only the blood pressure"
    );
    // Break-glass opens it, flagged for review.
    let (status, problem) = api
        .post(
            &format!("/users/{patient_id}/break-glass"),
            Some(&nurse),
            json!({"reason": "curto"}),
        )
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
    );
    let (status, grant) = api
        .post(
            &format!("/users/{patient_id}/break-glass"),
            Some(&nurse),
            json!({"reason": "Paciente inconsciente no pronto-socorro", "durationMinutes": 30}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{grant}");
    assert_eq!(grant["requiresReview"], true);
    let (status, read) = api.get(&secret_path, &nurse).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["data"]["cid10"], "F32.1");
    // Admins read it without break-glass; the stranger gets 404.
    assert_eq!(api.get(&secret_path, &admin).await.0, StatusCode::OK);
    assert_eq!(api.get(&secret_path, &stranger).await.0, StatusCode::NOT_FOUND);

    // The audit trail: the denial, the break-glass and the read under it await review.
    let (status, review) = api.get("/audit-logs?requiresReview=true", &admin).await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = review["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"BREAK_GLASS") && actions.contains(&"READ"),
        "{actions:?}"
    );
    let (_, denied) = api.get("/audit-logs?action=ACCESS_DENIED", &admin).await;
    assert!(!denied["items"].as_array().unwrap().is_empty());
    let break_glass = review["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "BREAK_GLASS")
        .unwrap();
    assert_eq!(break_glass["riskLevel"], "CRITICAL");
    // Providers see only their own actions; nobody's trail holds the reason or the diagnosis.
    let (_, mine) = api.get("/audit-logs", &nurse).await;
    let nurse_id = api.get("/me", &nurse).await.1["id"].clone();
    assert!(
        mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actorId"] == nurse_id)
    );
    let all = api.get("/audit-logs?limit=500", &admin).await.1.to_string();
    for phi in [
        "inconsciente",
        "F32.1",
        "529.982.247-25",
        "52998224725",
        "José Souza",
    ] {
        assert!(!all.contains(phi), "the audit log holds personal data");
    }

    // Organization settings: the access token is write-only.
    let (status, updated, _) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/organizations/{}", org.id),
            Some(&admin),
            Some(json!({"settings": {"whatsapp": {"phoneNumberId": "106540352242922", "accessToken": "EAAG-token-secreto"}}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(
        updated["settings"]["whatsapp"]["phoneNumberId"],
        "106540352242922"
    );
    assert_eq!(updated["settings"]["whatsapp"]["accessTokenSet"], true);
    assert!(!updated.to_string().contains("EAAG"));
    let (status, _, _) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/organizations/{}", org.id),
            Some(&doctor),
            Some(json!({"name": "X"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Patients log in with a code sent to their WhatsApp.
    let (status, answer) = api
        .post(
            "/auth/otp/request",
            None,
            json!({"organizationId": org.id, "phone": "(11) 98765-4321"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, same) = api
        .post(
            "/auth/otp/request",
            None,
            json!({"organizationId": org.id, "phone": "(11) 90000-0000"}),
        )
        .await;
    assert_eq!(
        (status, &same),
        (StatusCode::ACCEPTED, &answer),
        "the same answer for an unknown phone"
    );
    let code = {
        let mut found = None;
        for _ in 0..50 {
            if let Some(message) = api.outbox.lock().unwrap().last().cloned() {
                found = Some(message);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let message = found.expect("a WhatsApp message was sent");
        assert_eq!(
            api.outbox.lock().unwrap().len(),
            1,
            "nothing is sent to an unknown phone"
        );
        assert_eq!(message["to"], "+5511987654321");
        let text = message["text"]["body"].as_str().unwrap();
        text.split_whitespace()
            .find(|w| w.len() == 7 && w.ends_with('.'))
            .unwrap()
            .trim_end_matches('.')
            .to_owned()
    };
    let (status, _) = api
        .post(
            "/auth/otp/verify",
            None,
            json!({"organizationId": org.id, "phone": "(11) 98765-4321", "code": "000000"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, session) = api
        .post(
            "/auth/otp/verify",
            None,
            json!({"organizationId": org.id, "phone": "11987654321", "code": code}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    let patient = session["token"].as_str().unwrap().to_owned();
    let (status, again) = api
        .post(
            "/auth/otp/verify",
            None,
            json!({"organizationId": org.id, "phone": "(11) 98765-4321", "code": code}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a code works once: {again}");

    // The patient: own record and health data, not others', no audit log.
    assert_eq!(
        api.get(&format!("/users/{patient_id}"), &patient).await.0,
        StatusCode::OK
    );
    assert_eq!(api.get(&secret_path, &patient).await.0, StatusCode::OK);
    let (status, other_patient) = api
        .post(
            "/users",
            Some(&doctor),
            json!({"name": "Bruno", "phone": "(21) 98888-7777"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        api.get(
            &format!("/users/{}", other_patient["id"].as_str().unwrap()),
            &patient
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(api.get("/audit-logs", &patient).await.0, StatusCode::FORBIDDEN);
    let (status, reported) = api.post(&path, Some(&patient), json!({"type": "SYMPTOM", "data": {"description": "tontura", "intensity": 4}, "source": "LABORATORY"})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        reported["source"], "PATIENT_REPORTED",
        "patients cannot claim another source"
    );

    // The chain is intact after all of it.
    assert!(
        austa_server::audit::verify::verify(&api.services, None)
            .await
            .unwrap()
            .intact
    );
}

on_both_backends!(platform_keys_headers_and_bad_requests);
async fn platform_keys_headers_and_bad_requests(api: Api) {
    let key = api_keys::create(
        &api.services,
        &Actor::platform(),
        None,
        Role::System,
        "integração",
    )
    .await
    .unwrap();
    let token = key.token.expose().to_owned();
    let (status, org) = api
        .post(
            "/organizations",
            Some(&token),
            json!({"name": "Via API", "taxId": "11.222.333/0001-81"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    let org_id = org["id"].as_str().unwrap().to_owned();
    let (status, problem) = api
        .post(
            "/organizations",
            Some(&token),
            json!({"name": "Dup", "taxId": "11222333000181"}),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("tax_id_taken"))
    );
    let (status, problem) = api
        .post(
            "/users",
            Some(&token),
            json!({"name": "Sem Org", "phone": "(11) 97777-6666"}),
        )
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("organizationId"))
    );
    let (status, patient) = api
        .post(
            &format!("/users?organizationId={org_id}"),
            Some(&token),
            json!({"name": "Com Org", "phone": "(11) 97777-6666"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{patient}");
    assert_eq!(
        api.get(&format!("/users/{}", patient["id"].as_str().unwrap()), &token)
            .await
            .0,
        StatusCode::OK
    );
    let (status, listed) = api.get("/organizations", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    // Security headers; unknown routes and malformed requests are problems, never 500.
    let response = api
        .http
        .get(format!("{}/me", api.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("cache-control", "no-store"),
    ] {
        assert_eq!(response.headers()[name], value, "{name}");
    }
    assert!(response.headers().contains_key("content-security-policy"));
    assert!(
        !response.headers().contains_key("access-control-allow-origin"),
        "CORS is closed"
    );
    let (status, problem) = api.get("/nothing-here", &token).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, _) = api.get("/users/not-a-uuid", &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, problem) = api
        .get("/users?limit=0&organizationId=".to_owned().as_str(), &token)
        .await;
    assert!(status.is_client_error(), "{problem}");
    let raw = api
        .http
        .post(format!("{}/auth/login", api.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    let huge = api
        .http
        .post(format!("{}/auth/login", api.base))
        .header("content-type", "application/json")
        .body(vec![b' '; 4 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Metrics: per route template and status, never per id.
    let root = api.base.trim_end_matches("/api/v1");
    let metrics = api.http.get(format!("{root}/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains(r#"austa_http_requests_total{method="GET",route="/api/v1/users/{id}",status="200"}"#),
        "{text}"
    );
    assert!(text.contains(r#"route="/api/v1/auth/login",status="400""#));
    assert!(text.contains("austa_http_request_duration_seconds_bucket"));
    let appended: f64 = text
        .lines()
        .find(|l| l.starts_with("austa_audit_entries_total"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap()
        .parse()
        .unwrap();
    assert!(appended >= 3.0, "audit entries are counted");
    assert!(
        !text.contains(patient["id"].as_str().unwrap()),
        "no ids in labels"
    );
}

on_both_backends!(providers_and_conversations);
async fn providers_and_conversations(api: Api) {
    let demo = austa_server::seed::demo(&api.services).await.unwrap();
    let password = demo.logins.unwrap()["password"].as_str().unwrap().to_owned();
    let doctor = api.login("medico@demo.austa.care", &password, None).await.1["token"]
        .as_str()
        .unwrap()
        .to_owned();

    // Council registrations: format checked, duplicates refused, verification by admins only.
    let (status, providers) = api.get("/providers?council=crm", &doctor).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(providers["items"][0]["licence"], "CRM-SP 123456");
    let nurse_id = api.get("/providers?council=COREN", &doctor).await.1["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = api.post("/providers", Some(&doctor), json!({"userId": uuid::Uuid::now_v7(), "council": "CRM", "councilRegion": "SP", "councilNumber": "1"})).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "providers do not register providers"
    );
    let (status, _, _) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/providers/{nurse_id}"),
            Some(&doctor),
            Some(json!({"specialties": ["Oncologia"]})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only their own registration");

    // Conversations and decrypted messages.
    let (status, list) = api.get("/conversations?limit=5", &doctor).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 5);
    assert!(list["nextCursor"].is_string());
    let next = api
        .get(
            &format!(
                "/conversations?limit=50&cursor={}",
                list["nextCursor"].as_str().unwrap()
            ),
            &doctor,
        )
        .await
        .1;
    assert_eq!(
        next["items"].as_array().unwrap().len(),
        7,
        "12 conversations in all, each once"
    );
    let mut texts = Vec::new();
    for c in list["items"].as_array().unwrap() {
        let (status, messages) = api
            .get(
                &format!("/conversations/{}/messages", c["id"].as_str().unwrap()),
                &doctor,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        for m in messages["items"].as_array().unwrap() {
            texts.push(m["content"]["text"].as_str().unwrap().to_owned());
        }
    }
    assert!(
        texts.iter().any(|t| t.contains("13 por 8")
            || t.contains("receita")
            || t.contains("tosse")
            || t.contains("autorização")),
        "{texts:?}"
    );
    let (status, problem) = api.get("/conversations?status=OPEN", &doctor).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("status"))
    );
}

#[tokio::test]
async fn openapi_documents_every_route_and_error() {
    let dir = std::env::temp_dir().join(format!("austa-api-{}", uuid::Uuid::now_v7().simple()));
    let api = start(std::sync::Arc::new(
        SqliteStore::open(&dir.join("austa.db")).await.unwrap(),
    ))
    .await;
    let response = api
        .http
        .get(format!("{}/openapi.json", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let expected = [
        ("post", "/auth/login"),
        ("post", "/auth/otp/request"),
        ("post", "/auth/otp/verify"),
        ("post", "/auth/logout"),
        ("get", "/me"),
        ("get", "/organizations"),
        ("post", "/organizations"),
        ("get", "/organizations/{id}"),
        ("patch", "/organizations/{id}"),
        ("get", "/users"),
        ("post", "/users"),
        ("get", "/users/{id}"),
        ("patch", "/users/{id}"),
        ("get", "/users/{id}/health-data"),
        ("post", "/users/{id}/health-data"),
        ("get", "/users/{id}/health-data/{record}"),
        ("patch", "/users/{id}/health-data/{record}"),
        ("delete", "/users/{id}/health-data/{record}"),
        ("post", "/users/{id}/break-glass"),
        ("get", "/users/{id}/care-team"),
        ("post", "/users/{id}/care-team"),
        ("delete", "/users/{id}/care-team/{provider}"),
        ("get", "/providers"),
        ("post", "/providers"),
        ("get", "/providers/{id}"),
        ("patch", "/providers/{id}"),
        ("get", "/conversations"),
        ("get", "/conversations/{id}"),
        ("get", "/conversations/{id}/messages"),
        ("post", "/conversations/{id}/messages"),
        ("post", "/conversations/{id}/read"),
        ("post", "/conversations/{id}/release"),
        ("get", "/users/{id}/medication-reminders"),
        ("post", "/users/{id}/medication-reminders"),
        ("delete", "/users/{id}/medication-reminders/{reminder}"),
        ("get", "/users/{id}/points"),
        ("get", "/users/{id}/point-transactions"),
        ("post", "/users/{id}/point-transactions"),
        ("get", "/missions"),
        ("post", "/missions"),
        ("put", "/missions/{code}"),
        ("get", "/leaderboard"),
        ("get", "/users/{id}/onboarding-progress"),
        ("get", "/users/{id}/badges"),
        ("patch", "/users/{id}/gamification-preferences"),
        ("get", "/authorizations"),
        ("post", "/authorizations"),
        ("get", "/authorizations/{id}"),
        ("post", "/authorizations/{id}/transitions"),
        ("post", "/documents"),
        ("get", "/documents/{id}"),
        ("delete", "/documents/{id}"),
        ("get", "/documents/{id}/content"),
        ("post", "/documents/{id}/verify"),
        ("get", "/users/{id}/documents"),
        ("get", "/alerts"),
        ("post", "/alerts/{id}/acknowledge"),
        ("post", "/alerts/{id}/resolve"),
        ("get", "/audit-logs"),
    ];
    let paths = doc["paths"].as_object().unwrap();
    let documented: usize = paths.values().map(|item| item.as_object().unwrap().len()).sum();
    assert_eq!(
        documented,
        expected.len(),
        "every route is documented, and only routes"
    );
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (method, path) in expected {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        let responses = operation["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|k| k.starts_with('2')),
            "{method} {path}: no success response"
        );
        assert!(
            responses
                .iter()
                .any(|(k, v)| k.starts_with('4') && v.to_string().contains("Problem")),
            "{method} {path}: errors are not documented as problems"
        );
        // Every schema an operation references is defined.
        for reference in operation.to_string().split("#/components/schemas/").skip(1) {
            let name: String = reference.chars().take_while(|c| *c != '"').collect();
            assert!(
                schemas.contains_key(&name),
                "{method} {path} references missing schema {name}"
            );
        }
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert_eq!(
        schemas["PatientRecord"]["properties"]["cpfMasked"]["type"],
        json!(["string", "null"])
    );
    let level = &schemas["HealthRecord"]["properties"]["sensitivityLevel"];
    let level = if level["$ref"].is_string() {
        &schemas["SensitivityLevel"]
    } else {
        level
    };
    assert!(level.to_string().contains("CONFIDENTIAL"), "{level}");

    let page = api.http.get(format!("{}/docs", api.base)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert!(page.text().await.unwrap().contains("/api/v1/openapi.json"));
}

on_both_backends!(care_team_opens_confidential_data_and_api_keys_revoke);
async fn care_team_opens_confidential_data_and_api_keys_revoke(api: Api) {
    let demo = austa_server::seed::demo(&api.services).await.unwrap();
    let logins = demo.logins.unwrap();
    let password = logins["password"].as_str().unwrap().to_owned();
    let totp = TotpSecret::from_uri(logins["admin"]["totpUri"].as_str().unwrap()).unwrap();
    let admin = api
        .login("admin@demo.austa.care", &password, Some(code_now(&totp, 0)))
        .await
        .1["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let nurse = api.login("enfermeira@demo.austa.care", &password, None).await.1["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let nurse_id = api.get("/me", &nurse).await.1["id"].as_str().unwrap().to_owned();

    // Find a patient with a CONFIDENTIAL record (the admin sees everything).
    let patients = api.get("/users?limit=50", &admin).await.1;
    let mut target = None;
    for p in patients["items"].as_array().unwrap() {
        let id = p["id"].as_str().unwrap().to_owned();
        let records = api
            .get(&format!("/users/{id}/health-data?limit=50"), &admin)
            .await
            .1;
        if let Some(r) = records["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["sensitivityLevel"] == "CONFIDENTIAL")
        {
            target = Some((id, r["id"].as_str().unwrap().to_owned()));
            break;
        }
    }
    let (patient, record) = target.expect("the demo has confidential records");
    let path = format!("/users/{patient}/health-data/{record}");
    assert_eq!(api.get(&path, &nurse).await.0, StatusCode::FORBIDDEN);

    let team = format!("/users/{patient}/care-team");
    let (status, _) = api
        .post(&team, Some(&nurse), json!({"providerUserId": nurse_id}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "providers do not add themselves");
    let (status, added) = api
        .post(&team, Some(&admin), json!({"providerUserId": nurse_id}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let (status, problem) = api
        .post(&team, Some(&admin), json!({"providerUserId": nurse_id}))
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_in_care_team"))
    );
    let (status, problem) = api
        .post(&team, Some(&admin), json!({"providerUserId": patient}))
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("providerUserId"))
    );
    assert_eq!(
        api.get(&path, &nurse).await.0,
        StatusCode::OK,
        "the care team reads without break-glass"
    );
    let members = api.get(&team, &nurse).await.1;
    assert!(
        members
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["providerUserId"] == nurse_id.as_str())
    );
    let (status, _, _) = api
        .call(
            reqwest::Method::DELETE,
            &format!("{team}/{nurse_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.get(&path, &nurse).await.0,
        StatusCode::FORBIDDEN,
        "removal takes effect at once"
    );

    // API keys: revoked keys stop working at once.
    let key = api_keys::create(
        &api.services,
        &Actor::platform(),
        None,
        Role::System,
        "temporária",
    )
    .await
    .unwrap();
    let token = key.token.expose().to_owned();
    assert_eq!(api.get("/organizations", &token).await.0, StatusCode::OK);
    api_keys::revoke(&api.services, &Actor::platform(), key.key.id)
        .await
        .unwrap();
    assert_eq!(
        api.get("/organizations", &token).await.0,
        StatusCode::UNAUTHORIZED
    );
}

// ---------------------------------------------------------------------------------------------

const APP_SECRET: &str = "app_secret_de_teste_123";

/// A fixture file, its exact bytes, and the signature Meta sent with them.
type SignedBody = (String, Vec<u8>, String);

fn wire_fixtures() -> (Vec<SignedBody>, Vec<u8>) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../whatsapp/tests/fixtures");
    let doc: Value = serde_json::from_slice(&std::fs::read(dir.join("signatures.json")).unwrap()).unwrap();
    assert_eq!(doc["app_secret"], APP_SECRET);
    let vectors = doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let file = v["file"].as_str().unwrap().to_owned();
            let body = std::fs::read(dir.join(&file)).unwrap();
            (file, body, v["x_hub_signature_256"].as_str().unwrap().to_owned())
        })
        .collect();
    (vectors, std::fs::read(dir.join("pretty_text.json")).unwrap())
}

async fn webhook_api(store: Arc<dyn Store>) -> Api {
    start_with(
        store,
        bootstrap::Options {
            whatsapp_app_secret: Some(SecretString::from(APP_SECRET)),
            whatsapp_verify_token: Some(SecretString::from("token-de-verificacao")),
            ..Default::default()
        },
    )
    .await
}

impl Api {
    fn root(&self) -> String {
        self.base.trim_end_matches("/api/v1").to_owned()
    }

    async fn deliver(&self, body: &[u8], signature: Option<&str>) -> StatusCode {
        let mut request = self
            .http
            .post(format!("{}/webhooks/whatsapp", self.root()))
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(s) = signature {
            request = request.header("x-hub-signature-256", s);
        }
        request.send().await.unwrap().status()
    }

    async fn stored(
        &self,
    ) -> (
        Vec<austa_store::model::WebhookDelivery>,
        Vec<austa_store::model::Job>,
    ) {
        let mut tx = self
            .services
            .store
            .begin(
                austa_domain::Principal::system().scope(),
                austa_store::TxMode::Read,
            )
            .await
            .unwrap();
        let deliveries = tx.list(&austa_store::ListQuery::first(500)).await.unwrap().items;
        let jobs = tx.list(&austa_store::ListQuery::first(500)).await.unwrap().items;
        tx.rollback().await.unwrap();
        (deliveries, jobs)
    }
}

on_both_backends_webhook!(webhooks_are_verified_stored_once_and_queued);
async fn webhooks_are_verified_stored_once_and_queued(api: Api) {
    // The verification handshake.
    let verify = |token: &str, mode: &str| {
        api.http
            .get(format!(
                "{}/webhooks/whatsapp?hub.mode={mode}&hub.challenge=1158201444&hub.verify_token={token}",
                api.root()
            ))
            .send()
    };
    let ok = verify("token-de-verificacao", "subscribe").await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    assert_eq!(
        verify("errado", "subscribe").await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        verify("token-de-verificacao", "unsubscribe")
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );

    // Refused: nothing stored.
    let (vectors, pretty) = wire_fixtures();
    let (_, text_body, text_signature) = vectors
        .iter()
        .find(|(f, _, _)| f == "wire/text.json")
        .unwrap()
        .clone();
    assert_eq!(api.deliver(&text_body, None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        api.deliver(&text_body, Some("sha256=00")).await,
        StatusCode::UNAUTHORIZED
    );
    let wrong = austa_whatsapp::signature::sign(b"outro segredo", &text_body);
    assert_eq!(
        api.deliver(&text_body, Some(&wrong)).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api.deliver(&pretty, Some(&text_signature)).await,
        StatusCode::UNAUTHORIZED,
        "re-serialized bodies fail"
    );
    let not_json = b"{\"object\": ";
    let signed = austa_whatsapp::signature::sign(APP_SECRET.as_bytes(), not_json);
    assert_eq!(
        api.deliver(not_json, Some(&signed)).await,
        StatusCode::BAD_REQUEST
    );
    let (deliveries, jobs) = api.stored().await;
    assert!(
        deliveries.is_empty() && jobs.is_empty(),
        "nothing stored for refused deliveries"
    );

    // Every fixture, twice: stored once each, each with one processing job, bytes kept exactly.
    for round in 0..2 {
        for (file, body, signature) in &vectors {
            assert_eq!(
                api.deliver(body, Some(signature)).await,
                StatusCode::OK,
                "{file} (round {round})"
            );
        }
    }
    let (deliveries, jobs) = api.stored().await;
    assert_eq!(deliveries.len(), vectors.len());
    assert_eq!(jobs.len(), vectors.len());
    assert!(
        jobs.iter().all(|j| j.kind == "whatsapp.process_notification"
            && j.status == austa_domain::enums::JobStatus::Pending)
    );
    for d in &deliveries {
        let body = austa_server::service::webhooks::body(&api.services, d.id)
            .await
            .unwrap();
        assert!(
            vectors.iter().any(|(_, b, _)| *b == body),
            "stored bytes are the received bytes"
        );
        assert!(
            !d.body_encrypted.windows(8).any(|w| w == b"wamid.HB"),
            "stored sealed"
        );
    }

    // Concurrent retries of one new notification: stored once.
    let fresh = text_body
        .iter()
        .map(|b| if *b == b'1' { b'2' } else { *b })
        .collect::<Vec<u8>>();
    let signature = austa_whatsapp::signature::sign(APP_SECRET.as_bytes(), &fresh);
    let mut concurrent = Vec::new();
    for _ in 0..8 {
        let (http, url, body, signature) = (
            api.http.clone(),
            format!("{}/webhooks/whatsapp", api.root()),
            fresh.clone(),
            signature.clone(),
        );
        concurrent.push(tokio::spawn(async move {
            http.post(url)
                .header("x-hub-signature-256", signature)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for task in concurrent {
        assert_eq!(task.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(api.stored().await.0.len(), vectors.len() + 1);
}

#[tokio::test]
async fn webhooks_are_refused_without_an_app_secret() {
    let dir = std::env::temp_dir().join(format!("austa-api-{}", uuid::Uuid::now_v7().simple()));
    let api = start(Arc::new(SqliteStore::open(&dir.join("austa.db")).await.unwrap())).await;
    let (vectors, _) = wire_fixtures();
    assert_eq!(
        api.deliver(&vectors[0].1, Some(&vectors[0].2)).await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert!(api.stored().await.0.is_empty());
}

on_both_backends_webhook!(notifications_become_messages_once_and_statuses_only_move_forward);
async fn notifications_become_messages_once_and_statuses_only_move_forward(api: Api) {
    use austa_domain::enums::{MessageDirection, MessageStatus, MessageType};
    use austa_server::service::inbound;
    use austa_store::model::{Conversation, Message, User};
    use austa_whatsapp::webhook::{InboundMessage, Notification};

    // The organization owning the fixtures' business number, and a patient who already exists.
    let org = organizations::create(
        &api.services,
        &Actor::platform(),
        organizations::NewOrganization {
            name: "Clínica WhatsApp",
            tax_id: "11.222.333/0001-81",
        },
    )
    .await
    .unwrap();
    let actor = Actor::system_for(org.id);
    let changes: organizations::OrganizationChanges = serde_json::from_value(
        json!({"settings": {"whatsapp": {"phoneNumberId": "109876543210987", "accessToken": "token"}}}),
    )
    .unwrap();
    austa_server::transact!(&api.services, &actor, austa_store::TxMode::Write, |work| {
        organizations::update(work, org.id, changes).await
    })
    .unwrap();
    let existing: austa_server::service::patients::NewPatient =
        serde_json::from_value(json!({"name": "Maria Oliveira", "phone": "+55 11 98765-4321"})).unwrap();
    let maria = austa_server::transact!(&api.services, &actor, austa_store::TxMode::Write, |work| {
        austa_server::service::patients::create(work, org.id, existing).await
    })
    .unwrap();

    // An outbound message the status fixtures are about, still queued.
    let (vectors, _) = wire_fixtures();
    let status_wamid = {
        let body = &vectors
            .iter()
            .find(|(f, _, _)| f == "wire/status_sent.json")
            .unwrap()
            .1;
        let n = Notification::parse(body).unwrap();
        n.entry[0].changes[0].value.as_ref().unwrap().statuses[0]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let wamid_for_insert = status_wamid.clone();
    austa_server::transact!(&api.services, &actor, austa_store::TxMode::Write, |work| {
        let conversation = work
            .tx()
            .create(&Conversation {
                id: austa_domain::EntityId::generate(),
                organization_id: org.id,
                user_id: maria.id,
                channel: "WHATSAPP".into(),
                business_phone_number_id: Some("109876543210987".into()),
                status: austa_domain::enums::ConversationStatus::Active,
                priority: austa_domain::enums::Priority::Normal,
                health_topics: json!([]),
                medications_mentioned: json!([]),
                symptoms_reported: json!([]),
                ai_context_encrypted: None,
                assigned_provider_id: None,
                last_message_at: None,
                first_response_at: None,
                message_count: 0,
                metrics: json!({}),
                closed_at: None,
                created_at: time::OffsetDateTime::now_utc(),
                updated_at: time::OffsetDateTime::now_utc(),
                deleted_at: None,
            })
            .await?;
        let now = austa_store::value::to_stored_precision(time::OffsetDateTime::now_utc());
        work.tx()
            .create(&Message {
                id: austa_domain::EntityId::generate(),
                organization_id: org.id,
                conversation_id: conversation.id,
                user_id: maria.id,
                whatsapp_message_id: Some(wamid_for_insert),
                business_phone_number_id: Some("109876543210987".into()),
                direction: MessageDirection::Outbound,
                message_type: MessageType::Text,
                content_encrypted: None,
                media_id: None,
                context_message_id: None,
                status: MessageStatus::Queued,
                status_updated_at: None,
                error_code: None,
                error_title: None,
                sent_at: now,
                delivered_at: None,
                read_at: None,
                ai_processed: false,
                ai_confidence: None,
                ai_intent: None,
                ai_entities: json!([]),
                health_keywords: json!([]),
                urgency_level: None,
                metadata: json!({}),
                created_at: now,
                updated_at: now,
                deleted_at: None,
            })
            .await?;
        let failed_wamid = "wamid.HBgNNTUxMTkxMjM0NTY3OBUCABEYEkJFQjUwMEJFNjFGMjQ0NThDQwA=".to_owned();
        let now = austa_store::value::to_stored_precision(time::OffsetDateTime::now_utc());
        let mut second: Message = work
            .tx()
            .list::<Message>(&austa_store::ListQuery::first(1))
            .await?
            .items
            .remove(0);
        second.id = austa_domain::EntityId::generate();
        second.whatsapp_message_id = Some(failed_wamid);
        second.status = MessageStatus::Sent;
        second.created_at = now;
        second.updated_at = now;
        work.tx().create(&second).await?;
        Ok(())
    })
    .unwrap();

    // Every fixture, twice, in file order (so `sent` arrives after `read`).
    for _ in 0..2 {
        for (file, body, signature) in &vectors {
            assert_eq!(api.deliver(body, Some(signature)).await, StatusCode::OK, "{file}");
        }
    }
    while austa_server::job_handlers::run_pending(&api.services, "test-worker", 7)
        .await
        .unwrap()
        > 0
    {}

    let mut expected = std::collections::BTreeSet::new();
    for (_, body, _) in &vectors {
        let n = Notification::parse(body).unwrap();
        for e in &n.entry {
            for c in &e.changes {
                for raw in &c.value.as_ref().unwrap().messages {
                    expected.insert(InboundMessage::parse(raw).unwrap().id);
                }
            }
        }
    }
    let mut tx = api
        .services
        .store
        .begin(
            austa_domain::Principal::system_for(org.id).scope(),
            austa_store::TxMode::Read,
        )
        .await
        .unwrap();
    let messages: Vec<Message> = tx.list(&austa_store::ListQuery::first(500)).await.unwrap().items;
    let users: Vec<User> = tx.list(&austa_store::ListQuery::first(500)).await.unwrap().items;
    tx.rollback().await.unwrap();
    let inbound_ids: std::collections::BTreeSet<String> = messages
        .iter()
        .filter(|m| m.direction == MessageDirection::Inbound)
        .map(|m| m.whatsapp_message_id.clone().unwrap())
        .collect();
    let inbound_count = messages
        .iter()
        .filter(|m| m.direction == MessageDirection::Inbound)
        .count();
    assert_eq!(inbound_ids, expected, "every message of every notification");
    assert_eq!(
        inbound_count,
        expected.len(),
        "each exactly once, though delivered twice"
    );
    for kind in [
        MessageType::Text,
        MessageType::Image,
        MessageType::Audio,
        MessageType::Reaction,
        MessageType::Location,
        MessageType::Unsupported,
    ] {
        assert!(messages.iter().any(|m| m.message_type == kind), "{kind:?} stored");
    }
    // The known number found Maria; the other became a new beneficiary named from the profile.
    assert!(
        messages
            .iter()
            .filter(|m| m.direction == MessageDirection::Inbound)
            .any(|m| m.user_id == maria.id)
    );
    let newcomers: Vec<&User> = users
        .iter()
        .filter(|u| u.id != maria.id && u.role == Role::Patient)
        .collect();
    assert_eq!(newcomers.len(), 1);
    assert_eq!(newcomers[0].phone.as_deref(), Some("+5511912345678"));
    // Bodies are sealed and decrypt to what the patient wrote.
    let text_body = {
        let n =
            Notification::parse(&vectors.iter().find(|(f, _, _)| f == "wire/text.json").unwrap().1).unwrap();
        InboundMessage::parse(&n.entry[0].changes[0].value.as_ref().unwrap().messages[0]).unwrap()
    };
    let stored = messages
        .iter()
        .find(|m| m.whatsapp_message_id.as_deref() == Some(&text_body.id))
        .unwrap();
    let mut work = austa_server::work::Work::begin(&api.services, &actor, austa_store::TxMode::Read)
        .await
        .unwrap();
    let plain = api
        .services
        .keys
        .decrypt(
            work.tx(),
            org.id,
            inbound::CONTENT_FIELD,
            austa_domain::EntityId::as_uuid(&stored.id),
            stored.content_encrypted.as_ref().unwrap(),
        )
        .await
        .unwrap();
    work.rollback().await.unwrap();
    let content: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(content["text"]["body"].as_str(), text_body.text());
    // Statuses only move forward: `sent` and `delivered` after `read` change nothing.
    let outbound = messages
        .iter()
        .find(|m| m.whatsapp_message_id.as_deref() == Some(&status_wamid))
        .unwrap();
    assert_eq!(outbound.status, MessageStatus::Read);
    // A failed status keeps Meta's code and title.
    let failed = messages
        .iter()
        .find(|m| {
            m.whatsapp_message_id.as_deref()
                == Some("wamid.HBgNNTUxMTkxMjM0NTY3OBUCABEYEkJFQjUwMEJFNjFGMjQ0NThDQwA=")
        })
        .unwrap();
    assert_eq!(
        (failed.status, failed.error_code, failed.error_title.as_deref()),
        (MessageStatus::Failed, Some(131047), Some("Re-engagement message"))
    );
    assert!(outbound.read_at.is_some() && outbound.delivered_at.is_some());

    // Running a notification again (at-least-once) adds nothing.
    let (deliveries, _) = api.stored().await;
    let again = inbound::process(&api.services, deliveries[0].id).await.unwrap();
    assert_eq!(again.messages_stored, 0);
    assert!(
        deliveries
            .iter()
            .all(|d| d.organization_id.is_none() || d.organization_id == Some(org.id))
    );
}

/// A notification in Meta's format with the given messages, signed.
fn notification(messages: Value, contacts: Value) -> (Vec<u8>, String) {
    let body = serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "104587632219875", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "5511930041234", "phone_number_id": "109876543210987"},
            "contacts": contacts,
            "messages": messages,
        }}]}],
    }))
    .unwrap();
    let signature = austa_whatsapp::signature::sign(APP_SECRET.as_bytes(), &body);
    (body, signature)
}

on_both_backends_webhook!(the_documented_format_beyond_the_fixtures);
async fn the_documented_format_beyond_the_fixtures(api: Api) {
    use austa_store::model::{Message, User};

    let org = organizations::create(
        &api.services,
        &Actor::platform(),
        organizations::NewOrganization {
            name: "Clínica Formato",
            tax_id: "11.222.333/0001-81",
        },
    )
    .await
    .unwrap();
    let actor = Actor::system_for(org.id);
    let changes: organizations::OrganizationChanges =
        serde_json::from_value(json!({"settings": {"whatsapp": {"phoneNumberId": "109876543210987"}}}))
            .unwrap();
    austa_server::transact!(&api.services, &actor, austa_store::TxMode::Write, |work| {
        organizations::update(work, org.id, changes).await
    })
    .unwrap();
    let input: austa_server::service::patients::NewPatient =
        serde_json::from_value(json!({"name": "Paciente Antigo", "phone": "(11) 98765-1234"})).unwrap();
    let old_number = austa_server::transact!(&api.services, &actor, austa_store::TxMode::Write, |work| {
        austa_server::service::patients::create(work, org.id, input).await
    })
    .unwrap();

    // Two onboarding missions, the second after the first: a newcomer starts both, one available.
    let mission = |code: &str, prerequisites: Value| austa_store::model::Mission {
        id: austa_domain::EntityId::generate(),
        organization_id: org.id,
        code: code.into(),
        version: 1,
        title: code.into(),
        description: "missão".into(),
        category: austa_domain::enums::MissionCategory::Onboarding,
        difficulty: austa_domain::enums::Difficulty::Easy,
        points: 50,
        prerequisites,
        available_from: None,
        available_until: None,
        repeatability: austa_domain::enums::Repeatability::Once,
        badge: None,
        completion_rule: json!({"event": "consent_given", "count": 1}),
        is_active: true,
        published_at: Some(austa_store::value::to_stored_precision(
            time::OffsetDateTime::now_utc(),
        )),
        created_at: austa_store::value::to_stored_precision(time::OffsetDateTime::now_utc()),
        updated_at: austa_store::value::to_stored_precision(time::OffsetDateTime::now_utc()),
        deleted_at: None,
    };
    let first = mission("aceitar-lgpd", json!([]));
    let second = mission("foto-carteirinha", json!([first.id]));
    let (first_ref, second_ref) = (&first, &second);
    austa_server::transact!(&api.services, &actor, austa_store::TxMode::Write, |work| {
        work.tx().create(first_ref).await?;
        work.tx().create(second_ref).await?;
        Ok(())
    })
    .unwrap();
    let ts = "1764300000";
    let (body, signature) = notification(
        json!([
            // A Brazilian id without the ninth digit still finds the patient.
            {"from": "551187651234", "id": "wamid.legacy1", "timestamp": ts, "type": "text", "text": {"body": "oi"}},
            // A reaction removed: no emoji key.
            {"from": "551187651234", "id": "wamid.react1", "timestamp": ts, "type": "reaction", "reaction": {"message_id": "wamid.legacy1"}},
            // A type this code has never seen, with fields it does not know.
            {"from": "551187651234", "id": "wamid.future1", "timestamp": ts, "type": "hologram", "hologram": {"depth": 3}, "new_field": [1, 2]},
            // A username-only user: no `from`, only a business-scoped id; twice, one person.
            {"from_user_id": "BR.8f2c1a", "id": "wamid.user1", "timestamp": ts, "type": "text", "text": {"body": "olá"}},
            {"from_user_id": "BR.8f2c1a", "id": "wamid.user2", "timestamp": ts, "type": "text", "text": {"body": "tudo bem?"}},
            // A system message.
            {"from": "551187651234", "id": "wamid.sys1", "timestamp": ts, "type": "system", "system": {"body": "User changed number", "type": "user_changed_number"}},
        ]),
        json!([{"profile": {"name": "Antigo"}, "wa_id": "551187651234"}, {"profile": {"name": "Usuária"}, "user_id": "BR.8f2c1a"}]),
    );
    assert_eq!(api.deliver(&body, Some(&signature)).await, StatusCode::OK);

    // A large batch: 1000 messages in one notification, all kept.
    let many: Vec<Value> = (0..1000)
        .map(|n| json!({"from": "5511987651234", "id": format!("wamid.batch{n}"), "timestamp": ts, "type": "text", "text": {"body": format!("mensagem {n}")}}))
        .collect();
    let (batch, batch_signature) = notification(json!(many), json!([]));
    assert_eq!(api.deliver(&batch, Some(&batch_signature)).await, StatusCode::OK);
    while austa_server::job_handlers::run_pending(&api.services, "test-worker", 10)
        .await
        .unwrap()
        > 0
    {}

    let mut tx = api
        .services
        .store
        .begin(
            austa_domain::Principal::system_for(org.id).scope(),
            austa_store::TxMode::Read,
        )
        .await
        .unwrap();
    let mut messages: Vec<Message> = Vec::new();
    let mut after = None;
    loop {
        let page = tx
            .list::<Message>(&austa_store::ListQuery::first(500).after(after))
            .await
            .unwrap();
        messages.extend(page.items);
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    let users: Vec<User> = tx.list(&austa_store::ListQuery::first(500)).await.unwrap().items;
    tx.rollback().await.unwrap();
    assert_eq!(messages.len(), 1006);
    let by_id = |id: &str| {
        messages
            .iter()
            .find(|m| m.whatsapp_message_id.as_deref() == Some(id))
            .unwrap()
    };
    assert_eq!(
        by_id("wamid.legacy1").user_id,
        old_number.id,
        "the ninth digit is restored"
    );
    assert_eq!(by_id("wamid.batch999").user_id, old_number.id);
    assert_eq!(
        by_id("wamid.react1").message_type,
        austa_domain::enums::MessageType::Reaction
    );
    assert_eq!(
        by_id("wamid.future1").message_type,
        austa_domain::enums::MessageType::Unsupported
    );
    assert_eq!(
        by_id("wamid.sys1").message_type,
        austa_domain::enums::MessageType::System
    );
    assert_eq!(
        by_id("wamid.user1").user_id,
        by_id("wamid.user2").user_id,
        "one username user, one patient"
    );
    let username_user = users
        .iter()
        .find(|u| u.id == by_id("wamid.user1").user_id)
        .unwrap();
    assert_eq!(
        (
            username_user.phone.as_deref(),
            username_user.whatsapp_id.as_deref()
        ),
        (None, Some("BR.8f2c1a"))
    );
    assert_eq!(users.len(), 2, "the old-number patient and the username user");
    // A username-only user has no number Meta can send to: a clear 422, not a job failing forever.
    let key = api_keys::create(
        &api.services,
        &Actor::platform(),
        Some(org.id),
        Role::System,
        "assistente",
    )
    .await
    .unwrap();
    let conversation = by_id("wamid.user1").conversation_id;
    let (status, problem) = api
        .post(
            &format!("/conversations/{conversation}/messages"),
            Some(key.token.expose()),
            json!({"type": "template", "template": {"name": "retomar_conversa", "language": {"code": "pt_BR"}}}),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("no_whatsapp_number"))
    );
    // The newcomer's onboarding started; the known patient's did not change.
    let mut tx = api
        .services
        .store
        .begin(
            austa_domain::Principal::system_for(org.id).scope(),
            austa_store::TxMode::Read,
        )
        .await
        .unwrap();
    let progress: Vec<austa_store::model::OnboardingProgress> =
        tx.list(&austa_store::ListQuery::first(50)).await.unwrap().items;
    tx.rollback().await.unwrap();
    // (Others in the batch earn progress as the gamification engine sees their events.)
    let progress: Vec<_> = progress
        .into_iter()
        .filter(|p| p.user_id == username_user.id)
        .collect();
    assert_eq!(progress.len(), 2);
    let status_of =
        |m: &austa_store::model::Mission| progress.iter().find(|p| p.mission_id == m.id).unwrap().status;
    assert_eq!(status_of(&first), austa_domain::enums::ProgressStatus::Available);
    assert_eq!(status_of(&second), austa_domain::enums::ProgressStatus::Locked);
}

// Random, truncated, deeply nested or invalid bodies, correctly signed or not: 200, 400 or 401,
// never a 5xx, and the server keeps answering.
on_both_backends_webhook!(hostile_bodies_never_cause_a_server_error);
async fn hostile_bodies_never_cause_a_server_error(api: Api) {
    let (vectors, _) = wire_fixtures();
    let text = vectors
        .iter()
        .find(|(f, _, _)| f == "wire/text.json")
        .unwrap()
        .1
        .clone();
    let mut bodies: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"\"texto\"".to_vec(),
        b"{\"entry\": 7}".to_vec(),
        b"{\"entry\": [{\"changes\": [{\"value\": {\"messages\": [1, null, {\"id\": 5}]}}]}]}".to_vec(),
        b"{\"entry\": [{\"changes\": [{\"value\": {\"metadata\": {\"phone_number_id\": 1e400}}}]}]}".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x7b],
        format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
        format!("{{\"a\":{}1{}}}", "{\"b\":".repeat(200), "}".repeat(200)).into_bytes(),
    ];
    for cut in [1, 10, 100, text.len() / 2, text.len() - 1] {
        bodies.push(text[..cut].to_vec());
    }
    let mut seed: u64 = 0x5eed;
    for _ in 0..40 {
        let len = (seed % 300) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (seed >> 33) as u8
            })
            .collect();
        bodies.push(bytes);
    }
    for body in &bodies {
        let signed = austa_whatsapp::signature::sign(APP_SECRET.as_bytes(), body);
        for signature in [Some(signed.as_str()), None, Some("sha256=nothex")] {
            let status = api.deliver(body, signature).await;
            assert!(
                [StatusCode::OK, StatusCode::BAD_REQUEST, StatusCode::UNAUTHORIZED].contains(&status),
                "{status} for a body of {} bytes",
                body.len()
            );
        }
    }
    // The stored ones are processed without error (nothing routable in them).
    while austa_server::job_handlers::run_pending(&api.services, "test-worker", 10)
        .await
        .unwrap()
        > 0
    {}
    let (_, jobs) = api.stored().await;
    assert!(
        jobs.iter()
            .all(|j| j.status == austa_domain::enums::JobStatus::Done),
        "every stored body is processed"
    );
    assert_eq!(
        api.deliver(
            &text,
            Some(&vectors.iter().find(|(f, _, _)| f == "wire/text.json").unwrap().2)
        )
        .await,
        StatusCode::OK
    );
}

on_both_backends_webhook!(media_is_downloaded_checked_and_stored_encrypted);
async fn media_is_downloaded_checked_and_stored_encrypted(api: Api) {
    use austa_store::model::Document;
    use base64::Engine;
    use sha2::Digest;

    let org = organizations::create(
        &api.services,
        &Actor::platform(),
        organizations::NewOrganization {
            name: "Clínica Mídia",
            tax_id: "11.222.333/0001-81",
        },
    )
    .await
    .unwrap();
    let actor = Actor::system_for(org.id);
    let changes: organizations::OrganizationChanges = serde_json::from_value(
        json!({"settings": {"whatsapp": {"phoneNumberId": "109876543210987", "accessToken": "token-da-clinica"}}}),
    )
    .unwrap();
    austa_server::transact!(&api.services, &actor, austa_store::TxMode::Write, |work| {
        organizations::update(work, org.id, changes).await
    })
    .unwrap();

    let photo = b"\xff\xd8\xff\xe0 receita medica fotografada".repeat(50);
    let pdf = b"%PDF-1.7 pedido de exame".repeat(40);
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(bytes));
    {
        let mut media = api.media.lock().unwrap();
        media.insert("1111".into(), (photo.clone(), 0));
        media.insert("7770".into(), (pdf.clone(), 0)); // its first URL has expired
        media.insert("2222".into(), (b"bytes that do not match".to_vec(), 0));
    }
    let ts = "1764300000";
    let (body, signature) = notification(
        json!([
            {"from": "5511987654321", "id": "wamid.photo", "timestamp": ts, "type": "image",
             "image": {"caption": "minha receita", "mime_type": "image/jpeg", "sha256": b64(&photo), "id": "1111"}},
            {"from": "5511987654321", "id": "wamid.pdf", "timestamp": ts, "type": "document",
             "document": {"filename": "pedido.pdf", "mime_type": "application/pdf", "sha256": b64(&pdf), "id": "7770"}},
            {"from": "5511987654321", "id": "wamid.bad", "timestamp": ts, "type": "image",
             "image": {"mime_type": "image/jpeg", "sha256": b64(b"something else"), "id": "2222"}},
        ]),
        json!([{"profile": {"name": "Paciente"}, "wa_id": "5511987654321"}]),
    );
    assert_eq!(api.deliver(&body, Some(&signature)).await, StatusCode::OK);
    while austa_server::job_handlers::run_pending(&api.services, "test-worker", 10)
        .await
        .unwrap()
        > 0
    {}

    let mut tx = api
        .services
        .store
        .begin(
            austa_domain::Principal::system_for(org.id).scope(),
            austa_store::TxMode::Read,
        )
        .await
        .unwrap();
    let documents: Vec<Document> = tx.list(&austa_store::ListQuery::first(50)).await.unwrap().items;
    let jobs: Vec<austa_store::model::Job> = tx
        .list(
            &austa_store::ListQuery::first(50)
                .filter("kind", austa_store::Value::Text("whatsapp.download_media".into())),
        )
        .await
        .unwrap()
        .items;
    tx.rollback().await.unwrap();
    assert_eq!(documents.len(), 2, "the two good files, not the corrupted one");
    // The type is sniffed from the bytes, not taken from Meta's word.
    for (bytes, mime) in [(&photo, "image/jpeg"), (&pdf, "application/pdf")] {
        let hex: String = sha2::Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let document = documents
            .iter()
            .find(|d| d.sha256 == hex)
            .expect("stored with its SHA-256");
        assert_eq!(document.mime_type, mime);
        assert_eq!(document.size_bytes as usize, bytes.len());
        assert!(document.message_id.is_some());
        let on_disk = std::fs::read(api.services.media_dir.join(&document.storage_key)).unwrap();
        assert!(
            !on_disk
                .windows(12)
                .any(|w| w == b"receita medi" || w == b"pedido de ex"),
            "encrypted on disk"
        );
        assert_eq!(
            &austa_server::service::documents::read(&api.services, document)
                .await
                .unwrap(),
            bytes
        );
    }
    // The corrupted download is retried later, not stored.
    let bad = jobs
        .iter()
        .find(|j| j.status == austa_domain::enums::JobStatus::Pending)
        .expect("the mismatch is retried");
    assert!(bad.last_error.as_deref().unwrap_or_default().contains("SHA-256"));
    // Running the jobs again stores nothing twice.
    let message_ids: Vec<_> = documents.iter().map(|d| d.message_id.unwrap()).collect();
    for id in message_ids {
        austa_server::service::media::download(&api.services, org.id, id)
            .await
            .unwrap();
    }
    let mut tx = api
        .services
        .store
        .begin(
            austa_domain::Principal::system_for(org.id).scope(),
            austa_store::TxMode::Read,
        )
        .await
        .unwrap();
    assert_eq!(
        tx.list::<Document>(&austa_store::ListQuery::first(50))
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    tx.rollback().await.unwrap();
}

on_both_backends_webhook!(outbound_messages_respect_the_window_and_meta_limits);
async fn outbound_messages_respect_the_window_and_meta_limits(api: Api) {
    let org = organizations::create(
        &api.services,
        &Actor::platform(),
        organizations::NewOrganization {
            name: "Clínica Envio",
            tax_id: "11.222.333/0001-81",
        },
    )
    .await
    .unwrap();
    let actor = Actor::system_for(org.id);
    let changes: organizations::OrganizationChanges = serde_json::from_value(
        json!({"settings": {"whatsapp": {"phoneNumberId": "109876543210987", "accessToken": "token-da-clinica"}}}),
    )
    .unwrap();
    austa_server::transact!(&api.services, &actor, austa_store::TxMode::Write, |work| {
        organizations::update(work, org.id, changes).await
    })
    .unwrap();
    let key = api_keys::create(
        &api.services,
        &Actor::platform(),
        Some(org.id),
        Role::System,
        "assistente",
    )
    .await
    .unwrap();
    let token = key.token.expose().to_owned();

    // One patient wrote a minute ago, another two days ago.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let (body, signature) = notification(
        json!([
            {"from": "5511987654321", "id": "wamid.recent", "timestamp": (now - 60).to_string(), "type": "text", "text": {"body": "preciso de ajuda"}},
            {"from": "5521998887777", "id": "wamid.old", "timestamp": (now - 2 * 86400).to_string(), "type": "text", "text": {"body": "obrigado"}},
        ]),
        json!([]),
    );
    assert_eq!(api.deliver(&body, Some(&signature)).await, StatusCode::OK);
    while austa_server::job_handlers::run_pending(&api.services, "w", 10)
        .await
        .unwrap()
        > 0
    {}
    let conversations = api.get("/conversations", &token).await.1;
    let items = conversations["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let mut recent = None;
    let mut old = None;
    for c in items {
        let id = c["id"].as_str().unwrap().to_owned();
        let messages = api.get(&format!("/conversations/{id}/messages"), &token).await.1;
        match messages["items"][0]["whatsappMessageId"].as_str() {
            Some("wamid.recent") => recent = Some(id),
            Some("wamid.old") => old = Some(id),
            other => panic!("{other:?}"),
        }
    }
    let (recent, old) = (recent.unwrap(), old.unwrap());

    // Inside the window: text goes out through Meta's send endpoint, exactly as documented.
    let (status, queued) = api
        .post(
            &format!("/conversations/{recent}/messages"),
            Some(&token),
            json!({"type": "text", "text": {"body": "Olá! Como posso ajudar?"}}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    assert_eq!(queued["status"], "QUEUED");
    while austa_server::job_handlers::run_pending(&api.services, "w", 10)
        .await
        .unwrap()
        > 0
    {}
    let sent = api.outbox.lock().unwrap().last().cloned().unwrap();
    assert_eq!(sent["to"], "+5511987654321");
    assert_eq!(sent["messaging_product"], "whatsapp");
    assert_eq!(sent["text"]["body"], "Olá! Como posso ajudar?");
    let messages = api
        .get(&format!("/conversations/{recent}/messages"), &token)
        .await
        .1;
    let outbound = messages["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["direction"] == "OUTBOUND")
        .unwrap()
        .clone();
    assert_eq!(outbound["status"], "SENT");
    let wamid = outbound["whatsappMessageId"].as_str().unwrap().to_owned();

    // A later `read` status moves it forward.
    let status_body = serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"phone_number_id": "109876543210987"},
        "statuses": [{"id": wamid, "status": "read", "timestamp": now.to_string(), "recipient_id": "5511987654321"}]}}]}]}))
    .unwrap();
    let status_signature = austa_whatsapp::signature::sign(APP_SECRET.as_bytes(), &status_body);
    assert_eq!(
        api.deliver(&status_body, Some(&status_signature)).await,
        StatusCode::OK
    );
    while austa_server::job_handlers::run_pending(&api.services, "w", 10)
        .await
        .unwrap()
        > 0
    {}
    let messages = api
        .get(&format!("/conversations/{recent}/messages"), &token)
        .await
        .1;
    assert!(
        messages["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["whatsappMessageId"] == wamid.as_str() && m["status"] == "READ")
    );

    // Opening the conversation marks the patient's message read, with the typing indicator.
    let (status, _, _) = api
        .call(
            reqwest::Method::POST,
            &format!("/conversations/{recent}/read?typing=true"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    while austa_server::job_handlers::run_pending(&api.services, "w", 10)
        .await
        .unwrap()
        > 0
    {}
    let read = api.outbox.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        (read["status"].as_str(), read["message_id"].as_str()),
        (Some("read"), Some("wamid.recent"))
    );
    assert_eq!(read["typing_indicator"]["type"], "text");

    // Meta's limits are checked before anything is queued.
    let buttons: Vec<Value> = (0..4)
        .map(|n| json!({"type": "reply", "reply": {"id": format!("b{n}"), "title": format!("Opção {n}")}}))
        .collect();
    let (status, problem) = api
        .post(&format!("/conversations/{recent}/messages"), Some(&token), json!({"type": "interactive", "interactive": {"type": "button", "body": {"text": "Escolha"}, "action": {"buttons": buttons}}}))
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("interactive.action.buttons")
        )
    );

    // Outside the window: only templates.
    let (status, problem) = api
        .post(
            &format!("/conversations/{old}/messages"),
            Some(&token),
            json!({"type": "text", "text": {"body": "Oi"}}),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("outside_customer_service_window")
        )
    );
    let template = json!({"type": "template", "template": {"name": "lembrete_consulta", "language": {"code": "pt_BR"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "amanhã às 9h"}]}]}});
    let (status, _) = api
        .post(&format!("/conversations/{old}/messages"), Some(&token), template)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    while austa_server::job_handlers::run_pending(&api.services, "w", 10)
        .await
        .unwrap()
        > 0
    {}
    let sent = api.outbox.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        (sent["to"].as_str(), sent["template"]["name"].as_str()),
        (Some("+5521998887777"), Some("lembrete_consulta"))
    );
}

on_both_backends_webhook!(sending_respects_pair_limits_and_pauses_on_an_expired_token);
async fn sending_respects_pair_limits_and_pauses_on_an_expired_token(api: Api) {
    let org = organizations::create(
        &api.services,
        &Actor::platform(),
        organizations::NewOrganization {
            name: "Clínica Limites",
            tax_id: "11.222.333/0001-81",
        },
    )
    .await
    .unwrap();
    let key = api_keys::create(
        &api.services,
        &Actor::platform(),
        Some(org.id),
        Role::System,
        "assistente",
    )
    .await
    .unwrap();
    let token = key.token.expose().to_owned();
    let org_path = format!("/organizations/{}", org.id);
    let patch = |settings: Value| {
        api.call(
            reqwest::Method::PATCH,
            &org_path,
            Some(&token),
            Some(json!({"settings": {"whatsapp": settings}})),
        )
    };
    assert_eq!(patch(json!({"phoneNumberId": "109876543210987", "accessToken": "token-da-clinica", "messagesPerSecond": 80})).await.0, StatusCode::OK);
    // Only the messages this test sends count: the assistant stays quiet here.
    let quiet = json!({"settings": {"assistant": {"enabled": false}}});
    assert_eq!(
        api.call(reqwest::Method::PATCH, &org_path, Some(&token), Some(quiet))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        patch(json!({"messagesPerSecond": 0})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let (body, signature) = notification(
        json!([
            {"from": "5511987654321", "id": "wamid.a", "timestamp": now.to_string(), "type": "text", "text": {"body": "oi"}},
            {"from": "5521998887777", "id": "wamid.b", "timestamp": now.to_string(), "type": "text", "text": {"body": "olá"}},
        ]),
        json!([]),
    );
    assert_eq!(api.deliver(&body, Some(&signature)).await, StatusCode::OK);
    while austa_server::job_handlers::run_pending(&api.services, "w", 10)
        .await
        .unwrap()
        > 0
    {}
    let conversations = api.get("/conversations", &token).await.1;
    let ids: Vec<String> = conversations["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    let text = |t: &str| json!({"type": "text", "text": {"body": t}});

    // A burst to one person: 45 go out at once (Meta's burst), the 46th waits its turn (1 per 6 s on
    // average, a 45 × 6 s window).
    for n in 0..46 {
        let (status, _) = api
            .post(
                &format!("/conversations/{}/messages", ids[0]),
                Some(&token),
                text(&format!("mensagem {n}")),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    while austa_server::job_handlers::run_pending(&api.services, "w", 20)
        .await
        .unwrap()
        > 0
    {}
    assert_eq!(api.outbox.lock().unwrap().len(), 45, "the burst goes out");
    let (_, jobs) = api.stored().await;
    let waiting: Vec<_> = jobs
        .iter()
        .filter(|j| j.kind == "whatsapp.send" && j.status == austa_domain::enums::JobStatus::Pending)
        .collect();
    assert_eq!(waiting.len(), 1, "the 46th waits");
    let wait = waiting[0].run_at - time::OffsetDateTime::now_utc();
    assert!(
        wait > time::Duration::seconds(260) && wait <= time::Duration::seconds(271),
        "{wait}"
    );
    assert_eq!(
        waiting[0].attempts, 0,
        "waiting for a rate limit is not a failed attempt"
    );
    let conversation = api.get(&format!("/conversations/{}", ids[0]), &token).await.1;
    assert!(conversation["lastMessageAt"].is_string() && conversation["firstResponseAt"].is_string());
    assert_eq!(
        (
            conversation["metrics"]["inbound"].as_i64(),
            conversation["metrics"]["outbound"].as_i64()
        ),
        (Some(1), Some(46))
    );
    assert_eq!(conversation["messageCount"], 47);

    // An expired token pauses the number: messages wait, nothing fails, a new token resumes.
    assert_eq!(
        patch(json!({"accessToken": "token-expirado"})).await.0,
        StatusCode::OK
    );
    assert_eq!(
        api.post(
            &format!("/conversations/{}/messages", ids[1]),
            Some(&token),
            text("terceira")
        )
        .await
        .0,
        StatusCode::ACCEPTED
    );
    while austa_server::job_handlers::run_pending(&api.services, "w", 10)
        .await
        .unwrap()
        > 0
    {}
    let (status, organization, _) = api
        .call(
            reqwest::Method::GET,
            &format!("/organizations/{}", org.id),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(organization["settings"]["whatsapp"]["paused"], true);
    let messages = api
        .get(&format!("/conversations/{}/messages", ids[1]), &token)
        .await
        .1;
    let third = messages["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["direction"] == "OUTBOUND")
        .unwrap()
        .clone();
    assert_eq!(
        third["status"], "QUEUED",
        "not failed: it goes out once the number is resumed"
    );
    assert_eq!(
        patch(json!({"accessToken": "token-da-clinica"})).await.0,
        StatusCode::OK
    );
    let organization = api
        .call(
            reqwest::Method::GET,
            &format!("/organizations/{}", org.id),
            Some(&token),
            None,
        )
        .await
        .1;
    assert!(organization["settings"]["whatsapp"].get("paused").is_none());
}

on_both_backends_webhook!(a_number_sends_at_most_its_messages_per_second);
async fn a_number_sends_at_most_its_messages_per_second(api: Api) {
    let org = organizations::create(
        &api.services,
        &Actor::platform(),
        organizations::NewOrganization {
            name: "Clínica Vazão",
            tax_id: "11.222.333/0001-81",
        },
    )
    .await
    .unwrap();
    let key = api_keys::create(
        &api.services,
        &Actor::platform(),
        Some(org.id),
        Role::System,
        "assistente",
    )
    .await
    .unwrap();
    let token = key.token.expose().to_owned();
    // The assistant stays quiet: only the messages this test sends count.
    let settings = json!({"settings": {"whatsapp": {"phoneNumberId": "109876543210987", "accessToken": "token-da-clinica", "messagesPerSecond": 1},
                                       "assistant": {"enabled": false}}});
    assert_eq!(
        api.call(
            reqwest::Method::PATCH,
            &format!("/organizations/{}", org.id),
            Some(&token),
            Some(settings)
        )
        .await
        .0,
        StatusCode::OK
    );
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let (body, signature) = notification(
        json!([
            {"from": "5511987654321", "id": "wamid.v1", "timestamp": now.to_string(), "type": "text", "text": {"body": "oi"}},
            {"from": "5521998887777", "id": "wamid.v2", "timestamp": now.to_string(), "type": "text", "text": {"body": "oi"}},
        ]),
        json!([]),
    );
    assert_eq!(api.deliver(&body, Some(&signature)).await, StatusCode::OK);
    while austa_server::job_handlers::run_pending(&api.services, "w", 10)
        .await
        .unwrap()
        > 0
    {}
    let conversations = api.get("/conversations", &token).await.1;
    for c in conversations["items"].as_array().unwrap() {
        let path = format!("/conversations/{}/messages", c["id"].as_str().unwrap());
        assert_eq!(
            api.post(
                &path,
                Some(&token),
                json!({"type": "text", "text": {"body": "bom dia"}})
            )
            .await
            .0,
            StatusCode::ACCEPTED
        );
    }
    while austa_server::job_handlers::run_pending(&api.services, "w", 10)
        .await
        .unwrap()
        > 0
    {}
    // Two people, one number limited to 1 message/s: one goes now, the other within the next second.
    assert_eq!(api.outbox.lock().unwrap().len(), 1);
    let (_, jobs) = api.stored().await;
    let waiting: Vec<_> = jobs
        .iter()
        .filter(|j| j.kind == "whatsapp.send" && j.status == austa_domain::enums::JobStatus::Pending)
        .collect();
    assert_eq!(waiting.len(), 1);
    let wait = waiting[0].run_at - time::OffsetDateTime::now_utc();
    assert!(wait <= time::Duration::seconds(1), "{wait}");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    while austa_server::job_handlers::run_pending(&api.services, "w", 10)
        .await
        .unwrap()
        > 0
    {}
    assert_eq!(api.outbox.lock().unwrap().len(), 2, "and then it goes");
}
