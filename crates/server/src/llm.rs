//! A client of an OpenAI-compatible chat completions endpoint (`AUSTA_LLM_URL`: a local vLLM,
//! Ollama, or a hosted one). Optional: the assistant works on its rules without it, and falls back
//! to them on any failure or a slow answer (`AUSTA_LLM_TIMEOUT_MS`). Callers pseudonymise what they
//! send (see `service::assistant::pseudonym`).

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("the language model did not answer in time")]
    Timeout,
    #[error("the language model is unreachable")]
    Unreachable,
    #[error("the language model answered {0}")]
    Status(u16),
    #[error("the language model's answer is not a chat completion")]
    Malformed,
}

pub struct LlmClient {
    url: String,
    model: String,
    key: Option<SecretString>,
    http: reqwest::Client,
}

impl std::fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmClient")
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl LlmClient {
    pub fn new(
        url: &str,
        model: &str,
        key: Option<SecretString>,
        timeout: Duration,
    ) -> Result<Self, LlmError> {
        let http = crate::outgoing::client(timeout).map_err(|_| LlmError::Unreachable)?;
        Ok(LlmClient {
            url: url.to_owned(),
            model: model.to_owned(),
            key,
            http,
        })
    }

    /// One exchange: a system prompt and a user message; the reply's text.
    pub async fn chat(&self, system: &str, user: &str, max_tokens: u32) -> Result<String, LlmError> {
        let body = json!({
            "model": self.model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "temperature": 0.2,
            "max_tokens": max_tokens,
            "stream": false,
        });
        let mut request = self.http.post(&self.url).json(&body);
        if let Some(key) = &self.key {
            request = request.bearer_auth(key.expose_secret());
        }
        let response = request.send().await.map_err(|e| {
            if e.is_timeout() {
                LlmError::Timeout
            } else {
                LlmError::Unreachable
            }
        })?;
        if !response.status().is_success() {
            return Err(LlmError::Status(response.status().as_u16()));
        }
        let answer: Value = response.json().await.map_err(|e| {
            if e.is_timeout() {
                LlmError::Timeout
            } else {
                LlmError::Malformed
            }
        })?;
        answer
            .pointer("/choices/0/message/content")
            .and_then(|c| c.as_str())
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .ok_or(LlmError::Malformed)
    }
}
