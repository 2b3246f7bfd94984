//! HTTP clients for calls out of the platform (alert webhooks, the language model): TLS through
//! rustls with the *ring* provider, installed once here so that no client panics for lack of one.

use std::time::Duration;

/// A client with the given overall timeout (connecting included).
pub fn client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
}
