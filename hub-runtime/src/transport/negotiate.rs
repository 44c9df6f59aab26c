//! `POST {path}/negotiate`: a connection id, a secret token, the transports.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::endpoint::Endpoint;
use crate::connection::{ConnectionId, Transports, User, random_token};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NegotiateResponse {
    negotiate_version: u32,
    connection_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    connection_token: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    use_stateful_reconnect: bool,
    available_transports: Vec<AvailableTransport>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AvailableTransport {
    transport: &'static str,
    transfer_formats: &'static [&'static str],
}

pub(crate) async fn negotiate(
    State(endpoint): State<Arc<Endpoint>>,
    Query(query): Query<HashMap<String, String>>,
    user: Option<Extension<User>>,
) -> Response {
    if endpoint.tracker.is_shutting_down() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let minimum = i64::from(endpoint.options.minimum_negotiate_version);
    let requested = match query.get("negotiateVersion") {
        None => 0,
        Some(text) => match text.parse::<i64>() {
            Ok(version) => version,
            Err(_) => {
                return negotiate_error("The client requested a non-integer protocol version.");
            }
        },
    };
    // As ASP.NET: below the minimum (a negative one too) is refused, above 1 is answered as 1.
    if requested < minimum {
        return negotiate_error(&format!(
            "The client requested version '{requested}', but the server does not support this version."
        ));
    }
    let version = requested.min(1) as u32;
    let id = ConnectionId::random();
    // Version 0 clients send the connection id back as `id`; later ones the secret token.
    let token = if version == 0 {
        id.to_string()
    } else {
        random_token()
    };
    // The token is bound to the user who negotiated it (see `access::admit`).
    let owner = user.as_ref().map(|Extension(user)| user.id());
    // Stateful reconnect when the client asks and the endpoint allows it (version 1 and up).
    let stateful = version > 0
        && endpoint.options.allow_stateful_reconnects
        && query.get("useStatefulReconnect").map(String::as_str) == Some("true");
    if !endpoint.add_pending(&token, id.clone(), owner, stateful) {
        // As many connections as allowed wait for their transport: come back later.
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    Json(NegotiateResponse {
        negotiate_version: version,
        connection_id: id.to_string(),
        connection_token: (version > 0).then_some(token),
        use_stateful_reconnect: stateful,
        available_transports: available_transports(&endpoint.options.transports),
    })
    .into_response()
}

/// A negotiate answer the clients show as the reason their start failed.
fn negotiate_error(text: &str) -> Response {
    Json(serde_json::json!({ "error": text })).into_response()
}

/// The enabled transports, in the order the clients try them.
fn available_transports(transports: &Transports) -> Vec<AvailableTransport> {
    let mut available = Vec::with_capacity(3);
    if transports.web_sockets {
        available.push(AvailableTransport {
            transport: "WebSockets",
            transfer_formats: &["Text", "Binary"],
        });
    }
    if transports.server_sent_events {
        available.push(AvailableTransport {
            transport: "ServerSentEvents",
            transfer_formats: &["Text"],
        });
    }
    if transports.long_polling {
        available.push(AvailableTransport {
            transport: "LongPolling",
            transfer_formats: &["Text", "Binary"],
        });
    }
    available
}
