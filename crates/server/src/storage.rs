//! Where files live: through `object_store`, on the local filesystem by default, or in an S3 or
//! GCS bucket by configuration (`AUSTA_STORAGE_URL`). Only sealed bytes ever reach it (see
//! `service::documents`). The local folder stays readable after a move to a bucket, so documents
//! stored before the move are still served: each document names the provider it was stored with.

use std::path::Path;
use std::sync::Arc;

use austa_domain::enums::StorageProvider;
use bytes::Bytes;
use object_store::path::Path as Key;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt};
use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};

/// A bucket, as configured.
#[derive(Debug, Clone, Default)]
pub struct BucketConfig {
    /// `s3://bucket[/prefix]` or `gs://bucket[/prefix]`.
    pub url: String,
    /// An S3-compatible endpoint (MinIO, a local test server); none: AWS itself.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<SecretString>,
}

/// The configured store, and the local folder (always readable).
#[derive(Clone)]
pub struct FileStore {
    provider: StorageProvider,
    primary: Arc<dyn ObjectStore>,
    local: Arc<dyn ObjectStore>,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

fn failed(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("file store: {e}"))
}

/// Files under `dir` (made absolute; folders are created as files are written, atomically).
fn local_store(dir: &Path) -> Arc<dyn ObjectStore> {
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
    Arc::new(PrefixStore::new(
        object_store::local::LocalFileSystem::new(),
        Key::from(dir.to_string_lossy().as_ref()),
    ))
}

/// `s3://bucket/some/prefix` → (`s3`, `bucket`, `some/prefix`).
pub(crate) fn split_url(url: &str) -> std::result::Result<(&str, &str, &str), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or("must look like s3://bucket or gs://bucket")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err("names no bucket".into());
    }
    match scheme {
        "s3" | "gs" => Ok((scheme, bucket, prefix.trim_matches('/'))),
        other => Err(format!("`{other}://` is not supported (s3:// or gs://)")),
    }
}

impl FileStore {
    /// Files in a local folder only.
    pub fn local(dir: &Path) -> Self {
        let local = local_store(dir);
        Self {
            provider: StorageProvider::Local,
            primary: local.clone(),
            local,
        }
    }

    /// A bucket for new files, with the local folder still readable. Credentials not given here
    /// come from the provider's usual environment (`AWS_*`, `GOOGLE_*`).
    pub fn bucket(config: &BucketConfig, local_dir: &Path) -> Result<Self> {
        let (scheme, bucket, prefix) =
            split_url(&config.url).map_err(|e| Error::internal(format!("AUSTA_STORAGE_URL {e}")))?;
        let (provider, store): (StorageProvider, Arc<dyn ObjectStore>) = match scheme {
            "s3" => {
                let mut b = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
                if let Some(endpoint) = &config.endpoint {
                    b = b
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"));
                }
                if let Some(region) = &config.region {
                    b = b.with_region(region);
                }
                if let Some(id) = &config.access_key_id {
                    b = b.with_access_key_id(id);
                }
                if let Some(secret) = &config.secret_access_key {
                    b = b.with_secret_access_key(secret.expose_secret());
                }
                (StorageProvider::S3, Arc::new(b.build().map_err(failed)?))
            }
            _ => {
                let b = object_store::gcp::GoogleCloudStorageBuilder::from_env().with_bucket_name(bucket);
                (StorageProvider::Gcs, Arc::new(b.build().map_err(failed)?))
            }
        };
        let primary: Arc<dyn ObjectStore> = if prefix.is_empty() {
            store
        } else {
            Arc::new(PrefixStore::new(store, prefix))
        };
        Ok(Self {
            provider,
            primary,
            local: local_store(local_dir),
        })
    }

    /// Where new files go.
    pub fn provider(&self) -> StorageProvider {
        self.provider
    }

    fn of(&self, provider: StorageProvider) -> Result<&Arc<dyn ObjectStore>> {
        match provider {
            StorageProvider::Local => Ok(&self.local),
            p if p == self.provider => Ok(&self.primary),
            p => Err(Error::internal(format!("file store: {p:?} is not configured"))),
        }
    }

    /// Stores sealed bytes under `key` with the configured provider; returns that provider.
    pub async fn put(&self, key: &str, sealed: Vec<u8>) -> Result<StorageProvider> {
        self.primary
            .put(&Key::from(key), Bytes::from(sealed).into())
            .await
            .map_err(failed)?;
        Ok(self.provider)
    }

    pub async fn get(&self, provider: StorageProvider, key: &str) -> Result<Bytes> {
        self.of(provider)?
            .get(&Key::from(key))
            .await
            .map_err(failed)?
            .bytes()
            .await
            .map_err(failed)
    }

    /// Removes a file (only for files that never became a document: a lost race).
    pub async fn remove(&self, provider: StorageProvider, key: &str) -> Result<()> {
        self.of(provider)?.delete(&Key::from(key)).await.map_err(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_urls() {
        assert_eq!(split_url("s3://docs").unwrap(), ("s3", "docs", ""));
        assert_eq!(
            split_url("gs://docs/austa/prod/").unwrap(),
            ("gs", "docs", "austa/prod")
        );
        assert!(split_url("s3://").is_err());
        assert!(split_url("ftp://docs").is_err());
        assert!(split_url("docs").is_err());
    }

    #[tokio::test]
    async fn local_files_round_trip() {
        let dir = std::env::temp_dir().join(format!("austa-files-{}", uuid::Uuid::now_v7().simple()));
        let store = FileStore::local(&dir);
        assert_eq!(
            store.put("org/documents/a", b"sealed".to_vec()).await.unwrap(),
            StorageProvider::Local
        );
        assert_eq!(
            &store
                .get(StorageProvider::Local, "org/documents/a")
                .await
                .unwrap()[..],
            b"sealed"
        );
        assert!(dir.join("org/documents/a").exists());
        assert!(
            store.get(StorageProvider::S3, "org/documents/a").await.is_err(),
            "no bucket configured"
        );
        store
            .remove(StorageProvider::Local, "org/documents/a")
            .await
            .unwrap();
        assert!(
            store
                .get(StorageProvider::Local, "org/documents/a")
                .await
                .is_err()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
