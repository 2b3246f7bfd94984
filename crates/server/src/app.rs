//! The HTTP application: routes, shared state, and serving with graceful shutdown.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use crate::api::AppState;

/// Requests larger than this are refused with 413 before a handler reads them.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub fn router(state: AppState) -> Router {
    let (api, openapi) = crate::api::routes();
    let document = std::sync::Arc::new(serde_json::to_value(&openapi).unwrap_or_default());
    let api = api
        .route(
            "/openapi.json",
            get(move || async move { axum::Json((*document).clone()) }),
        )
        .route("/docs", get(crate::api::docs_page));
    let metrics = state.services.metrics.clone();
    Router::new()
        .route(
            "/metrics",
            get(crate::metrics::endpoint).with_state(metrics.clone()),
        )
        .route(
            "/webhooks/whatsapp",
            get(crate::api::webhooks::verify)
                .post(crate::api::webhooks::receive)
                .layer(RequestBodyLimitLayer::new(crate::api::BODY_LIMIT)),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .nest("/api/v1", api)
        .fallback(not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn(crate::api::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            crate::metrics::track,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
}

/// The request's span: method and path only. The query string is left out because it can carry
/// personal data (`GET /users?cpf=…`).
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::debug_span!("request", method = %request.method(), path = %request.uri().path(), request_id)
}

/// Unknown paths are problems too.
async fn not_found() -> crate::error::Error {
    crate::error::Error::NotFound
}

/// The process is up.
async fn healthz() -> impl IntoResponse {
    json_response(StatusCode::OK, json!({"status": "ok"}))
}

/// The database answers and has exactly this binary's migrations: traffic may be sent here.
async fn readyz(State(state): State<AppState>) -> Response {
    let store = &state.services.store;
    let backend = store.backend();
    let checks = async {
        store.ping().await?;
        store.migration_status().await
    };
    match checks.await {
        Ok(status) if status.is_current() => json_response(
            StatusCode::OK,
            json!({"status": "ready", "database": backend, "schemaVersion": status.current}),
        ),
        Ok(status) => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "not ready", "database": backend, "reason": "schema not current",
                   "schemaVersion": status.current, "expected": status.latest}),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"status": "not ready", "database": backend, "reason": "database unavailable"}),
            )
        }
    }
}

fn json_response(status: StatusCode, body: serde_json::Value) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response()
}

/// Serves until `shutdown` completes, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// Completes on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received, finishing in-flight requests");
}
