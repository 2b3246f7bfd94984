//! `/auth/*` and `/me`.

use super::problem::Problem;
use austa_domain::Subject;
use austa_domain::ids::OrganizationId;
use austa_store::TxMode;
use austa_store::model::User;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;

use super::AppState;
use super::extract::{Authenticated, Body};
use crate::error::Result;
use crate::service::auth::{self, Client, Credentials, Issued};
use crate::transact;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginBody {
    email: String,
    password: String,
    totp: Option<String>,
    organization_id: Option<OrganizationId>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    token: String,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
    token_type: &'static str,
}

impl From<Issued> for TokenResponse {
    fn from(issued: Issued) -> Self {
        Self {
            token: issued.token.expose().to_owned(),
            expires_at: issued.expires_at,
            token_type: "Bearer",
        }
    }
}

#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "auth",
    summary = "Staff login: e-mail, password and, for admins, a TOTP code",
    request_body = LoginBody,
    responses((status = 200, description = "A bearer token", body = TokenResponse), (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json"), (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"))
)]
pub async fn login(
    State(state): State<AppState>,
    client: Client,
    Body(body): Body<LoginBody>,
) -> Result<Json<TokenResponse>> {
    let credentials = Credentials {
        email: body.email,
        password: SecretString::from(body.password),
        totp: body.totp,
        organization_id: body.organization_id,
    };
    Ok(Json(
        auth::login(&state.services, &client, credentials).await?.into(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CodeRequest {
    organization_id: OrganizationId,
    phone: String,
}

/// 202 with the same body whether or not the phone belongs to a patient.
#[utoipa::path(
    post,
    path = "/auth/otp/request",
    tag = "auth",
    summary = "Send a patient a login code over WhatsApp (same answer for any phone)",
    request_body = CodeRequest,
    responses((status = 202, description = "Accepted"), (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json"))
)]
pub async fn request_code(
    State(state): State<AppState>,
    Body(body): Body<CodeRequest>,
) -> Result<impl IntoResponse> {
    let services = &state.services;
    auth::request_code(services, &services.whatsapp, body.organization_id, &body.phone).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(
            json!({"status": "sent", "detail": "If this phone belongs to a patient, a code was sent to its WhatsApp."}),
        ),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CodeCheck {
    organization_id: OrganizationId,
    phone: String,
    code: String,
}

#[utoipa::path(
    post,
    path = "/auth/otp/verify",
    tag = "auth",
    summary = "Exchange a WhatsApp login code for a patient token",
    request_body = CodeCheck,
    responses((status = 200, description = "A bearer token", body = TokenResponse), (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json"))
)]
pub async fn verify_code(
    State(state): State<AppState>,
    client: Client,
    Body(body): Body<CodeCheck>,
) -> Result<Json<TokenResponse>> {
    let issued = auth::verify_code(
        &state.services,
        &client,
        body.organization_id,
        &body.phone,
        &body.code,
    )
    .await?;
    Ok(Json(issued.into()))
}

#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "auth",
    summary = "Revoke the current session",
    responses((status = 204, description = "Revoked"), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn logout(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
) -> Result<StatusCode> {
    auth::logout(&state.services, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who the token belongs to.
#[utoipa::path(
    get,
    path = "/me",
    tag = "auth",
    summary = "Who the token belongs to",
    responses((status = 200, description = "The caller", body = Object), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn me(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
) -> Result<Json<serde_json::Value>> {
    let principal = actor.principal;
    let body = match principal.subject() {
        Subject::User(id) => {
            let user = transact!(&state.services, &actor, TxMode::Read, |work| Ok(work
                .tx()
                .get::<User>(id)
                .await?))?;
            json!({
                "id": user.id,
                "organizationId": user.organization_id,
                "role": user.role,
                "name": user.name,
                "email": user.email,
                "language": user.language,
                "timezone": user.timezone,
            })
        }
        Subject::ApiKey(id) => {
            json!({"apiKeyId": id, "role": principal.role(), "organizationId": principal.organization()})
        }
        Subject::Internal => json!({"role": principal.role(), "organizationId": principal.organization()}),
    };
    Ok(Json(body))
}
