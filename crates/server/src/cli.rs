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
use crate::{database, telemetry};

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
    let config = Config::load(cli.config.as_deref())?;
    telemetry::init(config.log_format);
    match cli.command {
        Command::Serve => serve(config).await,
        Command::Migrate(cmd) => migrate(config, cmd).await,
    }
}

async fn open(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    database::open(&config.database_url)
        .await
        .with_context(|| format!("cannot open the database {}", config.database_url))
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let store = open(&config).await?;
    let applied = store
        .migrate_up(None)
        .await
        .context("cannot migrate the database")?;
    if !applied.is_empty() {
        tracing::info!(versions = ?applied, "database migrated");
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr().context("listener address")?;
    tracing::info!(%address, database = %config.database_url, "austa serving");
    let state = AppState { store: store.clone() };
    app::serve(listener, state, app::shutdown_signal())
        .await
        .context("server failed")?;
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
