//! The security core through the library, on both backends: the demo seed, encryption at rest (no
//! plaintext in the SQLite file or a pg_dump), tamper evidence of the audit log, key rotation
//! interrupted half-way, and audited denials.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use austa_crypto::MasterKey;
use austa_crypto::envelope::key_version;
use austa_domain::enums::{AuditAction, KeyState, Role, SensitivityLevel};
use austa_domain::{Principal, Subject};
use austa_server::audit::checkpoint;
use austa_server::audit::verify::{self, Tampering};
use austa_server::context::{Actor, Clock, Services};
use austa_server::error::Error;
use austa_server::keys::rotation::{self, Step};
use austa_server::service::{health_data, patients};
use austa_server::transact;
use austa_server::{bootstrap, seed};
use austa_store::model::*;
use austa_store::{Entity, ListQuery, Store, TxMode};
use austa_store_postgres::PostgresStore;
use austa_store_sqlite::SqliteStore;
use serde_json::json;

struct Env {
    services: Arc<Services>,
    master: MasterKey,
    /// Seconds added to the real clock (rotation's grace period).
    offset: Arc<AtomicI64>,
    backend: Backend,
}

enum Backend {
    Sqlite(std::path::PathBuf),
    Postgres(austa_testkit::TestDatabase),
}

fn clock(offset: Arc<AtomicI64>) -> Clock {
    Clock::from_fn(move || {
        time::OffsetDateTime::now_utc() + time::Duration::seconds(offset.load(Ordering::SeqCst))
    })
}

/// Nothing in these tests sends messages: a Graph API address where nothing listens.
fn whatsapp() -> austa_whatsapp::CloudApi {
    austa_whatsapp::CloudApi::new("http://127.0.0.1:9/v23.0").unwrap()
}

async fn sqlite() -> Env {
    let dir = std::env::temp_dir().join(format!("austa-sec-{}", uuid::Uuid::now_v7().simple()));
    let path = dir.join("austa.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.unwrap());
    finish(store, Backend::Sqlite(path)).await
}

async fn postgres() -> Option<Env> {
    let db = austa_testkit::postgres().await?;
    let store: Arc<dyn Store> = Arc::new(PostgresStore::connect(&db.url).await.unwrap());
    Some(finish(store, Backend::Postgres(db)).await)
}

async fn finish(store: Arc<dyn Store>, backend: Backend) -> Env {
    store.migrate_up(None).await.unwrap();
    let master = MasterKey::generate().unwrap();
    let offset = Arc::new(AtomicI64::new(0));
    let services = bootstrap::assemble(store, &master, whatsapp(), clock(offset.clone()))
        .await
        .unwrap();
    Env {
        services,
        master,
        offset,
        backend,
    }
}

impl Env {
    /// A second process on the same database (its own caches).
    async fn restart(&self) -> Arc<Services> {
        bootstrap::assemble(
            self.services.store.clone(),
            &self.master,
            whatsapp(),
            clock(self.offset.clone()),
        )
        .await
        .unwrap()
    }

    /// Runs statements as the database owner with the append-only triggers bypassed: what an
    /// attacker with write access to the database could do.
    async fn tamper(&self, statements: &[String]) {
        match &self.backend {
            Backend::Sqlite(path) => {
                use sqlx::Connection;
                let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                    .await
                    .unwrap();
                sqlx::query("DROP TRIGGER IF EXISTS audit_logs_no_update")
                    .execute(&mut conn)
                    .await
                    .unwrap();
                sqlx::query("DROP TRIGGER IF EXISTS audit_logs_no_delete")
                    .execute(&mut conn)
                    .await
                    .unwrap();
                sqlx::query("DROP TRIGGER IF EXISTS audit_checkpoints_no_delete")
                    .execute(&mut conn)
                    .await
                    .unwrap();
                for sql in statements {
                    sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                        .execute(&mut conn)
                        .await
                        .unwrap();
                }
            }
            Backend::Postgres(db) => {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&db.admin_url).await.unwrap();
                sqlx::query("SET session_replication_role = replica")
                    .execute(&mut conn)
                    .await
                    .unwrap();
                for sql in statements {
                    sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                        .execute(&mut conn)
                        .await
                        .unwrap();
                }
            }
        }
    }
}

async fn all<E: Entity>(services: &Services) -> Vec<E> {
    let mut tx = services
        .store
        .begin(Principal::system().scope(), TxMode::Read)
        .await
        .unwrap();
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = tx.list::<E>(&ListQuery::first(500).after(after)).await.unwrap();
        out.extend(page.items);
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    tx.rollback().await.unwrap();
    out
}

macro_rules! on_both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name(super::sqlite().await).await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(env) = super::postgres().await {
                    super::$name(env).await;
                }
            }
        }
    };
}

// ---------------------------------------------------------------------------------------------

on_both_backends!(seed_fills_every_table_once);
async fn seed_fills_every_table_once(env: Env) {
    let first = seed::demo(&env.services).await.unwrap();
    assert!(first.created);
    let second = seed::demo(&env.services).await.unwrap();
    assert!(
        !second.created,
        "the second run finds the demo and changes nothing"
    );
    assert_eq!(first.organization_id, second.organization_id);
    let s = &env.services;
    let counts = [
        ("organizations", all::<Organization>(s).await.len()),
        ("users", all::<User>(s).await.len()),
        ("providers", all::<Provider>(s).await.len()),
        ("conversations", all::<Conversation>(s).await.len()),
        ("messages", all::<Message>(s).await.len()),
        ("health_data", all::<HealthData>(s).await.len()),
        ("missions", all::<Mission>(s).await.len()),
        ("health_points", all::<HealthPoints>(s).await.len()),
        ("onboarding_progress", all::<OnboardingProgress>(s).await.len()),
        ("point_transactions", all::<PointTransaction>(s).await.len()),
        ("authorizations", all::<Authorization>(s).await.len()),
        ("documents", all::<Document>(s).await.len()),
        ("tasy_integrations", all::<TasyIntegration>(s).await.len()),
        ("tasy_sync_logs", all::<TasySyncLog>(s).await.len()),
        ("audit_logs", all::<AuditLog>(s).await.len()),
    ];
    for (table, count) in counts {
        assert!(count > 0, "{table} is empty after the demo seed");
    }
    assert_eq!(all::<Organization>(s).await.len(), 1, "no duplicate organization");
    assert_eq!(all::<User>(s).await.len(), 15, "3 staff and 12 patients, once");
    let report = verify::verify(s, None).await.unwrap();
    assert!(report.intact, "{:?}", report.first_bad_entry);
}

// ---------------------------------------------------------------------------------------------

const CPF: &str = "529.982.247-25";
const CONTACT_NAME: &str = "Zuleica Quintanilha";
const CONTACT_PHONE: &str = "+55 11 91234-5678";
const ALLERGEN: &str = "Penicilina benzatina";
const NOTE: &str = "Paciente relata crises noturnas frequentes";

on_both_backends!(nothing_sensitive_is_stored_in_plain_text);
async fn nothing_sensitive_is_stored_in_plain_text(env: Env) {
    let s = env.services.clone();
    let org = seed::demo(&s).await.unwrap().organization_id;
    let actor = Actor::system_for(org);
    let patient = transact!(&s, &actor, TxMode::Write, |work| {
        let input: patients::NewPatient = serde_json::from_value(json!({
            "name": "Paciente Sigilo", "cpf": CPF, "phone": "(11) 97777-1234",
            "emergencyContact": {"name": CONTACT_NAME, "phone": CONTACT_PHONE, "relationship": "irmã"}
        }))
        .unwrap();
        let p = patients::create(work, org, input).await?;
        let record: health_data::NewHealthData = serde_json::from_value(json!({
            "type": "ALLERGY", "data": {"substance": ALLERGEN, "severity": "ANAPHYLAXIS"}, "notes": NOTE
        }))
        .unwrap();
        health_data::create(work, p.id, record).await?;
        Ok(p)
    })
    .unwrap();
    // Reading back works (the data is there, only encrypted).
    let found = transact!(&s, &actor, TxMode::Write, |work| {
        patients::find_by_cpf(work, org, CPF).await
    })
    .unwrap()
    .unwrap();
    assert_eq!(found.id, patient.id);
    assert_eq!(found.emergency_contact.unwrap().name, CONTACT_NAME);

    let needles = [
        "52998224725",
        CPF,
        CONTACT_NAME,
        "5511912345678",
        ALLERGEN,
        NOTE,
        "renovar a receita",
        "Episódio depressivo",
        "demo-access-token",
        "Dor lombar",
    ];
    let haystack: Vec<u8> = match &env.backend {
        Backend::Sqlite(path) => {
            s.store.close().await;
            let mut bytes = Vec::new();
            for suffix in ["", "-wal", "-shm"] {
                let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
                if let Ok(b) = std::fs::read(&file) {
                    bytes.extend(b);
                }
            }
            assert!(bytes.len() > 100_000, "the database file was read");
            bytes
        }
        Backend::Postgres(db) => {
            let dump = austa_testkit::postgres_tool("pg_dump").expect("pg_dump beside initdb");
            let out = std::process::Command::new(dump)
                .arg(&db.admin_url)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            assert!(String::from_utf8_lossy(&out.stdout).contains("COPY public.health_data"));
            out.stdout
        }
    };
    for needle in needles {
        assert!(
            !haystack.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "a sensitive value (needle {}) is stored in plain text",
            needles.iter().position(|n| *n == needle).unwrap()
        );
    }
}

// ---------------------------------------------------------------------------------------------

/// The audit entries of one chain that has at least `n`, in order.
async fn a_long_chain(s: &Services, n: usize) -> Vec<AuditLog> {
    let mut entries = all::<AuditLog>(s).await;
    entries.sort_by_key(|e| (e.chain_id.clone(), e.chain_seq));
    let mut chains: std::collections::BTreeMap<String, Vec<AuditLog>> = Default::default();
    for e in entries {
        chains.entry(e.chain_id.clone().unwrap()).or_default().push(e);
    }
    chains
        .into_values()
        .find(|c| c.len() >= n)
        .expect("a chain long enough")
}

async fn tampered(kind: &str) -> Vec<(Env, Tampering, Option<i64>)> {
    let mut out = Vec::new();
    let mut envs = vec![sqlite().await];
    if let Some(pg) = postgres().await {
        envs.push(pg);
    }
    for env in envs {
        seed::demo(&env.services).await.unwrap();
        checkpoint::sign_new(&env.services, None).await.unwrap();
        let chain = a_long_chain(&env.services, 5).await;
        let id = |i: usize| chain[i].id.to_string();
        let chain_id = chain[0].chain_id.clone().unwrap();
        let (statements, expected, seq): (Vec<String>, Tampering, Option<i64>) = match kind {
            "modify" => (
                vec![format!(
                    "UPDATE audit_logs SET requires_review = NOT requires_review WHERE id = '{}'",
                    id(2)
                )],
                Tampering::Modified,
                Some(3),
            ),
            "delete" => (
                vec![format!("DELETE FROM audit_logs WHERE id = '{}'", id(1))],
                Tampering::Deleted,
                Some(2),
            ),
            // A forged entry, its columns copied from a real one (so it is well-formed), outside the chain.
            "insert" => (
                vec![format!(
                    "INSERT INTO audit_logs (id, organization_id, action, entity_type, risk_level, occurred_at, related_ids, details) \
                     SELECT '{}', organization_id, 'READ', 'health_data', 'LOW', occurred_at, related_ids, details \
                     FROM audit_logs WHERE id = '{}'",
                    uuid::Uuid::now_v7(),
                    id(0)
                )],
                Tampering::Inserted,
                None,
            ),
            "reorder" => (
                vec![
                    format!("UPDATE audit_logs SET chain_seq = -1 WHERE id = '{}'", id(1)),
                    format!("UPDATE audit_logs SET chain_seq = 2 WHERE id = '{}'", id(2)),
                    format!("UPDATE audit_logs SET chain_seq = 3 WHERE id = '{}'", id(1)),
                ],
                Tampering::Reordered,
                Some(2),
            ),
            "truncate" => {
                // Delete the tail and rewind the head to match: only the signed checkpoint knows.
                let keep = chain.len() - 2;
                let mac = chain[keep - 1].entry_mac.clone().unwrap();
                let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
                let literal = match env.backend {
                    Backend::Sqlite(_) => format!("X'{hex}'"),
                    Backend::Postgres(_) => format!("'\\x{hex}'::bytea"),
                };
                (
                    vec![
                        format!(
                            "DELETE FROM audit_logs WHERE chain_id = '{chain_id}' AND chain_seq > {keep}"
                        ),
                        format!(
                            "UPDATE audit_chain_heads SET seq = {keep}, head_mac = {literal} WHERE chain_id = '{chain_id}'"
                        ),
                    ],
                    Tampering::Deleted,
                    Some(keep as i64 + 1),
                )
            }
            other => panic!("unknown tampering {other}"),
        };
        env.tamper(&statements).await;
        out.push((env, expected, seq));
    }
    out
}

#[tokio::test]
async fn audit_verify_finds_modified_deleted_inserted_reordered_and_truncated_entries() {
    for kind in ["modify", "delete", "insert", "reorder", "truncate"] {
        for (env, expected, seq) in tampered(kind).await {
            let report = verify::verify(&env.services, None).await.unwrap();
            assert!(!report.intact, "{kind}: tampering went unnoticed");
            let bad = report.first_bad_entry.unwrap();
            assert_eq!(bad.kind, expected, "{kind}: {}", bad.explanation);
            if seq.is_some() {
                assert_eq!(bad.seq, seq, "{kind}: {}", bad.explanation);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------

on_both_backends!(rotation_interrupted_half_way_resumes_and_retires_the_old_key);
async fn rotation_interrupted_half_way_resumes_and_retires_the_old_key(env: Env) {
    let s = env.services.clone();
    let org = seed::demo(&s).await.unwrap().organization_id;
    let actor = Actor::system_for(org);
    let patients_before = all::<User>(&s)
        .await
        .into_iter()
        .filter(|u| u.role == Role::Patient)
        .collect::<Vec<_>>();
    assert_eq!(rotation::rotate(&s, org).await.unwrap(), 2);

    // A few batches, then the "process" dies.
    for _ in 0..3 {
        assert!(matches!(
            rotation::reencrypt_step(&s, org, 5).await.unwrap(),
            Step::Progress { .. }
        ));
    }
    let versions: Vec<u32> = all::<HealthData>(&s)
        .await
        .iter()
        .map(|h| key_version(&h.data_encrypted).unwrap())
        .collect();
    assert!(versions.contains(&1), "the interruption left old rows");

    // Meanwhile everything stays readable and writable, old and new.
    let old = patients_before[0].clone();
    let read = transact!(&s, &actor, TxMode::Write, |work| {
        patients::get(work, old.id).await
    })
    .unwrap();
    assert!(read.cpf_masked.is_some() && read.emergency_contact.is_some());
    let fresh = transact!(&s, &actor, TxMode::Write, |work| {
        let input: patients::NewPatient = serde_json::from_value(
            json!({"name": "Nova Paciente", "cpf": "111.444.777-35", "phone": "(21) 98888-0000"}),
        )
        .unwrap();
        patients::create(work, org, input).await
    })
    .unwrap();
    let stored = transact!(&s, &actor, TxMode::Read, |work| {
        Ok(work.tx().get::<User>(fresh.id).await?)
    })
    .unwrap();
    assert_eq!(
        key_version(stored.cpf_encrypted.as_ref().unwrap()).unwrap(),
        2,
        "new writes use the new key"
    );

    // Another process resumes from the saved cursor and finishes.
    let resumed = env.restart().await;
    let rewritten = rotation::run(&resumed, org, 50).await.unwrap();
    assert!(rewritten > 0);
    for h in all::<HealthData>(&resumed).await {
        assert_eq!(key_version(&h.data_encrypted).unwrap(), 2);
    }
    for u in all::<User>(&resumed)
        .await
        .into_iter()
        .filter(|u| u.cpf_encrypted.is_some())
    {
        assert_eq!(key_version(u.cpf_encrypted.as_ref().unwrap()).unwrap(), 2);
    }
    // Blind indexes were rebuilt: an old patient is still found by CPF with only the new key.
    let cpf_of_old = {
        let mut work = austa_server::work::Work::begin(&resumed, &actor, TxMode::Read)
            .await
            .unwrap();
        let digits = resumed
            .keys
            .decrypt(
                work.tx(),
                org,
                patients::CPF_FIELD,
                old.id.into(),
                old.cpf_encrypted.as_ref().unwrap(),
            )
            .await
            .unwrap();
        String::from_utf8(digits.to_vec()).unwrap()
    };

    // Not retired before every process's cached ring has expired...
    assert!(rotation::retire_unused(&resumed, org).await.unwrap().is_empty());
    env.offset.store(120, Ordering::SeqCst);
    // ...then retired, and its key material destroyed.
    assert_eq!(rotation::retire_unused(&resumed, org).await.unwrap(), vec![1]);
    let keys = all::<EncryptionKey>(&resumed).await;
    let v1 = keys.iter().find(|k| k.version == 1).unwrap();
    assert_eq!(v1.state, KeyState::Retired);
    assert!(v1.wrapped_key.is_none());

    let after = env.restart().await;
    let found = transact!(&after, &actor, TxMode::Write, |work| {
        patients::find_by_cpf(work, org, &cpf_of_old).await
    })
    .unwrap()
    .expect("found through the rebuilt blind index");
    assert_eq!(found.id, old.id);
    let report = verify::verify(&after, None).await.unwrap();
    assert!(report.intact);
}

// ---------------------------------------------------------------------------------------------

on_both_backends!(denials_are_audited_and_hide_other_organizations);
async fn denials_are_audited_and_hide_other_organizations(env: Env) {
    let s = env.services.clone();
    let org = seed::demo(&s).await.unwrap().organization_id;
    let users = all::<User>(&s).await;
    let nurse = users
        .iter()
        .find(|u| u.email.as_deref() == Some("enfermeira@demo.austa.care"))
        .unwrap();
    let confidential = all::<HealthData>(&s)
        .await
        .into_iter()
        .find(|h| h.sensitivity_level == SensitivityLevel::Confidential)
        .unwrap();
    let nurse_actor = Actor::new(Principal::member(org, Role::Provider, Subject::User(nurse.id)));
    let denied = transact!(&s, &nurse_actor, TxMode::Write, |work| {
        health_data::get(work, confidential.user_id, confidential.id).await
    });
    assert!(
        matches!(denied, Err(Error::Denied { hidden: false, .. })),
        "{denied:?}"
    );

    // Another organization's provider does not learn the record exists.
    let other = <austa_domain::ids::OrganizationId as austa_domain::EntityId>::generate();
    let stranger = Actor::new(Principal::member(other, Role::Provider, Subject::User(nurse.id)));
    let hidden = transact!(&s, &stranger, TxMode::Write, |work| {
        patients::get(work, confidential.user_id).await
    });
    assert!(matches!(hidden, Err(Error::NotFound)), "{hidden:?}");

    let denials: Vec<AuditLog> = all::<AuditLog>(&s)
        .await
        .into_iter()
        .filter(|a| a.action == AuditAction::AccessDenied)
        .collect();
    assert_eq!(denials.len(), 1);
    assert_eq!(denials[0].actor_id, Some(nurse.id.into()));
    assert_eq!(denials[0].entity_id, Some(confidential.id.into()));
    assert!(verify::verify(&s, None).await.unwrap().intact);
}

// ---------------------------------------------------------------------------------------------

on_both_backends!(checkpoints_copied_outside_the_database_catch_a_truncation_hidden_inside_it);
async fn checkpoints_copied_outside_the_database_catch_a_truncation_hidden_inside_it(env: Env) {
    let log = std::env::temp_dir().join(format!(
        "austa-checkpoints-{}.jsonl",
        uuid::Uuid::now_v7().simple()
    ));
    let logged = bootstrap::assemble_with(
        env.services.store.clone(),
        &env.master,
        whatsapp(),
        clock(env.offset.clone()),
        bootstrap::Options {
            checkpoint_log: Some(log.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    seed::demo(&logged).await.unwrap();
    let signed = checkpoint::sign_new(&logged, None).await.unwrap();
    assert!(signed > 0);
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), signed);
    assert!(verify::verify(&logged, None).await.unwrap().intact);

    // Someone with the database drops the chain's tail, rewinds its head, and deletes its checkpoints.
    let chain = a_long_chain(&logged, 5).await;
    let chain_id = chain[0].chain_id.clone().unwrap();
    let keep = chain.len() - 2;
    let hex: String = chain[keep - 1]
        .entry_mac
        .as_ref()
        .unwrap()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let literal = match env.backend {
        Backend::Sqlite(_) => format!("X'{hex}'"),
        Backend::Postgres(_) => format!("'\\x{hex}'::bytea"),
    };
    env.tamper(&[
        format!("DELETE FROM audit_logs WHERE chain_id = '{chain_id}' AND chain_seq > {keep}"),
        format!(
            "UPDATE audit_chain_heads SET seq = {keep}, head_mac = {literal} WHERE chain_id = '{chain_id}'"
        ),
        format!("DELETE FROM audit_checkpoints WHERE chain_id = '{chain_id}'"),
    ])
    .await;
    // The database alone can no longer tell...
    assert!(verify::verify(&env.services, None).await.unwrap().intact);
    // ...the copy outside it can.
    let report = verify::verify(&logged, None).await.unwrap();
    let bad = report.first_bad_entry.expect("the truncation is found");
    assert_eq!(bad.kind, Tampering::Deleted, "{}", bad.explanation);
    assert_eq!(bad.chain_id, chain_id);
    let _ = std::fs::remove_file(log);
}

// ---------------------------------------------------------------------------------------------

on_both_backends!(expired_security_records_are_purged_and_live_ones_kept);
async fn expired_security_records_are_purged_and_live_ones_kept(env: Env) {
    use austa_domain::EntityId;
    use austa_domain::ids::*;
    use austa_server::service::auth;
    use austa_server::service::retention::{self, Purged};
    use time::Duration;

    let s = env.services.clone();
    let demo = seed::demo(&s).await.unwrap();
    let org = demo.organization_id;
    let password = demo.logins.unwrap()["password"].as_str().unwrap().to_owned();
    let client = auth::Client {
        ip_address: Some("198.51.100.7".into()),
        user_agent: None,
        request_id: None,
    };
    let issued = auth::login(
        &s,
        &client,
        auth::Credentials {
            email: "medico@demo.austa.care".into(),
            password: password.into(),
            totp: None,
            organization_id: Some(org),
        },
    )
    .await
    .unwrap();
    let doctor = all::<User>(&s)
        .await
        .into_iter()
        .find(|u| u.email.as_deref() == Some("medico@demo.austa.care"))
        .unwrap();

    // Each kind of record once just past its retention and once just short of it.
    let now = s.clock.now();
    let ago = |d: Duration| now - d;
    let session = |expired: Duration| Session {
        id: SessionId::generate(),
        organization_id: org,
        user_id: doctor.id,
        role: Role::Provider,
        token_hash: uuid::Uuid::now_v7().as_bytes().repeat(2),
        expires_at: ago(expired),
        last_seen_at: ago(expired),
        revoked_at: None,
        ip_address: Some("198.51.100.7".into()),
        user_agent: None,
        totp_step: None,
        created_at: ago(expired + Duration::hours(12)),
        updated_at: ago(expired),
        deleted_at: None,
    };
    let attempt = |age: Duration| LoginAttempt {
        id: LoginAttemptId::generate(),
        organization_id: Some(org),
        account_hash: vec![7; 32],
        ip_address: Some("198.51.100.7".into()),
        succeeded: false,
        occurred_at: ago(age),
        created_at: ago(age),
        updated_at: ago(age),
        deleted_at: None,
    };
    let code = |expired: Duration| OtpChallenge {
        id: OtpChallengeId::generate(),
        organization_id: org,
        user_id: doctor.id,
        code_hash: vec![3; 32],
        attempts: 0,
        expires_at: ago(expired),
        consumed_at: None,
        whatsapp_message_id: None,
        created_at: ago(expired + Duration::minutes(5)),
        updated_at: ago(expired),
        deleted_at: None,
    };
    let response = |age: Duration| IdempotencyKey {
        id: IdempotencyKeyId::generate(),
        organization_id: Some(org),
        actor_key: format!("{org}/user:{}", doctor.id),
        idempotency_key: uuid::Uuid::now_v7().to_string(),
        request_hash: vec![5; 32],
        status_code: Some(201),
        response_encrypted: Some(vec![6; 48]),
        created_at: ago(age),
        updated_at: ago(age),
        deleted_at: None,
    };
    let minute = Duration::minutes(1);
    let (old_session, live_session) = (
        session(retention::SESSION_KEPT_AFTER_EXPIRY + minute),
        session(retention::SESSION_KEPT_AFTER_EXPIRY - minute),
    );
    let (old_attempt, live_attempt) = (
        attempt(retention::LOGIN_ATTEMPTS_KEPT + minute),
        attempt(retention::LOGIN_ATTEMPTS_KEPT - minute),
    );
    let (old_code, live_code) = (
        code(retention::LOGIN_CODE_KEPT_AFTER_EXPIRY + minute),
        code(retention::LOGIN_CODE_KEPT_AFTER_EXPIRY - minute),
    );
    let (old_response, live_response) = (
        response(retention::IDEMPOTENT_RESPONSE_KEPT + minute),
        response(retention::IDEMPOTENT_RESPONSE_KEPT - minute),
    );
    let scope = Principal::system_for(org).scope();
    let mut tx = s.store.begin(scope, TxMode::Write).await.unwrap();
    tx.create(&old_session).await.unwrap();
    tx.create(&live_session).await.unwrap();
    tx.create(&old_attempt).await.unwrap();
    tx.create(&live_attempt).await.unwrap();
    tx.create(&old_code).await.unwrap();
    tx.create(&live_code).await.unwrap();
    tx.create(&old_response).await.unwrap();
    tx.create(&live_response).await.unwrap();
    tx.commit().await.unwrap();

    assert_eq!(
        retention::purge_expired(&s).await.unwrap(),
        Purged {
            sessions: 1,
            login_attempts: 1,
            login_codes: 1,
            idempotent_responses: 1
        }
    );
    let mut tx = s.store.begin(scope, TxMode::Read).await.unwrap();
    assert!(tx.find::<Session>(old_session.id).await.unwrap().is_none());
    assert!(tx.find::<Session>(live_session.id).await.unwrap().is_some());
    assert!(tx.find::<Session>(issued.session_id).await.unwrap().is_some());
    assert!(tx.find::<LoginAttempt>(old_attempt.id).await.unwrap().is_none());
    assert!(tx.find::<LoginAttempt>(live_attempt.id).await.unwrap().is_some());
    assert!(tx.find::<OtpChallenge>(old_code.id).await.unwrap().is_none());
    assert!(tx.find::<OtpChallenge>(live_code.id).await.unwrap().is_some());
    assert!(
        tx.find::<IdempotencyKey>(old_response.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        tx.find::<IdempotencyKey>(live_response.id)
            .await
            .unwrap()
            .is_some()
    );
    tx.rollback().await.unwrap();
    assert_eq!(retention::purge_expired(&s).await.unwrap(), Purged::default());

    // The live login still works; once its session has been expired for the retention period,
    // the next purge deletes it.
    auth::authenticate(&s, issued.token.expose(), &client)
        .await
        .unwrap();
    let until_purged = issued.expires_at - now + retention::SESSION_KEPT_AFTER_EXPIRY + minute;
    env.offset
        .fetch_add(until_purged.whole_seconds(), Ordering::SeqCst);
    assert_eq!(
        retention::purge_expired(&s).await.unwrap().sessions,
        2,
        "the login's and the other one now past retention"
    );
    let mut tx = s.store.begin(scope, TxMode::Read).await.unwrap();
    assert!(tx.find::<Session>(issued.session_id).await.unwrap().is_none());
    tx.rollback().await.unwrap();
    assert!(
        auth::authenticate(&s, issued.token.expose(), &client)
            .await
            .is_err()
    );
}
