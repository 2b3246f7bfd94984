//! `/documents`: medical documents (upload up to 100 MB, content, OCR text and extraction,
//! verification into health records, retention).

use austa_domain::Vocabulary;
use austa_domain::enums::DocumentType;
use austa_domain::ids::{DocumentId, UserId};
use austa_store::TxMode;
use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use super::extract::{Authenticated, Body, ListResponse, Paging};
use super::problem::Problem;
use super::{AppState, parse_id};
use crate::error::{Error, Result};
use crate::service::documents::{self, DocumentView, Verification};
use crate::transact;

/// The multipart form of an upload.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The patient.
    user_id: String,
    /// `PRESCRIPTION`, `MEDICAL_ORDER`, `LAB_REPORT`, `IMAGING_REPORT`, `HEALTH_CARD`, `ID_DOCUMENT`, `OTHER`.
    document_type: Option<String>,
    /// The file: JPEG, PNG, WebP, TIFF or PDF (checked by content), at most 100 MB.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[utoipa::path(post, path = "/documents", tag = "documents", summary = "Upload a document (multipart: userId, documentType, file); encrypted with its own key, then read by OCR",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = DocumentView), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"), (status = 413, description = "Larger than 100 MB", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Not an allowed type, or a missing field; `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    mut form: Multipart,
) -> Result<(StatusCode, Json<DocumentView>)> {
    let (mut user, mut kind, mut file, mut file_name) = (None, None, None, None);
    // A body over the limit fails while it is read: 413, anything else unreadable: 400.
    let unreadable = |e: axum::extract::multipart::MultipartError| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => Error::TooLarge("uploads are at most 100 MB".into()),
        _ => Error::BadRequest("not a valid multipart form".into()),
    };
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("userId") => user = Some(field.text().await.map_err(unreadable)?),
            Some("documentType") => kind = Some(field.text().await.map_err(unreadable)?),
            Some("file") => {
                file_name = field.file_name().map(str::to_owned);
                file = Some(field.bytes().await.map_err(unreadable)?);
            }
            _ => {}
        }
    }
    let user: UserId = user
        .as_deref()
        .and_then(|u| u.trim().parse::<uuid::Uuid>().ok())
        .map(austa_domain::EntityId::from_uuid)
        .ok_or_else(|| Error::invalid("userId", "required", "the patient's id"))?;
    let kind = match kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => DocumentType::parse_str(k).map_err(|_| {
            Error::invalid(
                "documentType",
                "invalid_value",
                format!("must be one of {}", DocumentType::TEXTS.join(", ")),
            )
        })?,
        None => DocumentType::Other,
    };
    let file = file.ok_or_else(|| Error::invalid("file", "required", "the file to store"))?;
    let actor = super::users::scoped_for_user(&state.services, &actor, user).await?;
    let created = transact!(&state.services, &actor, TxMode::Write, |work| documents::upload(
        work,
        user,
        kind,
        &file,
        file_name.as_deref()
    )
    .await)?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(get, path = "/documents/{id}", tag = "documents", summary = "A document: type, OCR status, text and extraction (for those who may read it)",
    params(("id" = String, Path, description = "Document id")),
    responses((status = 200, body = DocumentView), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<DocumentView>> {
    let id: DocumentId = parse_id(&id)?;
    Ok(Json(transact!(&state.services, &actor, TxMode::Read, |work| {
        documents::get(work, id).await
    })?))
}

#[utoipa::path(get, path = "/documents/{id}/content", tag = "documents", summary = "The file itself, decrypted (audited before it leaves)",
    params(("id" = String, Path, description = "Document id")),
    responses((status = 200, description = "The file, with its sniffed type"), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn content(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<impl IntoResponse> {
    let id: DocumentId = parse_id(&id)?;
    let (mime, bytes) = transact!(&state.services, &actor, TxMode::Read, |work| documents::content(
        work, id
    )
    .await)?;
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (header::CONTENT_DISPOSITION, "attachment".to_owned()),
        ],
        bytes,
    ))
}

#[utoipa::path(post, path = "/documents/{id}/verify", tag = "documents", summary = "A provider confirms the extraction: medicines and readings become health records (source DOCUMENT)",
    params(("id" = String, Path, description = "Document id")),
    request_body = Verification,
    responses((status = 200, body = DocumentView), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"), (status = 409, description = "Not read yet, already verified, or not a provider", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn verify(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Body(input): Body<Verification>,
) -> Result<Json<DocumentView>> {
    let id: DocumentId = parse_id(&id)?;
    Ok(Json(transact!(&state.services, &actor, TxMode::Write, |work| {
        documents::verify(work, id, input).await
    })?))
}

#[utoipa::path(delete, path = "/documents/{id}", tag = "documents", summary = "Soft-delete a document, never before its retention date",
    params(("id" = String, Path, description = "Document id")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"), (status = 409, description = "Still within its retention period", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let id: DocumentId = parse_id(&id)?;
    transact!(&state.services, &actor, TxMode::Write, |work| documents::delete(
        work, id
    )
    .await)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/users/{id}/documents", tag = "documents", summary = "A patient's documents, newest first",
    params(("id" = String, Path, description = "Patient id"), Paging),
    responses((status = 200, body = ListResponse<DocumentView>), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Query(paging): Query<Paging>,
) -> Result<Json<ListResponse<DocumentView>>> {
    let id: UserId = parse_id(&id)?;
    let query = paging.query()?;
    let actor = super::users::scoped_for_user(&state.services, &actor, id).await?;
    Ok(Json(
        transact!(&state.services, &actor, TxMode::Read, |work| documents::list(
            work, id, query
        )
        .await)?
        .into(),
    ))
}
