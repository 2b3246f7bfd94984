//! The `austa` binary driven as a user or a script would: real processes, real HTTP, both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const AUSTA: &str = env!("CARGO_BIN_EXE_austa");

struct Workdir(PathBuf);

impl Workdir {
    fn new() -> Self {
        let p = std::env::temp_dir().join(format!("austa-cli-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn austa(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(AUSTA)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap()
}

/// An HTTP client; reqwest's TLS needs a crypto provider installed (the workspace uses *ring*).
fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn one_error_line(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "exactly one error line: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    errors[0].to_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(dir: &Path, env: &[(&str, &str)]) -> Self {
        Self::start_logging(dir, env, Stdio::null())
    }

    /// With stderr (the log) going to `log`.
    fn start_logging(dir: &Path, env: &[(&str, &str)], log: Stdio) -> Self {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let child = Command::new(AUSTA)
            .current_dir(dir)
            .env_clear()
            .envs(env.iter().copied())
            .env("AUSTA_LISTEN", &listen)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        Self {
            child,
            base: format!("http://{listen}"),
        }
    }

    async fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = http().get(format!("{}/healthz", self.base)).send().await
                && r.status() == 200
            {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("austa serve exited early: {status}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("austa serve did not become healthy");
    }

    /// SIGTERM, then the exit status within 15 s.
    fn terminate(mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "austa serve ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

async fn serves_health_and_readiness_then_stops_on_sigterm(dir: &Path, env: &[(&str, &str)], backend: &str) {
    let mut server = Server::start(dir, env);
    server.wait_healthy().await;
    let ready = http()
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], backend);
    assert!(body["schemaVersion"].as_i64().unwrap() >= 7);
    let missing = http().get(format!("{}/nope", server.base)).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(server.terminate().success(), "graceful shutdown exits 0");
}

#[tokio::test]
async fn serve_on_the_embedded_default_creates_and_migrates_the_database() {
    let dir = Workdir::new();
    serves_health_and_readiness_then_stops_on_sigterm(&dir.0, &[], "sqlite").await;
    assert!(
        dir.0.join("data/austa.db").exists(),
        "the default database file and its folder are created"
    );
    let status = json(&austa(&dir.0, &[], &["migrate", "status"]));
    assert_eq!(status["current"], status["latest"]);
}

#[tokio::test]
async fn serve_on_postgres() {
    let Some(db) = austa_testkit::postgres().await else {
        return;
    };
    let dir = Workdir::new();
    // PostgreSQL never gets an invented master key: without one, serve refuses to start.
    let refused = austa(&dir.0, &[("AUSTA_DATABASE_URL", &db.url)], &["serve"]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("error: PostgreSQL needs an explicit master key"),
        "{stderr}"
    );
    let key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    serves_health_and_readiness_then_stops_on_sigterm(
        &dir.0,
        &[("AUSTA_DATABASE_URL", &db.url), ("AUSTA_MASTER_KEY", key)],
        "postgres",
    )
    .await;
}

#[tokio::test]
async fn readiness_fails_while_the_schema_is_behind() {
    let dir = Workdir::new();
    let mut server = Server::start(&dir.0, &[]);
    server.wait_healthy().await;
    // Another process undoes a migration under the running server.
    json(&austa(&dir.0, &[], &["migrate", "down", "--to", "6"]));
    let ready = http()
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["reason"], "schema not current");
    assert!(server.terminate().success());
}

#[test]
fn migrate_up_status_and_down_print_json() {
    let dir = Workdir::new();
    let url = "sqlite://db/austa.db";
    let env = [("AUSTA_DATABASE_URL", url)];
    let up = json(&austa(&dir.0, &env, &["migrate", "up", "--to", "3"]));
    assert_eq!(up["applied"], serde_json::json!([1, 2, 3]));
    let up = json(&austa(&dir.0, &env, &["migrate", "up"]));
    let latest = up["latest"].as_i64().unwrap();
    assert!(latest >= 8);
    assert_eq!(up["applied"], serde_json::json!((4..=latest).collect::<Vec<_>>()));
    assert_eq!(
        json(&austa(&dir.0, &env, &["migrate", "up"]))["applied"],
        serde_json::json!([])
    );
    let status = json(&austa(&dir.0, &env, &["migrate", "status"]));
    assert_eq!(status["backend"], "sqlite");
    assert!(
        status["migrations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["applied"] == true)
    );
    let down = json(&austa(&dir.0, &env, &["migrate", "down", "--to", "0"]));
    assert_eq!(
        down["undone"],
        serde_json::json!((1..=latest).rev().collect::<Vec<_>>())
    );
    assert_eq!(json(&austa(&dir.0, &env, &["migrate", "status"]))["current"], 0);
}

#[test]
fn bad_configuration_is_one_clear_error_line() {
    let dir = Workdir::new();
    for (env, expected) in [
        (
            vec![("AUSTA_DATABASE_URL", "mysql://localhost/austa")],
            "unsupported database URL scheme `mysql`",
        ),
        (
            vec![("AUSTA_DATABASE_URL", "data/austa.db")],
            "malformed database URL",
        ),
        (
            vec![("AUSTA_DATABSE_URL", "sqlite://x.db")],
            "unknown environment variable AUSTA_DATABSE_URL",
        ),
        (vec![("AUSTA_LISTEN", "everywhere")], "AUSTA_LISTEN"),
        (
            vec![("AUSTA_DATABASE_URL", "sqlite:///proc/austa/data.db")],
            "cannot create the folder /proc/austa",
        ),
        (
            vec![("AUSTA_DATABASE_URL", "postgres://austa@127.0.0.1:1/austa")],
            "cannot open the database postgres://austa@127.0.0.1:1/austa",
        ),
    ] {
        let line = one_error_line(&austa(&dir.0, &env, &["migrate", "status"]));
        assert!(line.contains(expected), "{line}");
    }
    assert!(
        !dir.0.join("data").exists() && !dir.0.join("x.db").exists(),
        "no database appeared"
    );
}

#[test]
fn a_database_from_a_newer_binary_is_refused_and_left_untouched() {
    let dir = Workdir::new();
    json(&austa(&dir.0, &[], &["migrate", "up"]));
    // Record a migration this binary does not know, as a newer austa would.
    let db = dir.0.join("data/austa.db");
    let status = Command::new("python3")
        .args(["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (9999, 'future', 1, x'00', 0)\"); c.commit()", db.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let before = std::fs::read(&db).unwrap();
    for args in [
        &["serve"][..],
        &["migrate", "up"],
        &["migrate", "down", "--to", "0"],
    ] {
        let line = one_error_line(&austa(&dir.0, &[("AUSTA_LISTEN", "127.0.0.1:0")], args));
        assert!(line.contains("newer version of austa"), "{args:?}: {line}");
    }
    assert_eq!(std::fs::read(&db).unwrap(), before, "the database is unchanged");
}

#[test]
fn seed_admin_keys_and_audit_commands() {
    let dir = Workdir::new();
    let seeded = json(&austa(&dir.0, &[], &["seed", "--demo"]));
    assert_eq!(seeded["created"], true);
    assert!(
        seeded["logins"]["admin"]["totpUri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );
    let again = json(&austa(&dir.0, &[], &["seed", "--demo"]));
    assert_eq!(again["created"], false);
    assert_eq!(again["organizationId"], seeded["organizationId"]);
    // The embedded default made its own master key, readable by its owner only.
    let key = dir.0.join("data/master.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let org = json(&austa(
        &dir.0,
        &[],
        &[
            "admin",
            "create-org",
            "--name",
            "Clínica Nova",
            "--tax-id",
            "12.ABC.345/01DE-35",
        ],
    ));
    let org_id = org["id"].as_str().unwrap().to_owned();
    let admin = json(&austa(
        &dir.0,
        &[("AUSTA_PASSWORD", "uma senha bem longa")],
        &[
            "admin",
            "create-staff",
            "--org",
            &org_id,
            "--role",
            "admin",
            "--email",
            "Chefe@Clinica.com",
            "--name",
            "Chefe",
        ],
    ));
    assert!(admin["id"].is_string());
    assert!(admin["totpUri"].as_str().unwrap().contains("chefe%40clinica.com"));
    let provider = json(&austa(
        &dir.0,
        &[("AUSTA_PASSWORD", "outra senha bem longa")],
        &[
            "admin",
            "create-staff",
            "--org",
            &org_id,
            "--role",
            "provider",
            "--email",
            "dr@clinica.com",
            "--name",
            "Dr",
        ],
    ));
    assert!(provider.get("totpUri").is_none(), "only admins get TOTP");
    let key = json(&austa(
        &dir.0,
        &[],
        &["admin", "create-api-key", "--role", "system", "--org", &org_id],
    ));
    assert!(key["key"].as_str().unwrap().starts_with("austa_k_"));
    let rotated = json(&austa(&dir.0, &[], &["keys", "rotate", "--org", &org_id]));
    assert_eq!(rotated["rotated"][0]["primaryVersion"], 2);
    let report = json(&austa(&dir.0, &[], &["audit", "verify"]));
    assert_eq!(report["intact"], true);
    assert!(report["entries"].as_u64().unwrap() > 100);

    // Bad input: one clear line, exit 1, nothing created.
    for (args, expected) in [
        (
            vec![
                "admin",
                "create-org",
                "--name",
                "X",
                "--tax-id",
                "11.222.333/0001-82",
            ],
            "taxId",
        ),
        (
            vec![
                "admin",
                "create-staff",
                "--org",
                "not-a-uuid",
                "--role",
                "admin",
                "--email",
                "a@b.co",
                "--name",
                "A",
            ],
            "--org",
        ),
        (
            vec![
                "admin",
                "create-org",
                "--name",
                "Outra",
                "--tax-id",
                "12.ABC.345/01DE-35",
            ],
            "already exists",
        ),
    ] {
        let out = austa(&dir.0, &[("AUSTA_PASSWORD", "uma senha bem longa")], &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("error: ") && last.contains(expected),
            "{args:?}: {stderr}"
        );
    }
    let weak = austa(
        &dir.0,
        &[("AUSTA_PASSWORD", "curta")],
        &[
            "admin",
            "create-staff",
            "--org",
            &org_id,
            "--role",
            "provider",
            "--email",
            "x@clinica.com",
            "--name",
            "X",
        ],
    );
    assert_eq!(weak.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password"));
}

/// A full scenario with logging at `trace` (every crate): no CPF, phone, message text, health value,
/// token, password or TOTP secret may appear in the log.
#[tokio::test]
async fn nothing_personal_or_secret_reaches_the_log_even_at_trace() {
    let dir = Workdir::new();
    let env = [("AUSTA_LOG", "trace")];
    let seeded = austa(&dir.0, &env, &["seed", "--demo"]);
    let demo = json(&seeded);
    let password = demo["logins"]["password"].as_str().unwrap().to_owned();
    let totp_uri = demo["logins"]["admin"]["totpUri"].as_str().unwrap().to_owned();
    let totp_secret = totp_uri
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let log_path = dir.0.join("serve.log");
    let mut server = Server::start_logging(
        &dir.0,
        &env,
        Stdio::from(std::fs::File::create(&log_path).unwrap()),
    );
    server.wait_healthy().await;
    let api = format!("{}/api/v1", server.base);
    let http = http();
    let login: serde_json::Value = http
        .post(format!("{api}/auth/login"))
        .json(&serde_json::json!({"email": "medico@demo.austa.care", "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();
    let created: serde_json::Value = http
        .post(format!("{api}/users"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "name": "Paciente Registro", "cpf": "529.982.247-25", "phone": "(11) 97654-3210",
            "emergencyContact": {"name": "Quitéria Bastos", "phone": "(11) 3222-1111", "relationship": "mãe"}
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let record = http
        .post(format!("{api}/users/{id}/health-data"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"type": "ALLERGY", "data": {"substance": "Sulfametoxazol", "severity": "SEVERE"}, "notes": "Reação grave em 2019"}))
        .send()
        .await
        .unwrap();
    assert_eq!(record.status(), 201);
    let found = http
        .get(format!("{api}/users?cpf=52998224725"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(found.status(), 200);
    let bad = http
        .post(format!("{api}/users"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "X", "cpf": "123.456.789-00", "phone": "(11) 95555-4444"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let conversations: serde_json::Value = http
        .get(format!("{api}/conversations?limit=3"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for c in conversations["items"].as_array().unwrap() {
        let messages = http
            .get(format!(
                "{api}/conversations/{}/messages",
                c["id"].as_str().unwrap()
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(messages.status(), 200);
    }
    let wrong = http
        .post(format!("{api}/auth/login"))
        .json(&serde_json::json!({"email": "medico@demo.austa.care", "password": "tentativa-errada-123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(server.terminate().success());

    let mut log = std::fs::read_to_string(&log_path).unwrap();
    log.push_str(&String::from_utf8_lossy(&seeded.stderr));
    assert!(
        log.contains("TRACE") && log.lines().count() > 100,
        "trace logging was on"
    );
    let forbidden = [
        ("CPF", "52998224725".to_owned()),
        ("formatted CPF", "529.982.247-25".to_owned()),
        ("invalid CPF", "123.456.789-00".to_owned()),
        ("phone", "5511976543210".to_owned()),
        ("phone as typed", "97654-3210".to_owned()),
        ("contact", "Quitéria".to_owned()),
        ("contact phone", "32221111".to_owned()),
        ("allergen", "Sulfametoxazol".to_owned()),
        ("note", "Reação grave".to_owned()),
        ("message text", "renovar a receita".to_owned()),
        ("session token", token[8..].to_owned()),
        ("password", password.clone()),
        ("wrong password", "tentativa-errada-123".to_owned()),
        ("TOTP secret", totp_secret),
    ];
    for (what, needle) in forbidden {
        assert!(!log.contains(&needle), "the log contains a {what}");
    }
}

/// kill -9 while notifications are being delivered and acknowledged: after a restart, every
/// notification that got a 200 is stored and processed exactly once.
#[tokio::test]
async fn a_killed_server_loses_no_acknowledged_notification() {
    const SECRET: &str = "segredo-do-app";
    let dir = Workdir::new();
    let env = [
        ("AUSTA_WHATSAPP_APP_SECRET", SECRET),
        ("AUSTA_WHATSAPP_VERIFY_TOKEN", "v"),
    ];
    let org = json(&austa(
        &dir.0,
        &env,
        &[
            "admin",
            "create-org",
            "--name",
            "Clínica Crash",
            "--tax-id",
            "11.222.333/0001-81",
        ],
    ));
    let org_id = org["id"].as_str().unwrap().to_owned();
    let key = json(&austa(
        &dir.0,
        &env,
        &["admin", "create-api-key", "--role", "system"],
    ))["key"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut server = Server::start(&dir.0, &env);
    server.wait_healthy().await;
    let http = http();
    let patched = http
        .patch(format!("{}/api/v1/organizations/{org_id}", server.base))
        .bearer_auth(&key)
        .json(&serde_json::json!({"settings": {"whatsapp": {"phoneNumberId": "109876543210987"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);

    let body = |n: usize| {
        serde_json::to_vec(&serde_json::json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "5511930041234", "phone_number_id": "109876543210987"},
                "contacts": [{"profile": {"name": "Paciente"}, "wa_id": "5511999990001"}],
                "messages": [{"from": "5511999990001", "id": format!("wamid.crash{n}"), "timestamp": "1764300000",
                              "type": "text", "text": {"body": format!("mensagem {n}")}}],
            }}]}],
        }))
        .unwrap()
    };
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let total = 400;
    let mut senders = Vec::new();
    for lane in 0..8 {
        let (http, url, acknowledged) = (
            http.clone(),
            format!("{}/webhooks/whatsapp", server.base),
            acknowledged.clone(),
        );
        let bodies: Vec<(usize, Vec<u8>)> = (0..total)
            .filter(|n| n % 8 == lane)
            .map(|n| (n, body(n)))
            .collect();
        senders.push(tokio::spawn(async move {
            for (n, body) in bodies {
                let signature = austa_whatsapp::signature::sign(SECRET.as_bytes(), &body);
                let sent = http
                    .post(&url)
                    .header("x-hub-signature-256", signature)
                    .body(body)
                    .send()
                    .await;
                if let Ok(response) = sent
                    && response.status() == 200
                {
                    acknowledged.lock().unwrap().push(n);
                }
            }
        }));
    }
    // Kill without warning once deliveries are flowing.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().unwrap().len() < 100 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    for s in senders {
        s.await.unwrap();
    }
    let acknowledged: std::collections::BTreeSet<usize> =
        acknowledged.lock().unwrap().iter().copied().collect();
    assert!(
        acknowledged.len() >= 100,
        "deliveries were acknowledged before the kill"
    );
    assert!(acknowledged.len() < total, "the kill interrupted the deliveries");

    // Restart: the queue resumes; wait until every stored notification is processed.
    let mut server = Server::start(&dir.0, &env);
    server.wait_healthy().await;
    let store = austa_store_sqlite::SqliteStore::open(&dir.0.join("data/austa.db"))
        .await
        .unwrap();
    // Generous: each message is also analysed and counted for gamification, and CI runs the
    // other suites on the same two cores meanwhile.
    let deadline = Instant::now() + Duration::from_secs(240);
    let (deliveries, messages) = loop {
        use austa_store::Store;
        let mut tx = store
            .begin(
                austa_domain::Principal::system().scope(),
                austa_store::TxMode::Read,
            )
            .await
            .unwrap();
        let mut jobs: Vec<austa_store::model::Job> = Vec::new();
        let mut messages: Vec<austa_store::model::Message> = Vec::new();
        let mut deliveries: Vec<austa_store::model::WebhookDelivery> = Vec::new();
        let mut after = None;
        loop {
            let page = tx
                .list::<austa_store::model::Job>(&austa_store::ListQuery::first(500).after(after))
                .await
                .unwrap();
            jobs.extend(page.items);
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        let mut after = None;
        loop {
            let page = tx
                .list::<austa_store::model::Message>(&austa_store::ListQuery::first(500).after(after))
                .await
                .unwrap();
            messages.extend(page.items);
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        let mut after = None;
        loop {
            let page = tx
                .list::<austa_store::model::WebhookDelivery>(&austa_store::ListQuery::first(500).after(after))
                .await
                .unwrap();
            deliveries.extend(page.items);
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        tx.rollback().await.unwrap();
        if jobs
            .iter()
            .all(|j| j.status == austa_domain::enums::JobStatus::Done)
            && !jobs.is_empty()
        {
            break (deliveries, messages);
        }
        assert!(
            Instant::now() < deadline,
            "the queue did not drain after the restart"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(server.terminate().success());

    let stored: Vec<usize> = messages
        .iter()
        .filter_map(|m| {
            m.whatsapp_message_id
                .as_deref()?
                .strip_prefix("wamid.crash")?
                .parse()
                .ok()
        })
        .collect();
    let unique: std::collections::BTreeSet<usize> = stored.iter().copied().collect();
    assert_eq!(stored.len(), unique.len(), "no message stored twice");
    assert!(
        acknowledged.is_subset(&unique),
        "every acknowledged notification became its message"
    );
    assert_eq!(
        deliveries.len(),
        unique.len(),
        "every stored notification was processed"
    );
}

/// `austa nlp analyze`: JSON lines through the real binary, one analysis per input line, in
/// order; bad lines (invalid JSON, invalid UTF-8, missing text) get an error object in their
/// place without stopping the stream, and the exit status says so.
#[test]
fn nlp_analyze_streams_json_lines() {
    use std::io::Write;
    use std::process::Stdio;
    let mut input: Vec<u8> = Vec::new();
    input.extend_from_slice("{\"id\":\"m1\",\"text\":\"meu pai desmaiou e nao acorda\"}\n".as_bytes());
    input.extend_from_slice(b"\n");
    input.extend_from_slice("{\"id\":2,\"text\":\"minha pressao deu 13 por 8\"}\n".as_bytes());
    input.extend_from_slice(b"{\"id\":\"bad\",\"text\":\"\xff\xfe\"}\n");
    input.extend_from_slice(b"{\"id\":\"m4\"}\n");
    input.extend_from_slice("{\"id\":\"m5\",\"text\":\"quantos pontos eu tenho?\"}".as_bytes());
    let mut child = Command::new(AUSTA)
        .args(["nlp", "analyze"])
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "blank lines skipped, every other line answered");
    assert_eq!(lines[0]["id"], "m1");
    assert_eq!(lines[0]["intent"], "emergency");
    assert_eq!(lines[0]["urgency"], "emergency");
    assert_eq!(lines[1]["id"], "2");
    assert_eq!(lines[1]["intent"], "vital_sign_report");
    assert_eq!(lines[1]["entities"][0]["value"], "130/80");
    assert_eq!(lines[2]["error"], "line 4: not valid JSON (UTF-8)");
    assert_eq!(
        lines[3],
        serde_json::json!({"id": "m4", "error": "line 5: missing \"text\""})
    );
    assert_eq!(lines[4]["intent"], "gamification");
    let error = one_error_line(&out);
    assert!(error.contains("2 input line(s)"), "{error}");
}
