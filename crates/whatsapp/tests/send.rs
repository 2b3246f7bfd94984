//! The client against a local stand-in of the Graph API that answers with Meta's real bodies
//! (`fixtures/whatsapp/send/`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use austa_whatsapp::{CloudApi, SendError};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use secrecy::SecretString;
use serde_json::{Value, json};

type Seen = Arc<Mutex<Vec<(String, String, Value)>>>;

async fn graph(answer: (StatusCode, Value)) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = Router::new()
        .route(
            "/v23.0/{phone}/messages",
            post(
                |State((seen, answer)): State<(Seen, (StatusCode, Value))>,
                 Path(phone): Path<String>,
                 headers: HeaderMap,
                 Json(body): Json<Value>| async move {
                    let auth = headers.get("authorization").unwrap().to_str().unwrap().to_owned();
                    seen.lock().unwrap().push((phone, auth, body));
                    (answer.0, Json(answer.1))
                },
            ),
        )
        .with_state((seen.clone(), answer));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v23.0"), seen)
}

#[tokio::test]
async fn text_is_sent_with_bearer_and_plus() {
    let ok = json!({"messaging_product": "whatsapp", "contacts": [{"input": "+5511987654321", "wa_id": "5511987654321"}],
                    "messages": [{"id": "wamid.HBgNNTUx", "message_status": "accepted"}]});
    let (base, seen) = graph((StatusCode::OK, ok)).await;
    let api = CloudApi::new(&base).unwrap();
    let sent = api
        .send_text(
            "106540352242922",
            &SecretString::from("tok"),
            "5511987654321",
            "Seu código: 123456",
        )
        .await
        .unwrap();
    assert_eq!(sent.message_id, "wamid.HBgNNTUx");
    assert_eq!(sent.wa_id.as_deref(), Some("5511987654321"));
    let seen = seen.lock().unwrap();
    let (phone, auth, body) = &seen[0];
    assert_eq!(phone, "106540352242922");
    assert_eq!(auth, "Bearer tok");
    assert_eq!(body["to"], "+5511987654321");
    assert_eq!(body["type"], "text");
    assert_eq!(body["text"]["body"], "Seu código: 123456");
}

#[tokio::test]
async fn meta_errors_keep_their_code() {
    let error = json!({"error": {"message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429,
                       "error_data": {"messaging_product": "whatsapp", "details": "x"}, "fbtrace_id": "A"}});
    let (base, _) = graph((StatusCode::BAD_REQUEST, error)).await;
    let err = CloudApi::new(&base)
        .unwrap()
        .send_code_template(
            "1",
            &SecretString::from("t"),
            "+5511987654321",
            "codigo_acesso",
            "pt_BR",
            "123456",
        )
        .await
        .unwrap_err();
    assert!(matches!(&err, SendError::Refused { code: 130429, .. }), "{err:?}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn unreachable_or_garbage_is_unavailable() {
    let err = CloudApi::new("http://127.0.0.1:9")
        .unwrap()
        .send_text("1", &SecretString::from("t"), "+55", "x")
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Unavailable(_)));
    let (base, _) = graph((StatusCode::OK, json!({"unexpected": true}))).await;
    let err = CloudApi::new(&base)
        .unwrap()
        .send_text("1", &SecretString::from("t"), "+55", "x")
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Unavailable(_)));
    let bad_id = CloudApi::new(&base)
        .unwrap()
        .send_text("../admin", &SecretString::from("t"), "+55", "x")
        .await
        .unwrap_err();
    assert!(matches!(bad_id, SendError::Refused { code: 100, .. }));
}
