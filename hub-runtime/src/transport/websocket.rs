//! `{hub}` with a WebSocket upgrade, and the statuses of the other methods on that path.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::TransportIo;
use super::plain;
use crate::connection::{ConnectionId, run_connection};
use crate::context::RequestInfo;
use crate::dispatch::Hub;
use crate::router::{HubShared, TokenState};

/// The largest WebSocket message accepted when no hub message limit is set.
const UNLIMITED_WEBSOCKET_MESSAGE: usize = 64 << 20;

/// `GET {hub}`: a WebSocket for a negotiated connection (`?id=<token>`), or a new one
/// (`skipNegotiation`, no id).
pub(crate) async fn connect<H: Hub>(
    State(shared): State<Arc<HubShared<H>>>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let upgrade = match upgrade {
        // A shutting-down hub takes no new connections.
        Ok(_) if shared.lifetime.is_shutting_down() => {
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
        Ok(upgrade) if shared.options.transports.web_sockets => upgrade,
        Ok(_) => {
            return plain(
                StatusCode::NOT_FOUND,
                "WebSockets transport not supported by this end point type",
            );
        }
        // Not a WebSocket: Server-Sent Events or long polling.
        Err(_) => return super::http::get(shared, query, uri, headers).await,
    };
    let (id, token, early) = match query.get("id") {
        None => (ConnectionId::random(), None, Vec::new()),
        Some(token) => {
            let Some(mut state) = shared.tokens.get_mut(token.as_str()) else {
                return plain(StatusCode::NOT_FOUND, "No Connection with that ID");
            };
            let (id, early) = match &mut *state {
                TokenState::Pending(pending) => {
                    (pending.id.clone(), std::mem::take(&mut pending.early))
                }
                TokenState::Connected(None) => return StatusCode::CONFLICT.into_response(),
                TokenState::Connected(Some(_)) => {
                    return plain(
                        StatusCode::BAD_REQUEST,
                        "Cannot change transports mid-connection",
                    );
                }
            };
            *state = TokenState::Connected(None);
            (id, Some(Box::<str>::from(token.as_str())), early)
        }
    };
    let options = &shared.options;
    let max_message = options
        .maximum_receive_message_size
        .map_or(UNLIMITED_WEBSOCKET_MESSAGE, |max| {
            max.saturating_mul(2).max(64 << 10)
        });
    let request = RequestInfo::new(uri, &headers);
    let live = shared.lifetime.task_started();
    let shared = shared.clone();
    upgrade
        .read_buffer_size(options.websocket_read_buffer_size)
        .max_message_size(max_message)
        .max_frame_size(max_message)
        .on_upgrade(move |socket| {
            run_connection(
                shared,
                TransportIo::WebSocket(socket),
                id,
                token,
                request,
                live,
                early,
            )
        })
}
