//! The options of a connection, fixed when it is built.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue};

use super::retry::RetryPolicy;
use crate::protocol::Protocol;

/// Gives the access token for each connect: `None` for no token.
pub(super) type TokenProvider =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Option<String>> + Send>> + Send + Sync>;

/// The options of a connection, fixed when it is built.
#[derive(Clone)]
pub(super) struct Options {
    pub(super) url: String,
    pub(super) protocol: Protocol,
    pub(super) skip_negotiation: bool,
    pub(super) headers: Vec<(HeaderName, HeaderValue)>,
    pub(super) access_token: Option<TokenProvider>,
    pub(super) keep_alive_interval: Duration,
    pub(super) server_timeout: Duration,
    pub(super) handshake_timeout: Duration,
    pub(super) http_timeout: Duration,
    pub(super) retry_policy: Option<Arc<dyn RetryPolicy>>,
    pub(super) stateful_reconnect: bool,
    pub(super) stateful_reconnect_buffer_size: usize,
    pub(super) stateful_reconnect_window: Duration,
    pub(super) max_message_size: usize,
}
