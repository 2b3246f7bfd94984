//! Configuration: defaults, then an optional `austa.toml`, then `AUSTA_*` environment variables.
//! Every secret may also be given as `AUSTA_<NAME>_FILE` (a path whose content is the secret; giving
//! both forms is an error). Unknown keys in the file and unknown `AUSTA_*` variables are refused, so a
//! typo never silently falls back to a default.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use austa_store::DatabaseUrl;
use secrecy::SecretString;
use serde::Deserialize;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/austa.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_WHATSAPP_API_BASE: &str = "https://graph.facebook.com/v23.0";

/// `AUSTA_*` variables that are inputs of single commands or of the tests, not configuration.
const NOT_CONFIGURATION: &[&str] = &[
    "AUSTA_PASSWORD",
    "AUSTA_CONFIG",
    "AUSTA_TEST_POSTGRES_URL",
    "AUSTA_LOG",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// The resolved configuration. Secrets are `SecretString`: their `Debug` prints `[REDACTED]`.
#[derive(Debug, Clone)]
pub struct Config {
    /// Redacts its password in `Debug` and `Display`.
    pub database_url: DatabaseUrl,
    pub listen: SocketAddr,
    pub log_format: LogFormat,
    pub master_key: Option<SecretString>,
    pub master_key_file: Option<PathBuf>,
    pub whatsapp_app_secret: Option<SecretString>,
    pub whatsapp_verify_token: Option<SecretString>,
    pub whatsapp_api_base: String,
    /// Where signed audit checkpoints are copied, outside the database.
    pub audit_checkpoint_log: Option<PathBuf>,
    /// Where media files are kept, encrypted.
    pub media_dir: Option<PathBuf>,
    /// A bucket for documents and media instead of that folder: `s3://bucket[/prefix]` or
    /// `gs://bucket[/prefix]` (files are sealed before they leave the process either way).
    pub storage_url: Option<String>,
    /// An S3-compatible endpoint (MinIO, a local server); none: AWS.
    pub storage_endpoint: Option<String>,
    pub storage_region: Option<String>,
    pub storage_access_key_id: Option<String>,
    pub storage_secret_access_key: Option<SecretString>,
    /// How long a worker holds a claimed job before another may take it (default 60).
    pub job_lease_seconds: Option<u64>,
    /// An OpenAI-compatible chat completions endpoint the assistant may use (none: rules only).
    pub llm_url: Option<String>,
    /// The model name sent to it.
    pub llm_model: String,
    pub llm_api_key: Option<SecretString>,
    /// How long the assistant waits for it before falling back to the rules (default 2500).
    pub llm_timeout_ms: u64,
}

pub const DEFAULT_LLM_MODEL: &str = "llama3.1";
pub const DEFAULT_LLM_TIMEOUT_MS: u64 = 2500;

/// The keys of `austa.toml` (the same names, lower case, as the variables without `AUSTA_`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Layer {
    database_url: Option<String>,
    listen: Option<String>,
    log_format: Option<String>,
    master_key: Option<String>,
    master_key_file: Option<PathBuf>,
    whatsapp_app_secret: Option<String>,
    whatsapp_verify_token: Option<String>,
    whatsapp_api_base: Option<String>,
    audit_checkpoint_log: Option<PathBuf>,
    media_dir: Option<PathBuf>,
    storage_url: Option<String>,
    storage_endpoint: Option<String>,
    storage_region: Option<String>,
    storage_access_key_id: Option<String>,
    storage_secret_access_key: Option<String>,
    #[serde(default, deserialize_with = "number_or_text")]
    job_lease_seconds: Option<String>,
    llm_url: Option<String>,
    llm_model: Option<String>,
    llm_api_key: Option<String>,
    #[serde(default, deserialize_with = "number_or_text")]
    llm_timeout_ms: Option<String>,
}

/// A number in `austa.toml` (`60`) or text from the environment (`"60"`).
fn number_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Number(u64),
        Text(String),
    }
    Ok(Option::<Either>::deserialize(d)?.map(|e| match e {
        Either::Number(n) => n.to_string(),
        Either::Text(t) => t,
    }))
}

/// Keys that hold secrets, so also accept `_FILE`.
const SECRETS: &[&str] = &[
    "master_key",
    "whatsapp_app_secret",
    "whatsapp_verify_token",
    "database_url",
    "llm_api_key",
    "storage_secret_access_key",
];
const KEYS: &[&str] = &[
    "database_url",
    "listen",
    "log_format",
    "master_key",
    "master_key_file",
    "whatsapp_app_secret",
    "whatsapp_verify_token",
    "whatsapp_api_base",
    "audit_checkpoint_log",
    "media_dir",
    "storage_url",
    "storage_endpoint",
    "storage_region",
    "storage_access_key_id",
    "storage_secret_access_key",
    "job_lease_seconds",
    "llm_url",
    "llm_model",
    "llm_api_key",
    "llm_timeout_ms",
];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("invalid configuration file {path}: {reason}")]
    Syntax { path: PathBuf, reason: String },
    #[error("unknown environment variable {0} (known: {known})", known = known_variables())]
    UnknownVariable(String),
    #[error("both {0} and {0}_FILE are set: give the secret one way")]
    BothForms(String),
    #[error("cannot read {variable} ({path}): {reason}")]
    SecretFile {
        variable: String,
        path: String,
        reason: String,
    },
    #[error("{key}: {reason}")]
    Invalid { key: &'static str, reason: String },
}

fn known_variables() -> String {
    KEYS.iter()
        .map(|k| format!("AUSTA_{}", k.to_uppercase()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Config {
    /// Loads from the process environment and `path` (or `./austa.toml` when it exists).
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let env: BTreeMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("AUSTA_"))
            .collect();
        Self::from_sources(path, &env)
    }

    pub fn from_sources(path: Option<&Path>, env: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let file = match path {
            Some(p) => Some(read_layer(p)?),
            None if Path::new("austa.toml").exists() => Some(read_layer(Path::new("austa.toml"))?),
            None => None,
        }
        .unwrap_or_default();
        let env = env_layer(env)?;
        let pick = |f: Option<String>, e: Option<String>| e.or(f);

        let database_url_text =
            pick(file.database_url, env.database_url).unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let database_url = DatabaseUrl::parse(&database_url_text).map_err(|e| ConfigError::Invalid {
            key: "AUSTA_DATABASE_URL",
            reason: e.to_string(),
        })?;
        let listen_text = pick(file.listen, env.listen).unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen = listen_text.parse().map_err(|_| ConfigError::Invalid {
            key: "AUSTA_LISTEN",
            reason: format!("`{listen_text}` is not an address:port such as 127.0.0.1:8080"),
        })?;
        let log_format = match pick(file.log_format, env.log_format).as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    key: "AUSTA_LOG_FORMAT",
                    reason: format!("`{other}` is not one of: text, json"),
                });
            }
        };
        Ok(Config {
            database_url,
            listen,
            log_format,
            master_key: pick(file.master_key, env.master_key).map(SecretString::from),
            master_key_file: env.master_key_file.or(file.master_key_file),
            whatsapp_app_secret: pick(file.whatsapp_app_secret, env.whatsapp_app_secret)
                .map(SecretString::from),
            whatsapp_verify_token: pick(file.whatsapp_verify_token, env.whatsapp_verify_token)
                .map(SecretString::from),
            whatsapp_api_base: pick(file.whatsapp_api_base, env.whatsapp_api_base)
                .unwrap_or_else(|| DEFAULT_WHATSAPP_API_BASE.to_owned()),
            audit_checkpoint_log: env.audit_checkpoint_log.or(file.audit_checkpoint_log),
            media_dir: env.media_dir.or(file.media_dir),
            storage_url: match pick(file.storage_url, env.storage_url)
                .map(|u| u.trim().to_owned())
                .filter(|u| !u.is_empty())
            {
                None => None,
                Some(url) => {
                    crate::storage::split_url(&url).map_err(|reason| ConfigError::Invalid {
                        key: "AUSTA_STORAGE_URL",
                        reason,
                    })?;
                    Some(url)
                }
            },
            storage_endpoint: match pick(file.storage_endpoint, env.storage_endpoint) {
                None => None,
                Some(url) => {
                    if url::Url::parse(url.trim())
                        .ok()
                        .filter(|u| matches!(u.scheme(), "http" | "https"))
                        .is_none()
                    {
                        return Err(ConfigError::Invalid {
                            key: "AUSTA_STORAGE_ENDPOINT",
                            reason: "must be an http(s) URL".into(),
                        });
                    }
                    Some(url.trim().to_owned())
                }
            },
            storage_region: pick(file.storage_region, env.storage_region),
            storage_access_key_id: pick(file.storage_access_key_id, env.storage_access_key_id),
            storage_secret_access_key: pick(file.storage_secret_access_key, env.storage_secret_access_key)
                .map(SecretString::from),
            job_lease_seconds: match pick(file.job_lease_seconds, env.job_lease_seconds) {
                None => None,
                Some(text) => Some(
                    text.trim()
                        .parse::<u64>()
                        .ok()
                        .filter(|s| (1..=86_400).contains(s))
                        .ok_or_else(|| ConfigError::Invalid {
                            key: "AUSTA_JOB_LEASE_SECONDS",
                            reason: format!("`{text}` is not a number of seconds between 1 and 86400"),
                        })?,
                ),
            },
            llm_url: match pick(file.llm_url, env.llm_url) {
                None => None,
                Some(url) => {
                    let parsed = url::Url::parse(url.trim())
                        .ok()
                        .filter(|u| matches!(u.scheme(), "http" | "https"));
                    if parsed.is_none() {
                        return Err(ConfigError::Invalid {
                            key: "AUSTA_LLM_URL",
                            reason: "must be an http(s) URL of a chat completions endpoint".into(),
                        });
                    }
                    Some(url.trim().to_owned())
                }
            },
            llm_model: pick(file.llm_model, env.llm_model).unwrap_or_else(|| DEFAULT_LLM_MODEL.to_owned()),
            llm_api_key: pick(file.llm_api_key, env.llm_api_key).map(SecretString::from),
            llm_timeout_ms: match pick(file.llm_timeout_ms, env.llm_timeout_ms) {
                None => DEFAULT_LLM_TIMEOUT_MS,
                Some(text) => text
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|ms| (100..=30_000).contains(ms))
                    .ok_or_else(|| ConfigError::Invalid {
                        key: "AUSTA_LLM_TIMEOUT_MS",
                        reason: format!("`{text}` is not a number of milliseconds between 100 and 30000"),
                    })?,
            },
        })
    }
}

fn read_layer(path: &Path) -> Result<Layer, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Syntax {
        path: path.to_owned(),
        reason: e.message().to_owned(),
    })
}

fn env_layer(env: &BTreeMap<String, String>) -> Result<Layer, ConfigError> {
    let mut values: BTreeMap<&'static str, String> = BTreeMap::new();
    for (name, value) in env {
        if NOT_CONFIGURATION.contains(&name.as_str()) {
            continue;
        }
        let key = name.trim_start_matches("AUSTA_").to_lowercase();
        if let Some(secret) = key
            .strip_suffix("_file")
            .and_then(|k| SECRETS.iter().find(|s| **s == k))
        {
            if env.contains_key(&format!("AUSTA_{}", secret.to_uppercase())) {
                return Err(ConfigError::BothForms(format!("AUSTA_{}", secret.to_uppercase())));
            }
            let content = std::fs::read_to_string(value).map_err(|e| ConfigError::SecretFile {
                variable: name.clone(),
                path: value.clone(),
                reason: e.to_string(),
            })?;
            values.insert(secret, content.trim_end_matches(['\n', '\r']).to_owned());
        } else if let Some(known) = KEYS.iter().find(|k| **k == key) {
            values.insert(known, value.clone());
        } else {
            return Err(ConfigError::UnknownVariable(name.clone()));
        }
    }
    let mut take = |k: &str| values.remove(k);
    Ok(Layer {
        database_url: take("database_url"),
        listen: take("listen"),
        log_format: take("log_format"),
        master_key: take("master_key"),
        master_key_file: take("master_key_file").map(PathBuf::from),
        whatsapp_app_secret: take("whatsapp_app_secret"),
        whatsapp_verify_token: take("whatsapp_verify_token"),
        whatsapp_api_base: take("whatsapp_api_base"),
        audit_checkpoint_log: take("audit_checkpoint_log").map(PathBuf::from),
        media_dir: take("media_dir").map(PathBuf::from),
        storage_url: take("storage_url"),
        storage_endpoint: take("storage_endpoint"),
        storage_region: take("storage_region"),
        storage_access_key_id: take("storage_access_key_id"),
        storage_secret_access_key: take("storage_secret_access_key"),
        job_lease_seconds: take("job_lease_seconds"),
        llm_url: take("llm_url"),
        llm_model: take("llm_model"),
        llm_api_key: take("llm_api_key"),
        llm_timeout_ms: take("llm_timeout_ms"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn temp_file(name: &str, content: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("austa-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    #[test]
    fn defaults_apply_without_file_or_environment() {
        let c = Config::from_sources(None, &env(&[])).unwrap();
        assert_eq!(c.database_url, DatabaseUrl::parse(DEFAULT_DATABASE_URL).unwrap());
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(c.log_format, LogFormat::Text);
        assert!(c.master_key.is_none());
    }

    #[test]
    fn the_environment_overrides_the_file_which_overrides_defaults() {
        let file = temp_file(
            "layers.toml",
            "listen = \"0.0.0.0:9000\"\ndatabase_url = \"sqlite://file.db\"\n",
        );
        let c =
            Config::from_sources(Some(&file), &env(&[("AUSTA_DATABASE_URL", "sqlite://env.db")])).unwrap();
        assert_eq!(c.database_url.to_string(), "sqlite://env.db");
        assert_eq!(c.listen.to_string(), "0.0.0.0:9000");
    }

    #[test]
    fn unknown_keys_and_variables_are_refused() {
        let file = temp_file("typo.toml", "databse_url = \"sqlite://x.db\"\n");
        assert!(matches!(
            Config::from_sources(Some(&file), &env(&[])),
            Err(ConfigError::Syntax { .. })
        ));
        let err = Config::from_sources(None, &env(&[("AUSTA_DATABSE_URL", "postgres://x/y")])).unwrap_err();
        assert!(
            err.to_string().contains("AUSTA_DATABSE_URL") && err.to_string().contains("AUSTA_DATABASE_URL")
        );
        // Command inputs are not configuration and pass.
        assert!(Config::from_sources(None, &env(&[("AUSTA_PASSWORD", "x")])).is_ok());
    }

    #[test]
    fn secrets_come_from_files_and_never_show_in_debug() {
        let key = temp_file("master.key", "c2VjcmV0LWtleS1ieXRlcw==\n");
        let c = Config::from_sources(
            None,
            &env(&[
                ("AUSTA_MASTER_KEY_FILE", key.to_str().unwrap()),
                ("AUSTA_WHATSAPP_APP_SECRET", "app-secret-value"),
            ]),
        )
        .unwrap();
        assert_eq!(
            c.master_key.as_ref().unwrap().expose_secret(),
            "c2VjcmV0LWtleS1ieXRlcw=="
        );
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("c2VjcmV0") && !shown.contains("app-secret-value"),
            "{shown}"
        );
    }

    #[test]
    fn both_forms_of_a_secret_is_an_error() {
        let key = temp_file("both.key", "x");
        let err = Config::from_sources(
            None,
            &env(&[
                ("AUSTA_MASTER_KEY", "y"),
                ("AUSTA_MASTER_KEY_FILE", key.to_str().unwrap()),
            ]),
        )
        .unwrap_err();
        assert!(matches!(err, ConfigError::BothForms(_)));
    }

    #[test]
    fn database_urls_are_checked_and_their_passwords_hidden() {
        let err = Config::from_sources(None, &env(&[("AUSTA_DATABASE_URL", "mysql://x/y")])).unwrap_err();
        assert!(err.to_string().contains("sqlite://PATH"), "{err}");
        let c = Config::from_sources(
            None,
            &env(&[("AUSTA_DATABASE_URL", "postgres://a:hunter2@db/austa")]),
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = Config::from_sources(None, &env(&[("AUSTA_LISTEN", "localhost")])).unwrap_err();
        assert!(err.to_string().starts_with("AUSTA_LISTEN"), "{err}");
        let err = Config::from_sources(None, &env(&[("AUSTA_LOG_FORMAT", "xml")])).unwrap_err();
        assert!(err.to_string().contains("text, json"), "{err}");
    }

    #[test]
    fn the_language_model_is_optional_and_checked() {
        let none = Config::from_sources(None, &env(&[])).unwrap();
        assert!(none.llm_url.is_none());
        assert_eq!(
            (none.llm_model.as_str(), none.llm_timeout_ms),
            (DEFAULT_LLM_MODEL, DEFAULT_LLM_TIMEOUT_MS)
        );
        let set = Config::from_sources(
            None,
            &env(&[
                ("AUSTA_LLM_URL", "http://127.0.0.1:11434/v1/chat/completions"),
                ("AUSTA_LLM_MODEL", "qwen2.5"),
                ("AUSTA_LLM_API_KEY", "chave-do-modelo"),
                ("AUSTA_LLM_TIMEOUT_MS", "800"),
            ]),
        )
        .unwrap();
        assert_eq!(
            set.llm_url.as_deref(),
            Some("http://127.0.0.1:11434/v1/chat/completions")
        );
        assert_eq!((set.llm_model.as_str(), set.llm_timeout_ms), ("qwen2.5", 800));
        assert!(
            !format!("{set:?}").contains("chave-do-modelo"),
            "the key is redacted"
        );
        for (key, value) in [
            ("AUSTA_LLM_URL", "ftp://x"),
            ("AUSTA_LLM_URL", "localhost"),
            ("AUSTA_LLM_TIMEOUT_MS", "5"),
        ] {
            let err = Config::from_sources(None, &env(&[(key, value)])).unwrap_err();
            assert!(err.to_string().starts_with(key), "{err}");
        }
    }

    #[test]
    fn a_bucket_is_optional_and_checked() {
        assert!(
            Config::from_sources(None, &env(&[]))
                .unwrap()
                .storage_url
                .is_none()
        );
        let set = Config::from_sources(
            None,
            &env(&[
                ("AUSTA_STORAGE_URL", "s3://austa-documentos/prod"),
                ("AUSTA_STORAGE_ENDPOINT", "http://127.0.0.1:9000"),
                ("AUSTA_STORAGE_REGION", "sa-east-1"),
                ("AUSTA_STORAGE_ACCESS_KEY_ID", "AKIAEXAMPLE"),
                ("AUSTA_STORAGE_SECRET_ACCESS_KEY", "segredo-do-bucket"),
            ]),
        )
        .unwrap();
        assert_eq!(set.storage_url.as_deref(), Some("s3://austa-documentos/prod"));
        assert_eq!(set.storage_region.as_deref(), Some("sa-east-1"));
        assert!(
            !format!("{set:?}").contains("segredo-do-bucket"),
            "the secret is redacted"
        );
        for (key, value) in [
            ("AUSTA_STORAGE_URL", "ftp://bucket"),
            ("AUSTA_STORAGE_URL", "s3://"),
            ("AUSTA_STORAGE_ENDPOINT", "minio:9000"),
        ] {
            let err = Config::from_sources(None, &env(&[(key, value)])).unwrap_err();
            assert!(err.to_string().starts_with(key), "{err}");
        }
    }
}
