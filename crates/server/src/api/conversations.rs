//! `/conversations` and `/conversations/{id}/messages` (read).

use super::problem::Problem;
use austa_domain::Vocabulary;
use austa_domain::enums::ConversationStatus;
use austa_domain::ids::{ConversationId, OrganizationId, UserId};
use austa_store::TxMode;
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;

use super::extract::{Authenticated, ListResponse, Paging};
use super::{AppState, in_organization, organization_of, parse_id};
use crate::error::{Error, Result};
use crate::service::conversations::{self, ConversationView, Filter, MessageView};
use crate::transact;

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConversationQuery {
    organization_id: Option<OrganizationId>,
    user_id: Option<UserId>,
    status: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/conversations",
    tag = "conversations",
    summary = "Conversations (patients: their own)",
    params(ConversationQuery),
    responses((status = 200, body = ListResponse<ConversationView>), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<ConversationQuery>,
) -> Result<Json<ListResponse<ConversationView>>> {
    let org = organization_of(&actor, q.organization_id)?;
    let actor = in_organization(&actor, org);
    let status = q
        .status
        .as_deref()
        .map(ConversationStatus::parse_str)
        .transpose()
        .map_err(|_| {
            Error::invalid(
                "status",
                "invalid_value",
                format!("must be one of {}", ConversationStatus::TEXTS.join(", ")),
            )
        })?;
    let query = Paging {
        limit: q.limit,
        cursor: q.cursor,
    }
    .query()?;
    let filter = Filter {
        user_id: q.user_id,
        status,
    };
    Ok(Json(
        transact!(&state.services, &actor, TxMode::Read, |work| {
            conversations::list(work, org, filter, query).await
        })?
        .into(),
    ))
}

#[utoipa::path(
    get,
    path = "/conversations/{id}",
    tag = "conversations",
    summary = "One conversation",
    params(("id" = String, Path, description = "Conversation id")),
    responses((status = 200, body = ConversationView), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<ConversationView>> {
    let id: ConversationId = parse_id(&id)?;
    Ok(Json(transact!(&state.services, &actor, TxMode::Read, |work| {
        conversations::get(work, id).await
    })?))
}

#[utoipa::path(
    get,
    path = "/conversations/{id}/messages",
    tag = "conversations",
    summary = "The messages of a conversation, decrypted",
    params(("id" = String, Path, description = "Conversation id"), Paging),
    responses((status = 200, body = ListResponse<MessageView>), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
pub async fn messages(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Query(paging): Query<Paging>,
) -> Result<Json<ListResponse<MessageView>>> {
    let id: ConversationId = parse_id(&id)?;
    let query = paging.query()?;
    Ok(Json(
        transact!(&state.services, &actor, TxMode::Read, |work| {
            conversations::messages(work, id, query).await
        })?
        .into(),
    ))
}

#[utoipa::path(
    post,
    path = "/conversations/{id}/messages",
    tag = "conversations",
    summary = "Send a WhatsApp message (text, template, interactive, media); outside the 24-hour window only templates",
    params(
        ("id" = String, Path, description = "Conversation id"),
        ("essential" = Option<bool>, Query, description = "Send even to a patient who opted out (answers to their own requests, authorization decisions, emergencies)")
    ),
    request_body(content = Object, description = "Meta's message body without `to`: `{\"type\": \"text\", \"text\": {\"body\": …}}`, `{\"type\": \"template\", \"template\": {…}}`…"),
    responses(
        (status = 202, description = "Queued", body = MessageView),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The patient opted out of non-essential messages", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Breaks a WhatsApp limit, or outside the 24-hour window", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn send(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Query(options): Query<SendOptions>,
    super::extract::Body(content): super::extract::Body<austa_whatsapp::outbound::Outbound>,
) -> Result<(axum::http::StatusCode, Json<MessageView>)> {
    let id: ConversationId = parse_id(&id)?;
    let queued = transact!(&state.services, &actor, TxMode::Write, |work| {
        let message =
            crate::service::outbound::queue(work, id, content, options.essential.unwrap_or(false)).await?;
        conversations::view_message(work, message).await
    })?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(queued)))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendOptions {
    essential: Option<bool>,
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReadOptions {
    /// Also show the typing indicator (a reply is being written).
    typing: Option<bool>,
}

#[utoipa::path(
    post,
    path = "/conversations/{id}/read",
    tag = "conversations",
    summary = "Mark the patient's latest message read on WhatsApp (blue ticks), optionally with the typing indicator",
    params(("id" = String, Path, description = "Conversation id"), ReadOptions),
    responses(
        (status = 202, description = "Queued"),
        (status = 204, description = "No message to mark"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn read(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Query(options): Query<ReadOptions>,
) -> Result<axum::http::StatusCode> {
    let id: ConversationId = parse_id(&id)?;
    let typing = options.typing.unwrap_or(false);
    let queued = transact!(&state.services, &actor, TxMode::Write, |work| {
        crate::service::outbound::mark_read(work, id, typing).await
    })?;
    Ok(if queued {
        axum::http::StatusCode::ACCEPTED
    } else {
        axum::http::StatusCode::NO_CONTENT
    })
}

#[utoipa::path(
    post,
    path = "/conversations/{id}/release",
    tag = "conversations",
    summary = "Hand the conversation back to the assistant (after a person took it over, or an emergency was dealt with)",
    params(("id" = String, Path, description = "Conversation id")),
    responses(
        (status = 200, body = ConversationView),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The assistant already has it, or it is closed", body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
pub async fn release(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<ConversationView>> {
    let id: ConversationId = parse_id(&id)?;
    Ok(Json(transact!(&state.services, &actor, TxMode::Write, |work| {
        conversations::release(work, id).await
    })?))
}
