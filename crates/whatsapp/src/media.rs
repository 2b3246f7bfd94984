//! Media of inbound messages: `GET /{media-id}` gives a URL valid for 5 minutes, downloaded with the
//! same bearer token (CLOUD_API_NOTES.md §5).

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::send::{CloudApi, SendError};

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct MediaInfo {
    pub url: String,
    #[serde(default)]
    pub mime_type: Option<String>,
    /// Hex here (the webhook sends base64).
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub file_size: Option<u64>,
    #[serde(default)]
    pub id: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MediaError {
    /// The URL expired (or the media is gone): fetch a fresh URL.
    #[error("the media URL is no longer valid")]
    Expired,
    #[error("the media is larger than {0} bytes")]
    TooLarge(u64),
    #[error(transparent)]
    Api(#[from] SendError),
}

impl CloudApi {
    /// Where to download a media id from, and what Meta says about it.
    pub async fn media_info(&self, media_id: &str, token: &SecretString) -> Result<MediaInfo, MediaError> {
        if media_id.is_empty() || media_id.len() > 64 || !media_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SendError::Refused {
                code: 100,
                title: "a media id is digits".into(),
            }
            .into());
        }
        let url = format!("{}/{media_id}", self.base());
        let response = self
            .http()
            .get(url)
            .bearer_auth(token.expose_secret())
            .send()
            .await
            .map_err(|_| SendError::Unavailable("media info request failed".into()))?;
        if response.status() == 404 {
            return Err(MediaError::Expired);
        }
        if !response.status().is_success() {
            return Err(SendError::Unavailable(format!("media info: HTTP {}", response.status())).into());
        }
        response
            .json()
            .await
            .map_err(|_| SendError::Unavailable("malformed media info".into()).into())
    }

    /// Downloads at most `max_bytes` from a media URL with the bearer token.
    pub async fn download(
        &self,
        url: &str,
        token: &SecretString,
        max_bytes: u64,
    ) -> Result<Vec<u8>, MediaError> {
        let mut response = self
            .http()
            .get(url)
            .bearer_auth(token.expose_secret())
            .send()
            .await
            .map_err(|_| SendError::Unavailable("media download failed".into()))?;
        if matches!(response.status().as_u16(), 404 | 410 | 403) {
            return Err(MediaError::Expired);
        }
        if !response.status().is_success() {
            return Err(SendError::Unavailable(format!("media download: HTTP {}", response.status())).into());
        }
        if response.content_length().is_some_and(|n| n > max_bytes) {
            return Err(MediaError::TooLarge(max_bytes));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|_| SendError::Unavailable("media download interrupted".into()))?
        {
            if bytes.len() as u64 + chunk.len() as u64 > max_bytes {
                return Err(MediaError::TooLarge(max_bytes));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }
}
