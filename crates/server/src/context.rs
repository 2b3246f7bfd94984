//! What every operation needs: the services (store, keys, audit chains, clock) and the actor on whose
//! behalf it runs (principal, address, user agent, request id).

use std::sync::Arc;

use austa_crypto::{MasterKey, SecretKey};
use austa_domain::enums::Role;
use austa_domain::ids::OrganizationId;
use austa_domain::{Principal, Subject};
use austa_store::Store;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit::AuditChains;
use crate::keys::KeyRings;

/// The time source; tests pass a fixed or moving clock.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> OffsetDateTime + Send + Sync>);

impl Clock {
    pub fn system() -> Self {
        Self(Arc::new(OffsetDateTime::now_utc))
    }

    pub fn from_fn(f: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// Now, at the precision both databases store (microseconds), so what is written reads back equal.
    pub fn now(&self) -> OffsetDateTime {
        austa_store::value::to_stored_precision((self.0)())
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

/// The long-lived parts, shared by the HTTP handlers, the workers and the CLI.
pub struct Services {
    pub store: Arc<dyn Store>,
    pub keys: KeyRings,
    pub audit: AuditChains,
    /// Group commit of the audit entries of reads.
    pub audit_sink: crate::audit::sink::AuditSink,
    /// HMAC key of the one-time login codes.
    pub one_time_code_key: SecretKey,
    /// HMAC key that pseudonymises login identifiers (e-mail) for rate limiting.
    pub login_subject_key: SecretKey,
    /// Seals stored idempotent responses (kept 24 hours; they may hold personal data).
    pub platform_data: austa_crypto::envelope::KeyRing,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Where signed audit checkpoints are also appended, outside the database (JSON lines).
    pub checkpoint_log: Option<std::path::PathBuf>,
    /// How long a worker holds a claimed job before another may take it.
    pub job_lease: time::Duration,
    /// The local folder of files, encrypted (`AUSTA_MEDIA_DIR`).
    pub media_dir: std::path::PathBuf,
    /// Where documents and media are kept: that folder, or a bucket (`AUSTA_STORAGE_URL`).
    pub files: crate::storage::FileStore,
    /// `AUSTA_WHATSAPP_APP_SECRET`: checks webhook signatures (none: webhooks are refused).
    pub whatsapp_app_secret: Option<secrecy::SecretString>,
    /// `AUSTA_WHATSAPP_VERIFY_TOKEN`: Meta's verification handshake.
    pub whatsapp_verify_token: Option<secrecy::SecretString>,
    /// Sessions recently checked (see `service::auth::SessionCache`).
    pub sessions: crate::service::auth::SessionCache,
    /// Meta's Cloud API (`AUSTA_WHATSAPP_API_BASE`).
    pub whatsapp: austa_whatsapp::CloudApi,
    /// The assistant's optional language model (`AUSTA_LLM_URL`).
    pub llm: Option<Arc<crate::llm::LlmClient>>,
    pub clock: Clock,
}

impl Services {
    pub fn new(
        store: Arc<dyn Store>,
        master: &MasterKey,
        whatsapp: austa_whatsapp::CloudApi,
        clock: Clock,
    ) -> Self {
        let metrics = Arc::new(crate::metrics::Metrics::default());
        let audit_sink = crate::audit::sink::AuditSink::start(
            Arc::clone(&store),
            master,
            clock.clone(),
            metrics.audit_entries.clone(),
        );
        let platform_key = austa_crypto::envelope::DataKey::from_material(1, master.platform_data_key());
        Self {
            platform_data: austa_crypto::envelope::KeyRing::single(Uuid::nil(), platform_key),
            whatsapp,
            sessions: Default::default(),
            metrics: metrics.clone(),
            checkpoint_log: None,
            whatsapp_app_secret: None,
            media_dir: std::env::temp_dir().join("austa-media"),
            files: crate::storage::FileStore::local(&std::env::temp_dir().join("austa-media")),
            job_lease: crate::jobs::LEASE,
            whatsapp_verify_token: None,
            llm: None,
            store,
            keys: KeyRings::new(master),
            audit: AuditChains::new(master).counting(metrics.audit_entries.clone()),
            audit_sink,
            one_time_code_key: master.one_time_code_key(),
            login_subject_key: master.one_time_code_key().derive(&[b"login-subject/v1"]),
            clock,
        }
    }
}

/// Who acts, and from where. Audit rows take their actor fields from here.
#[derive(Debug, Clone)]
pub struct Actor {
    pub principal: Principal,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    /// The session the request authenticated with (none for API keys and internal work).
    pub session: Option<austa_domain::ids::SessionId>,
}

impl Actor {
    pub fn new(principal: Principal) -> Self {
        Self {
            principal,
            ip_address: None,
            user_agent: None,
            request_id: None,
            session: None,
        }
    }

    /// The platform itself acting in one organization (CLI, workers).
    pub fn system_for(org: OrganizationId) -> Self {
        Self::new(Principal::system_for(org)).with_user_agent("austa")
    }

    pub fn platform() -> Self {
        Self::new(Principal::system()).with_user_agent("austa")
    }

    pub fn with_user_agent(mut self, agent: &str) -> Self {
        self.user_agent = Some(agent.to_owned());
        self
    }

    pub fn role(&self) -> Role {
        self.principal.role()
    }

    /// The id recorded as the audit actor: a user, an API key, or none for the platform.
    pub fn actor_id(&self) -> Option<Uuid> {
        match self.principal.subject() {
            Subject::User(id) => Some(austa_domain::EntityId::as_uuid(&id)),
            Subject::ApiKey(id) => Some(id),
            Subject::Internal => None,
        }
    }
}
