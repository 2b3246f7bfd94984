//! Test support shared by the crates' integration tests.
//!
//! [`postgres()`] gives a fresh, empty PostgreSQL database owned by an ordinary role (not a superuser,
//! so row-level security applies as in production). The server is `AUSTA_TEST_POSTGRES_URL` when set
//! (a superuser URL of a server the tests may create databases and roles on), or else a private
//! cluster this process starts with `initdb` and `pg_ctl` in a temporary folder on a free port, and
//! that a watchdog stops and deletes when the test process exits.
//!
//! When no PostgreSQL can be had, tests are skipped with a loud message, except under `CI=true`,
//! where that is a failure.

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)] // test support: failing loudly is the point

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sqlx::Connection;

pub mod render;

/// The role that owns every test database: what `austa` connects as in production.
pub const APP_ROLE: &str = "austa_app";
const APP_PASSWORD: &str = "austa_app_test_password";

/// A fresh database for one test.
#[derive(Debug, Clone)]
pub struct TestDatabase {
    /// Connects as [`APP_ROLE`] (owner, no superuser, no BYPASSRLS).
    pub url: String,
    /// Connects as the superuser, for inspecting what the application cannot see.
    pub admin_url: String,
    pub name: String,
}

struct Server {
    /// Superuser URL without a database name.
    base: String,
}

static SERVER: OnceLock<Option<Server>> = OnceLock::new();

/// A fresh database, or `None` (after a message) when PostgreSQL is not available outside CI.
pub async fn postgres() -> Option<TestDatabase> {
    let server = SERVER.get_or_init(start_server).as_ref()?;
    let name = format!("austa_test_{}", uuid::Uuid::now_v7().simple());
    let mut admin = sqlx::PgConnection::connect(&format!("{}/postgres", server.base))
        .await
        .expect("connect to the test PostgreSQL as superuser");
    ensure_app_role(&mut admin).await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {name} OWNER {APP_ROLE}"
    )))
    .execute(&mut admin)
    .await
    .expect("create a test database");
    let app_base = with_user(&server.base, &format!("{APP_ROLE}:{APP_PASSWORD}"));
    Some(TestDatabase {
        url: format!("{app_base}/{name}"),
        admin_url: format!("{}/{name}", server.base),
        name,
    })
}

/// `postgres://super:pw@host:port` → `postgres://<userinfo>@host:port`.
fn with_user(base: &str, userinfo: &str) -> String {
    let rest = base.split_once("://").map_or(base, |(_, rest)| rest);
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    format!("postgres://{userinfo}@{host}")
}

async fn ensure_app_role(admin: &mut sqlx::PgConnection) {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
        .bind(APP_ROLE)
        .fetch_one(&mut *admin)
        .await
        .expect("query roles");
    if !exists {
        let created = sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD '{APP_PASSWORD}'"
        )))
        .execute(&mut *admin)
        .await;
        // Another test binary may have created it at the same moment.
        if let Err(e) = created {
            let text = e.to_string();
            assert!(
                text.contains("already exists") || text.contains("duplicate key"),
                "create role: {e}"
            );
        }
    }
}

fn start_server() -> Option<Server> {
    if let Ok(url) = std::env::var("AUSTA_TEST_POSTGRES_URL") {
        let base = url.trim_end_matches('/');
        let base = match base.rsplit_once('/') {
            Some((b, _db)) if b.contains("://") && b.split("://").nth(1).is_some_and(|r| !r.is_empty()) => b,
            _ => base,
        };
        return Some(Server {
            base: base.to_owned(),
        });
    }
    match PrivateCluster::start() {
        Ok(cluster) => Some(Server {
            base: cluster.base_url(),
        }),
        Err(why) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("PostgreSQL is required under CI=true but could not be started: {why}");
            }
            eprintln!(
                "\n*** PostgreSQL tests SKIPPED: {why}. Set AUSTA_TEST_POSTGRES_URL or install PostgreSQL 15+. ***\n"
            );
            None
        }
    }
}

struct PrivateCluster {
    port: u16,
}

impl PrivateCluster {
    fn base_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.port)
    }

    fn start() -> Result<Self, String> {
        let bin =
            find_bindir().ok_or("no initdb/pg_ctl found (PATH, pg_config, /usr/lib/postgresql/*/bin)")?;
        let dir = std::env::temp_dir().join(format!(
            "austa-pg-{}-{}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("temp dir: {e}"))?;
        let data = dir.join("data");
        // PostgreSQL refuses to run as root: run it as an unprivileged user then.
        let run_as = if is_root() {
            Some(unprivileged_user()?)
        } else {
            None
        };
        if let Some(user) = &run_as {
            chown(&dir, user)?;
        }
        let port = free_port()?;
        run(
            &bin,
            "initdb",
            &run_as,
            &[
                "-D",
                path(&data),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        )?;
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=200 -c shared_buffers=128MB",
            path(&dir)
        );
        run(
            &bin,
            "pg_ctl",
            &run_as,
            &[
                "-D",
                path(&data),
                "-l",
                path(&dir.join("server.log")),
                "-o",
                &opts,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )?;
        spawn_watchdog(&bin, &data, &dir, &run_as);
        wait_ready(port)?;
        Ok(Self { port })
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

fn find_bindir() -> Option<PathBuf> {
    let has = |dir: &Path| dir.join("initdb").exists() && dir.join("pg_ctl").exists();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if has(&dir) {
            return Some(dir);
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path().join("bin")))
                .filter(|d| has(d))
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    if let Some(dir) = versions.pop() {
        return Some(dir);
    }
    std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).find(|d| has(d)))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn unprivileged_user() -> Result<String, String> {
    for user in ["postgres", "nobody"] {
        if Command::new("id")
            .arg(user)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            return Ok(user.to_owned());
        }
    }
    Err("running as root and no 'postgres' or 'nobody' user to run PostgreSQL as".into())
}

fn chown(dir: &Path, user: &str) -> Result<(), String> {
    let status = Command::new("chown")
        .args(["-R", user, path(dir)])
        .status()
        .map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("chown {user} failed"))
    }
}

fn run(bin: &Path, tool: &str, run_as: &Option<String>, args: &[&str]) -> Result<(), String> {
    let exe = bin.join(tool);
    let mut cmd = match run_as {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    let out = cmd
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{tool}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{tool} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Stops the cluster and removes its folder once this test process is gone, however it ended.
fn spawn_watchdog(bin: &Path, data: &Path, dir: &Path, run_as: &Option<String>) {
    let pg_ctl = bin.join("pg_ctl");
    let stop = match run_as {
        Some(user) => format!(
            "runuser -u {user} -- {} -D {} -m immediate stop",
            path(&pg_ctl),
            path(data)
        ),
        None => format!("{} -D {} -m immediate stop", path(&pg_ctl), path(data)),
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        dir = path(dir)
    );
    let _ = Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn wait_ready(port: u16) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err("PostgreSQL did not start listening within 30 s".into())
}

/// A PostgreSQL client program (`pg_dump`, `psql`) of the installation the private clusters use.
pub fn postgres_tool(name: &str) -> Option<PathBuf> {
    find_bindir().map(|dir| dir.join(name)).filter(|p| p.exists())
}

/// A local S3-compatible server (moto's, from PyPI: `pip install 'moto[server]'`) for this test
/// process, started once on a free port and stopped when the process is gone.
#[derive(Debug, Clone)]
pub struct S3Server {
    /// `http://127.0.0.1:PORT`: give it as the endpoint; any access key is accepted.
    pub endpoint: String,
}

static S3: OnceLock<Option<S3Server>> = OnceLock::new();

/// The S3 server, or `None` (after a message) when moto is not installed, outside CI.
pub fn s3() -> Option<S3Server> {
    S3.get_or_init(|| match start_moto() {
        Ok(server) => Some(server),
        Err(why) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("an S3-compatible server is required under CI=true but could not be started: {why}");
            }
            eprintln!("\n*** S3 tests SKIPPED: {why}. Install it with: pip install 'moto[server]' ***\n");
            None
        }
    })
    .clone()
}

fn start_moto() -> Result<S3Server, String> {
    let port = free_port()?;
    // Stopped by a watchdog once this process ends, however it ends.
    let script = format!(
        "python3 -m moto.server -H 127.0.0.1 -p {port} >/dev/null 2>&1 & server=$!; \
         while kill -0 {pid} 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 1; done; kill $server 2>/dev/null",
        pid = std::process::id()
    );
    let installed = Command::new("python3")
        .args(["-c", "import moto.server"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        return Err("python3 cannot import moto.server".into());
    }
    Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start moto_server: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(S3Server {
                endpoint: format!("http://127.0.0.1:{port}"),
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err("moto_server did not start listening within 60 s".into())
}

/// Whether the OCR tools are here: Tesseract with its Portuguese model, and poppler's `pdftotext`
/// and `pdftoppm`. Outside CI a test without them is skipped with a loud message; under
/// `CI=true` their absence is a failure (`.ci/run` installs them).
pub fn ocr_tools() -> bool {
    static FOUND: OnceLock<Result<(), String>> = OnceLock::new();
    let found = FOUND.get_or_init(|| {
        let langs = Command::new("tesseract")
            .arg("--list-langs")
            .stderr(Stdio::null())
            .output()
            .map_err(|e| format!("tesseract: {e}"))?;
        if !String::from_utf8_lossy(&langs.stdout)
            .lines()
            .any(|l| l.trim() == "por")
        {
            return Err("tesseract has no Portuguese model (tesseract-ocr-por)".into());
        }
        for tool in ["pdftotext", "pdftoppm"] {
            Command::new(tool)
                .arg("-v")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map_err(|e| format!("{tool}: {e}"))?;
        }
        Ok(())
    });
    match found {
        Ok(()) => true,
        Err(why) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("the OCR tools are required under CI=true: {why}");
            }
            eprintln!(
                "\n*** OCR tests SKIPPED: {why}. Install them with: apt-get install tesseract-ocr tesseract-ocr-por poppler-utils ***\n"
            );
            false
        }
    }
}
