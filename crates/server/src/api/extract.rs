//! Request extractors: the authenticated actor (bearer token or API key), the client's address and
//! agent, JSON bodies whose errors are problems, and list parameters.

use std::net::SocketAddr;

use austa_store::ListQuery;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::AppState;
use crate::context::Actor;
use crate::error::Error;
use crate::service::auth::{self, Client};

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let header_text = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.chars().take(256).collect::<String>())
        };
        let ip_address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        Ok(Client {
            ip_address,
            user_agent: header_text(header::USER_AGENT.as_str()),
            request_id: header_text("x-request-id"),
        })
    }
}

/// The caller, authenticated by `Authorization: Bearer <session token or API key>`.
pub struct Authenticated(pub Actor);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let client = Client::from_request_parts(parts, state).await?;
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or(Error::Unauthenticated)?;
        let actor = auth::authenticate(&state.services, token, &client).await?;
        Ok(Authenticated(actor))
    }
}

/// A JSON body; malformed JSON is a 400, a body of the wrong shape a 422, both as problems. Serde's
/// messages can quote the input, so quoted text is cut out of them.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Body(value)),
            Err(JsonRejection::JsonDataError(e)) => Err(Error::invalid(
                "body",
                "invalid_body",
                redact_quoted(&e.body_text()),
            )),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(Error::BadRequest(
                "the body must be JSON (Content-Type: application/json)".into(),
            )),
            Err(e) => Err(Error::BadRequest(redact_quoted(&e.body_text()))),
        }
    }
}

/// Removes text between double quotes (values the caller sent), keeping the explanation and the
/// field names serde puts between backticks.
pub fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quote: Option<char> = None;
    for c in message.chars() {
        match quote {
            Some(q) if c == q => {
                out.push('…');
                out.push(c);
                quote = None;
            }
            Some(_) => {}
            None if c == '"' => {
                out.push(c);
                quote = Some(c);
            }
            None => out.push(c),
        }
    }
    out
}

/// `?limit=&cursor=`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct Paging {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

impl Paging {
    pub fn query(&self) -> Result<ListQuery, Error> {
        let limit = self.limit.unwrap_or(ListQuery::DEFAULT_LIMIT);
        if !(1..=ListQuery::MAX_LIMIT).contains(&limit) {
            return Err(Error::invalid(
                "limit",
                "out_of_range",
                format!("must be between 1 and {}", ListQuery::MAX_LIMIT),
            ));
        }
        let after = match &self.cursor {
            Some(c) => Some(c.parse::<Uuid>().map_err(|_| {
                Error::invalid("cursor", "invalid_cursor", "is not a cursor this API returned")
            })?),
            None => None,
        };
        Ok(ListQuery::first(limit).after(after))
    }
}

/// A page of a list: `{"items": […], "nextCursor": …}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> From<austa_store::Page<T>> for ListResponse<T> {
    fn from(page: austa_store::Page<T>) -> Self {
        Self {
            items: page.items,
            next_cursor: page.next.map(|u| u.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_are_cut_from_messages() {
        assert_eq!(
            redact_quoted("invalid type: string \"529.982.247-25\", expected a map at line 1 column 9"),
            "invalid type: string \"…\", expected a map at line 1 column 9"
        );
        assert_eq!(
            redact_quoted("unknown field `cpff`, expected `cpf`"),
            "unknown field `cpff`, expected `cpf`"
        );
    }
}
