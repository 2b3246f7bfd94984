//! Where the master key comes from: `AUSTA_MASTER_KEY`, `AUSTA_MASTER_KEY_FILE`, or, on the embedded
//! SQLite default only, `master.key` beside the database file, created on first start (mode 0600).
//! PostgreSQL deployments must bring their own key: a server that silently invented one would lose
//! every encrypted value the day its disk is replaced.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use austa_crypto::MasterKey;
use austa_store::DatabaseUrl;
use secrecy::ExposeSecret;

use crate::config::Config;

pub const FILE_NAME: &str = "master.key";

/// The key and where it came from (for the start-up log line; never the key itself).
pub struct LoadedKey {
    pub key: MasterKey,
    pub origin: KeyOrigin,
}

#[derive(Debug, PartialEq, Eq)]
pub enum KeyOrigin {
    Environment,
    File(PathBuf),
    Created(PathBuf),
    /// In-memory database: a key as short-lived as the data.
    Ephemeral,
}

pub fn load(config: &Config) -> anyhow::Result<LoadedKey> {
    if let Some(text) = &config.master_key {
        let key = MasterKey::parse(text.expose_secret()).context("AUSTA_MASTER_KEY")?;
        return Ok(LoadedKey {
            key,
            origin: KeyOrigin::Environment,
        });
    }
    if let Some(path) = &config.master_key_file {
        return Ok(LoadedKey {
            key: read(path)?,
            origin: KeyOrigin::File(path.clone()),
        });
    }
    match &config.database_url {
        DatabaseUrl::SqliteFile(db) => {
            let path = db.parent().unwrap_or(Path::new(".")).join(FILE_NAME);
            if path.exists() {
                return Ok(LoadedKey {
                    key: read(&path)?,
                    origin: KeyOrigin::File(path),
                });
            }
            let key = MasterKey::generate()?;
            create(&path, &key)?;
            Ok(LoadedKey {
                key,
                origin: KeyOrigin::Created(path),
            })
        }
        DatabaseUrl::SqliteMemory => Ok(LoadedKey {
            key: MasterKey::generate()?,
            origin: KeyOrigin::Ephemeral,
        }),
        DatabaseUrl::Postgres(_) => bail!(
            "PostgreSQL needs an explicit master key: set AUSTA_MASTER_KEY_FILE (or AUSTA_MASTER_KEY) to 32 \
             random bytes in base64, e.g. `openssl rand -base64 32`, and keep a copy outside the database"
        ),
    }
}

fn read(path: &Path) -> anyhow::Result<MasterKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the master key file {}", path.display()))?;
    MasterKey::parse(&text).with_context(|| format!("master key file {}", path.display()))
}

/// Writes a new key file readable by its owner only; never overwrites an existing one.
fn create(path: &Path, key: &MasterKey) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create the master key file {}", path.display()))?;
    file.write_all(format!("{}\n", key.encode()).as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write the master key file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> Config {
        let env = [("AUSTA_DATABASE_URL".to_owned(), url.to_owned())].into();
        Config::from_sources(None, &env).unwrap()
    }

    #[test]
    fn sqlite_creates_a_private_key_file_once() {
        let dir = std::env::temp_dir().join(format!("austa-key-{}", uuid::Uuid::now_v7().simple()));
        let db = dir.join("austa.db");
        let c = config(&format!("sqlite://{}", db.display()));
        let first = load(&c).unwrap();
        let path = dir.join(FILE_NAME);
        assert_eq!(first.origin, KeyOrigin::Created(path.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let second = load(&c).unwrap();
        assert_eq!(second.origin, KeyOrigin::File(path));
        assert_eq!(first.key.encode(), second.key.encode());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn postgres_refuses_to_invent_a_key() {
        let err = load(&config("postgres://u:p@localhost/db")).err().unwrap();
        assert!(format!("{err:#}").contains("AUSTA_MASTER_KEY_FILE"));
    }

    #[test]
    fn explicit_key_wins_and_bad_keys_are_refused() {
        let mut c = config("postgres://u:p@localhost/db");
        let key = MasterKey::generate().unwrap();
        c.master_key = Some(key.encode().into());
        assert_eq!(load(&c).unwrap().origin, KeyOrigin::Environment);
        c.master_key = Some("too short".into());
        let err = load(&c).err().unwrap();
        assert!(format!("{err:#}").contains("32 bytes"), "{err:#}");
    }
}
