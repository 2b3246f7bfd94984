//! The command line. Output a script reads is JSON on stdout; logs and errors go to stderr. Every
//! failure is one `error: …` line and exit status 1 (2 for a malformed command line).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use austa_store::Store;
use clap::{Parser, Subcommand};

use crate::app::{self, AppState};
use crate::config::Config;
use crate::{bootstrap, telemetry, workers};

mod admin;
mod nlp;
mod seed;

#[derive(Debug, Parser)]
#[command(
    name = "austa",
    version,
    about = "Austa Care: patient engagement backend (WhatsApp, health records, ANS authorizations)",
    long_about = "Austa Care: patient engagement backend for Brazilian health plans.\n\n\
        Configuration comes from defaults, then austa.toml (or --config), then AUSTA_* environment \
        variables (secrets also as AUSTA_*_FILE). The database is AUSTA_DATABASE_URL: \
        sqlite://data/austa.db by default, or postgres://USER:PASSWORD@HOST/DB."
)]
pub struct Cli {
    /// Configuration file (default: ./austa.toml when it exists).
    #[arg(long, global = true, env = "AUSTA_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database if needed, then serve HTTP (AUSTA_LISTEN) until SIGTERM or Ctrl-C.
    Serve,
    /// Show, apply or undo schema migrations.
    #[command(subcommand)]
    Migrate(MigrateCommand),
    /// Bootstrap organizations, staff and API keys.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Fill a demo organization with synthetic people, conversations, health data and missions.
    Seed {
        /// The demo organization (the only kind of seed there is; running it again changes nothing).
        #[arg(long, required = true)]
        demo: bool,
    },
    /// Check the tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage encryption keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Portuguese message analysis (no database needed).
    #[command(subcommand)]
    Nlp(NlpCommand),
}

#[derive(Debug, Subcommand)]
pub enum NlpCommand {
    /// Read JSON lines {"id", "text"} on stdin; write one analysis per line on stdout
    /// (intent, confidence, urgency, entities, healthKeywords). A malformed line gets
    /// {"id", "error"} in its place and the exit status is 1 at the end.
    Analyze,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an organization (tenant). Prints {"id": …}.
    CreateOrg {
        #[arg(long)]
        name: String,
        /// CNPJ, numeric or alphanumeric, with or without punctuation.
        #[arg(long = "tax-id", value_name = "CNPJ")]
        tax_id: String,
    },
    /// Create an admin or provider. The password comes from AUSTA_PASSWORD, else the first line of
    /// stdin. Prints {"id": …}, and for admins {"totpUri": …} once: enroll it in an authenticator app.
    CreateStaff {
        #[arg(long, value_name = "ID")]
        org: String,
        #[arg(long, value_parser = ["admin", "provider"])]
        role: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
    /// Create an API key for machines. Prints {"id": …, "key": …}; the key is shown only this once.
    CreateApiKey {
        #[arg(long, value_parser = ["system"])]
        role: String,
        /// Confine the key to one organization (default: the whole platform).
        #[arg(long, value_name = "ID")]
        org: Option<String>,
        /// What the key is for.
        #[arg(long, default_value = "api key")]
        name: String,
    },
    /// Revoke an API key at once. Prints {"id": …, "revokedAt": …}.
    RevokeApiKey {
        #[arg(long, value_name = "ID")]
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the MAC chains and check the signed checkpoints. Prints a JSON report; exit 0 when
    /// intact, else the first bad entry and exit 1.
    Verify {
        #[arg(long, value_name = "ID")]
        org: Option<String>,
    },
    /// Sign a checkpoint of every chain that grew (serve does this every minute).
    Checkpoint {
        #[arg(long, value_name = "ID")]
        org: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new data key version primary (for one organization, or all). Re-encryption of existing
    /// rows runs in the background of `austa serve`; reads and writes keep working meanwhile.
    Rotate {
        #[arg(long, value_name = "ID")]
        org: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Apply pending migrations (all, or up to --to). Prints the versions applied as JSON.
    Up {
        /// Stop after this version.
        #[arg(long, value_name = "VERSION")]
        to: Option<i64>,
    },
    /// Undo migrations newer than --to (0 undoes all: an empty schema). Prints the versions undone.
    Down {
        /// The version to go back to.
        #[arg(long, value_name = "VERSION", default_value_t = 0)]
        to: i64,
    },
    /// Print the backend, the current and latest version and every migration as JSON.
    Status,
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(anyhow::anyhow!("cannot start the runtime: {e}")),
    };
    match runtime.block_on(execute(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn fail(e: anyhow::Error) -> ExitCode {
    // One line, the causes joined: scripts and people both read it.
    eprintln!("error: {e:#}");
    ExitCode::FAILURE
}

async fn execute(cli: Cli) -> anyhow::Result<()> {
    if let Command::Nlp(NlpCommand::Analyze) = cli.command {
        // Pure computation on stdin: no configuration, database or logging to set up.
        return nlp::analyze();
    }
    let config = Config::load(cli.config.as_deref())?;
    telemetry::init(config.log_format);
    match cli.command {
        Command::Serve => serve(config).await,
        Command::Migrate(cmd) => migrate(config, cmd).await,
        Command::Admin(cmd) => admin::run(&config, cmd).await,
        Command::Seed { demo: _ } => seed::run(&config).await,
        Command::Audit(cmd) => admin::audit(&config, cmd).await,
        Command::Keys(cmd) => admin::keys(&config, cmd).await,
        Command::Nlp(NlpCommand::Analyze) => nlp::analyze(),
    }
}

async fn open(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    bootstrap::open_store(config).await
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let services = bootstrap::start(&config).await?;
    let store = services.store.clone();
    let workers = workers::spawn(services.clone());
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr().context("listener address")?;
    tracing::info!(%address, database = %config.database_url, "austa serving");
    let state = AppState { services };
    app::serve(listener, state, app::shutdown_signal())
        .await
        .context("server failed")?;
    workers.stop().await;
    store.close().await;
    tracing::info!("austa stopped");
    Ok(())
}

async fn migrate(config: Config, cmd: MigrateCommand) -> anyhow::Result<()> {
    let store = open(&config).await?;
    let output = match cmd {
        MigrateCommand::Up { to } => {
            let applied = store.migrate_up(to).await.context("migration failed")?;
            let status = store.migration_status().await?;
            serde_json::json!({"applied": applied, "current": status.current, "latest": status.latest})
        }
        MigrateCommand::Down { to } => {
            anyhow::ensure!(to >= 0, "--to must be 0 or a migration version");
            let undone = store.migrate_down(to).await.context("migration failed")?;
            let status = store.migration_status().await?;
            serde_json::json!({"undone": undone, "current": status.current, "latest": status.latest})
        }
        MigrateCommand::Status => serde_json::to_value(store.migration_status().await?)?,
    };
    println!("{output}");
    store.close().await;
    Ok(())
}
