//! `/missions` (definitions), `/leaderboard`, and a patient's progress, badges and preferences.

use austa_domain::ids::{OrganizationId, UserId};
use austa_store::TxMode;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::extract::{Authenticated, Body};
use super::problem::Problem;
use super::{AppState, in_organization, organization_of, parse_id};
use crate::error::Result;
use crate::service::missions::{
    self, BadgeView, LeaderboardEntry, MissionInput, MissionView, Preferences, ProgressView,
};
use crate::transact;

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrgQuery {
    organization_id: Option<OrganizationId>,
    /// Leaderboard size (1–100, default 20).
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/missions", tag = "gamification", summary = "The current version of every mission (patients: published ones)",
    params(OrgQuery),
    responses((status = 200, body = Vec<MissionView>), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<OrgQuery>,
) -> Result<Json<Vec<MissionView>>> {
    let actor = in_organization(&actor, organization_of(&actor, q.organization_id)?);
    Ok(Json(transact!(&state.services, &actor, TxMode::Read, |work| {
        missions::list(work).await
    })?))
}

#[utoipa::path(post, path = "/missions", tag = "gamification", summary = "Define a mission (admins); prerequisites must not form a cycle",
    params(OrgQuery),
    request_body = MissionInput,
    responses((status = 201, body = MissionView), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 409, description = "A mission with this code exists", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value, or a prerequisite cycle (named); `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<OrgQuery>,
    Body(input): Body<MissionInput>,
) -> Result<(StatusCode, Json<MissionView>)> {
    let actor = in_organization(&actor, organization_of(&actor, q.organization_id)?);
    let created = transact!(&state.services, &actor, TxMode::Write, |work| missions::create(
        work, input
    )
    .await)?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(put, path = "/missions/{code}", tag = "gamification", summary = "Edit a mission (admins): a draft in place, a published one as a new version",
    params(("code" = String, Path, description = "Mission code"), OrgQuery),
    request_body = MissionInput,
    responses((status = 200, body = MissionView), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value, or a prerequisite cycle (named); `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(code): Path<String>,
    Query(q): Query<OrgQuery>,
    Body(input): Body<MissionInput>,
) -> Result<Json<MissionView>> {
    let actor = in_organization(&actor, organization_of(&actor, q.organization_id)?);
    Ok(Json(transact!(&state.services, &actor, TxMode::Write, |work| {
        missions::update(work, &code, input).await
    })?))
}

#[utoipa::path(get, path = "/leaderboard", tag = "gamification", summary = "The organization's leaderboard: opted-in patients only, by the name they chose or anonymously",
    params(OrgQuery),
    responses((status = 200, body = Vec<LeaderboardEntry>), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn leaderboard(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<OrgQuery>,
) -> Result<Json<Vec<LeaderboardEntry>>> {
    let actor = in_organization(&actor, organization_of(&actor, q.organization_id)?);
    let limit = q.limit.unwrap_or(20);
    Ok(Json(transact!(&state.services, &actor, TxMode::Read, |work| {
        missions::leaderboard(work, limit).await
    })?))
}

#[utoipa::path(get, path = "/users/{id}/onboarding-progress", tag = "gamification", summary = "Every mission for the patient: locked, available, in progress (steps), completed or expired",
    params(("id" = String, Path, description = "Patient id")),
    responses((status = 200, body = Vec<ProgressView>), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn progress(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Vec<ProgressView>>> {
    let id: UserId = parse_id(&id)?;
    let actor = super::users::scoped_for_user(&state.services, &actor, id).await?;
    Ok(Json(transact!(&state.services, &actor, TxMode::Read, |work| {
        missions::progress(work, id).await
    })?))
}

#[utoipa::path(get, path = "/users/{id}/badges", tag = "gamification", summary = "The patient's badges (private unless they chose to show them)",
    params(("id" = String, Path, description = "Patient id")),
    responses((status = 200, body = Vec<BadgeView>), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn badges(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Vec<BadgeView>>> {
    let id: UserId = parse_id(&id)?;
    let actor = super::users::scoped_for_user(&state.services, &actor, id).await?;
    Ok(Json(transact!(&state.services, &actor, TxMode::Read, |work| {
        missions::badges(work, id).await
    })?))
}

#[utoipa::path(patch, path = "/users/{id}/gamification-preferences", tag = "gamification", summary = "Leaderboard opt-in and name, public badges (the patient, or staff on their behalf)",
    params(("id" = String, Path, description = "Patient id")),
    request_body = Preferences,
    responses((status = 204, description = "Saved"), (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"), (status = 403, description = "Not allowed (audited)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not visible to the caller", body = Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid value; `field` names it", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn preferences(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Body(prefs): Body<Preferences>,
) -> Result<StatusCode> {
    let id: UserId = parse_id(&id)?;
    let actor = super::users::scoped_for_user(&state.services, &actor, id).await?;
    transact!(&state.services, &actor, TxMode::Write, |work| {
        missions::set_preferences(work, id, prefs).await
    })?;
    Ok(StatusCode::NO_CONTENT)
}
