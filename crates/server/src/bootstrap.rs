//! Start-up shared by `serve` and the commands: open and migrate the database, load the master key,
//! check that it opens the stored data keys, and make sure the platform's audit chains exist.

use std::sync::Arc;

use anyhow::Context;
use austa_crypto::MasterKey;
use austa_crypto::envelope::DataKey;
use austa_domain::enums::KeyState;
use austa_domain::{EntityId, Principal, Vocabulary};
use austa_store::model::EncryptionKey;
use austa_store::{ListQuery, Store, TxMode, Value};

use crate::config::Config;
use crate::context::{Clock, Services};
use crate::database;
use crate::keys::master::{self, KeyOrigin};
use austa_store::DatabaseUrl;

pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    database::open(&config.database_url)
        .await
        .with_context(|| format!("cannot open the database {}", config.database_url))
}

/// Opens everything; migrates a fresh or older database first.
pub async fn start(config: &Config) -> anyhow::Result<Arc<Services>> {
    let store = open_store(config).await?;
    let applied = store
        .migrate_up(None)
        .await
        .context("cannot migrate the database")?;
    if !applied.is_empty() {
        tracing::info!(versions = ?applied, "database migrated");
    }
    let loaded = master::load(config)?;
    match &loaded.origin {
        KeyOrigin::Created(path) => tracing::warn!(
            path = %path.display(),
            "created a new master key: back it up, since encrypted data cannot be read without it"
        ),
        KeyOrigin::Ephemeral => tracing::warn!("in-memory database: using a throw-away master key"),
        KeyOrigin::File(path) => tracing::info!(path = %path.display(), "master key loaded from file"),
        KeyOrigin::Environment => tracing::info!("master key loaded from AUSTA_MASTER_KEY"),
    }
    let whatsapp = austa_whatsapp::CloudApi::new(&config.whatsapp_api_base)
        .map_err(|e| anyhow::anyhow!("cannot prepare the WhatsApp client: {e}"))?;
    let checkpoint_log = config
        .audit_checkpoint_log
        .clone()
        .or_else(|| match &config.database_url {
            // The embedded default keeps them beside the database file: outside the database itself.
            DatabaseUrl::SqliteFile(db) => Some(
                db.parent()
                    .unwrap_or(std::path::Path::new("."))
                    .join("audit-checkpoints.jsonl"),
            ),
            _ => None,
        });
    if checkpoint_log.is_none() && matches!(config.database_url, DatabaseUrl::Postgres(_)) {
        tracing::warn!(
            "AUSTA_AUDIT_CHECKPOINT_LOG is not set: signed audit checkpoints are kept only in the database"
        );
    }
    let media_dir = config
        .media_dir
        .clone()
        .unwrap_or_else(|| match &config.database_url {
            DatabaseUrl::SqliteFile(db) => db.parent().unwrap_or(std::path::Path::new(".")).join("media"),
            _ => std::path::PathBuf::from("data/media"),
        });
    let options = Options {
        job_lease: config
            .job_lease_seconds
            .map(|s| time::Duration::seconds(s as i64)),
        media_dir: Some(media_dir),
        bucket: config
            .storage_url
            .clone()
            .map(|url| crate::storage::BucketConfig {
                url,
                endpoint: config.storage_endpoint.clone(),
                region: config.storage_region.clone(),
                access_key_id: config.storage_access_key_id.clone(),
                secret_access_key: config.storage_secret_access_key.clone(),
            }),
        checkpoint_log,
        whatsapp_app_secret: config.whatsapp_app_secret.clone(),
        whatsapp_verify_token: config.whatsapp_verify_token.clone(),
        llm: match &config.llm_url {
            Some(url) => Some(
                crate::llm::LlmClient::new(
                    url,
                    &config.llm_model,
                    config.llm_api_key.clone(),
                    std::time::Duration::from_millis(config.llm_timeout_ms),
                )
                .map_err(|e| anyhow::anyhow!("AUSTA_LLM_URL: {e}"))?,
            ),
            None => None,
        },
    };
    assemble_with(store, &loaded.key, whatsapp, Clock::system(), options).await
}

/// The services over an open, migrated store: checks the master key against the stored data keys
/// and makes sure the platform's audit chains exist.
pub async fn assemble(
    store: Arc<dyn Store>,
    master: &MasterKey,
    whatsapp: austa_whatsapp::CloudApi,
    clock: Clock,
) -> anyhow::Result<Arc<Services>> {
    assemble_with(store, master, whatsapp, clock, Options::default()).await
}

/// What the configuration adds to the services.
#[derive(Debug, Default)]
pub struct Options {
    /// Where signed audit checkpoints are also appended, outside the database.
    pub checkpoint_log: Option<std::path::PathBuf>,
    /// Checks `X-Hub-Signature-256` of WhatsApp webhooks.
    pub whatsapp_app_secret: Option<secrecy::SecretString>,
    /// Answers Meta's verification handshake.
    pub whatsapp_verify_token: Option<secrecy::SecretString>,
    /// Where media files are kept (encrypted); default: a folder in the system's temporary folder.
    pub media_dir: Option<std::path::PathBuf>,
    /// A bucket for new files instead of that folder.
    pub bucket: Option<crate::storage::BucketConfig>,
    /// How long a worker holds a claimed job.
    pub job_lease: Option<time::Duration>,
    /// The optional language model of the assistant (`AUSTA_LLM_URL`).
    pub llm: Option<crate::llm::LlmClient>,
}

/// [`assemble`] with the configured extras.
pub async fn assemble_with(
    store: Arc<dyn Store>,
    master: &MasterKey,
    whatsapp: austa_whatsapp::CloudApi,
    clock: Clock,
    options: Options,
) -> anyhow::Result<Arc<Services>> {
    check_master_key(store.as_ref(), master).await?;
    let mut services = Services::new(store, master, whatsapp, clock);
    services.checkpoint_log = options.checkpoint_log;
    services.whatsapp_app_secret = options.whatsapp_app_secret;
    services.whatsapp_verify_token = options.whatsapp_verify_token;
    if let Some(dir) = options.media_dir {
        services.files = crate::storage::FileStore::local(&dir);
        services.media_dir = dir;
    }
    if let Some(bucket) = &options.bucket {
        services.files = crate::storage::FileStore::bucket(bucket, &services.media_dir)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    if let Some(lease) = options.job_lease {
        services.job_lease = lease;
    }
    services.llm = options.llm.map(Arc::new);
    let services = Arc::new(services);
    ensure_platform_chains(&services).await?;
    Ok(services)
}

/// A wrong key would otherwise surface as unreadable rows much later: refuse at once.
async fn check_master_key(store: &dyn Store, master: &MasterKey) -> anyhow::Result<()> {
    let mut tx = store.begin(Principal::system().scope(), TxMode::Read).await?;
    let sample = tx
        .list::<EncryptionKey>(
            &ListQuery::first(1).filter("state", Value::Text(KeyState::Primary.as_str().into())),
        )
        .await?;
    tx.rollback().await?;
    if let Some(key) = sample.items.first() {
        let (Some(wrapped), Ok(version)) = (&key.wrapped_key, u32::try_from(key.version)) else {
            return Ok(());
        };
        DataKey::unwrap(
            &master.key_encryption_key(),
            key.organization_id.as_uuid(),
            version,
            wrapped,
        )
        .map_err(|_| {
            anyhow::anyhow!(
                "the master key does not open this database's data keys: is AUSTA_MASTER_KEY(_FILE) the key \
                     this database was created with?"
            )
        })?;
    }
    Ok(())
}

async fn ensure_platform_chains(services: &Services) -> anyhow::Result<()> {
    let now = services.clock.now();
    for attempt in 0..2 {
        let mut tx = services
            .store
            .begin(Principal::system().scope(), TxMode::Write)
            .await?;
        let created = services.audit.create_heads(tx.as_mut(), None, now).await;
        match created {
            Ok(()) => {
                tx.commit().await?;
                return Ok(());
            }
            // Another process created them at the same moment: look again.
            Err(_) if attempt == 0 => tx.rollback().await?,
            Err(e) => return Err(anyhow::anyhow!("cannot create the platform's audit chains: {e}")),
        }
    }
    Ok(())
}
