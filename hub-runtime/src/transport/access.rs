//! Who may use an endpoint: its authenticator finds the user of every request to its paths,
//! its access check (a hub's `#[authorize]`) refuses those who may not connect, and a
//! connection token is honoured only for the user who negotiated it.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::endpoint::Endpoint;
use crate::connection::{Access, RequestInfo, User, query_value};

/// Runs before negotiate (as a middleware).
pub(crate) async fn admit(
    State(endpoint): State<Arc<Endpoint>>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    if let Err(refused) = check(&endpoint, &mut parts).await {
        return refused;
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Runs before every transport request of an endpoint, called by its handler first thing
/// (before the body is read): a middleware around each long poll and POST cost more than the
/// check itself. Puts the authenticated user in the request's extensions; `Err` is the answer
/// to a request that may not go on.
pub(crate) async fn check(endpoint: &Endpoint, parts: &mut Parts) -> Result<(), Response> {
    let options = &endpoint.options;
    // Credentials were presented but refused: said in the 401, should one follow.
    let mut refused = false;
    if let Some(authenticator) = &options.authenticator {
        // A user an app layer put there already stands.
        if parts.extensions.get::<User>().is_none() {
            match authenticator.0.authenticate(parts).await {
                Ok(Some(user)) => {
                    parts.extensions.insert(user);
                }
                Ok(None) => {}
                Err(error) => {
                    // Never the token: the reason only.
                    tracing::debug!(
                        path = parts.uri.path(),
                        reason = error.reason(),
                        "credentials refused"
                    );
                    refused = true;
                }
            }
        }
    }
    let user = parts.extensions.get::<User>();
    if let Some(access) = &options.access {
        let info = RequestInfo::with_extensions(
            parts.uri.clone(),
            &parts.headers,
            parts.extensions.clone(),
        );
        match (access.0)(user, &info) {
            Access::Allowed => {}
            Access::Unauthenticated => return Err(unauthorized(refused)),
            Access::Forbidden => return Err(StatusCode::FORBIDDEN.into_response()),
        }
    }
    // A connection token is bound to the user who negotiated it.
    if let Some(token) = parts.uri.query().and_then(|query| query_value(query, "id")) {
        if let Some(entry) = endpoint.tokens.get(&*token) {
            if entry.owner.as_deref() != user.map(User::id) {
                tracing::warn!(
                    path = parts.uri.path(),
                    "a connection token was presented by another user than the one who negotiated it"
                );
                return Err(StatusCode::FORBIDDEN.into_response());
            }
        }
    }
    Ok(())
}

/// 401 with an empty body and the challenge (RFC 6750): `Bearer`, with `error="invalid_token"`
/// when credentials were presented but refused.
fn unauthorized(refused: bool) -> Response {
    let challenge = if refused {
        "Bearer error=\"invalid_token\""
    } else {
        "Bearer"
    };
    let mut response = StatusCode::UNAUTHORIZED.into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    response
}
