//! What the HTTP test files share: the server on a free port, an organization with a system key,
//! and a JSON call. (`mod common;` in each file; not every file uses every piece.)

#![allow(dead_code)]

use std::sync::Arc;

use austa_domain::enums::Role;
use austa_domain::ids::OrganizationId;
use austa_server::app::{self, AppState};
use austa_server::context::{Actor, Services};
use austa_server::service::{api_keys, organizations};
use reqwest::StatusCode;
use serde_json::Value;

/// Serves the API on a free local port; returns its base URL (`http://…/api/v1`).
pub async fn serve(services: &Arc<Services>) -> String {
    format!("{}/api/v1", serve_root(services).await)
}

/// Serves the whole application (webhooks, health, metrics and the API) on a free local port;
/// returns its root URL (`http://…`).
pub async fn serve_root(services: &Arc<Services>) -> String {
    let router = app::router(AppState {
        services: services.clone(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap()
    });
    format!("http://{addr}")
}

/// A new organization (a valid CNPJ) and a system API key of it, labelled `label`.
pub async fn organization_with_key(services: &Services, name: &str, label: &str) -> (OrganizationId, String) {
    let org = organizations::create(
        services,
        &Actor::platform(),
        organizations::NewOrganization {
            name,
            tax_id: "11.222.333/0001-81",
        },
    )
    .await
    .unwrap();
    let key = api_keys::create(services, &Actor::platform(), Some(org.id), Role::System, label)
        .await
        .unwrap();
    (org.id, key.token.expose().to_owned())
}

/// A JSON request with a bearer token; the status and the body (`Null` if it is not JSON).
pub async fn call(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut r = http.request(method, format!("{base}{path}")).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let response = r.send().await.unwrap();
    let status = response.status();
    (
        status,
        serde_json::from_str(&response.text().await.unwrap()).unwrap_or(Value::Null),
    )
}
