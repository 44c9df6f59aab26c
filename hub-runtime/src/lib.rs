//! Typed real-time hubs for Rust that speak the SignalR protocol.
//!
//! `#[client]` on a trait declares what the server may call on clients; `#[hub]` on an impl
//! block makes its `pub` methods callable by clients. [`HubRouter`] mounts the hub on axum, and
//! every official SignalR client (`@microsoft/signalr`, the .NET and Java clients) can connect.
//!
//! ```no_run
//! use hub_runtime::prelude::*;
//!
//! /// What the server may call on connected clients.
//! #[hub_runtime::client]
//! pub trait ChatClient {
//!     async fn receive_message(&self, user: String, message: String);
//! }
//!
//! pub struct ChatHub;
//!
//! #[hub_runtime::hub(client = ChatClient)]
//! impl ChatHub {
//!     /// Clients call this as `SendMessage`.
//!     pub async fn send_message(&self, ctx: &Ctx<Self>, user: String, message: String) {
//!         ctx.clients().all().receive_message(user, message).await;
//!     }
//! }
//!
//! # async fn run() {
//! let app = axum::Router::new().merge(HubRouter::new("/hubs/chat", ChatHub));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:5000").await.unwrap();
//! hub_runtime::serve(listener, app).await.unwrap();
//! # }
//! ```
//!
//! See `docs/` in the repository for the guide, the architecture and the compatibility table.

// The layers, lowest first: each imports only the layers above it in this list (checked by
// `tests/layers.rs`); see docs/architecture.md.
pub mod auth;
#[cfg(feature = "client")]
pub mod client;
pub mod connection;
mod context;
mod dispatch;
mod hub;
mod hub_connection;
pub mod lifetime;
pub mod manifest;
mod model;
mod options;
pub mod protocol;
mod proxy;
pub mod remote;
mod router;
mod stream;
mod transport;

pub use connection::{
    ConnectionId, ConnectionOptions, Cors, RequestInfo, TransportType, Transports, User,
};
pub use context::{CallerClients, Ctx, GroupManager, HubClients, HubContext, Presence};
pub use dispatch::{HubFilter, HubInvocation, InvocationResult, Next};
pub use hub::Hub;
pub use hub_macros::{authorize, client, hub};
#[cfg(feature = "redis")]
pub use lifetime::{RedisBackplane, RedisError, RedisLifetimeManager, RedisOptions};
pub use model::{ClientResultError, HubError};
pub use options::HubOptions;
pub use protocol::{Binary, Timestamp, TimestampValue};
pub use proxy::{ClientProxy, Delivery, Many, NoClient, Single, TargetKind};
pub use router::{
    CaseInsensitive, CaseInsensitivePaths, ConnectionRouter, EndpointShutdown, HubLayer, HubRouter,
    HubService, Serve, serve,
};
pub use stream::ClientStream;
pub use tokio_util::sync::CancellationToken;

/// The names most hub code needs.
pub mod prelude {
    pub use crate::{
        CallerClients, CancellationToken, ClientResultError, ClientStream, ConnectionId, Ctx,
        GroupManager, HubClients, HubContext, HubError, HubOptions, HubRouter, Presence, User,
        authorize, client, hub,
    };
}

/// What generated code refers to. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::dispatch::{
        Bound, BoxCall, BoxFuture, MethodFuture, MethodOutcome, Now, Reply, outcome,
    };
    pub use crate::lifetime::CallContext;
    pub use crate::model::{Converted, IntoHubError, Message, MethodInfo, Requirement};
    pub use crate::protocol::{ArgumentError, Arguments};
    pub use crate::proxy::{ClientDeclared, FromTarget, ProxyTarget, SingleTarget, TypedTarget};
    pub use crate::stream::{StreamArgs, StreamFailure, StreamSink, StreamStart};
    pub use erased_serde::Serialize as ErasedSerialize;
    pub use futures_util::Stream;
    pub use serde;
    pub use std::boxed::Box;
    pub use std::string::String;
    pub use std::sync::Arc;
    pub use std::vec;
    pub use std::vec::Vec;

    /// An owned copy of a literal (generated code cannot rely on `From` being in scope).
    pub fn text(literal: &str) -> String {
        String::from(literal)
    }

    /// `T` of `Result<T, E>` (and of aliases such as `io::Result<T>`): what a fallible method
    /// returns on success, as the manifest describes it.
    pub trait Fallible {
        /// The success type.
        type Ok;
    }

    impl<T, E> Fallible for core::result::Result<T, E> {
        type Ok = T;
    }

    /// `T` of `ClientStream<T>`.
    pub trait StreamItem {
        /// The item type.
        type Item;
    }

    impl<T> StreamItem for crate::ClientStream<T> {
        type Item = T;
    }

    /// Logs an error returned by `on_disconnected`: the connection is gone, nobody else to tell.
    pub fn log_hook_error(hook: &str, error: &crate::HubError) {
        tracing::warn!(hook, %error, "lifecycle hook failed");
    }
}

/// Entry points for the fuzz targets in `fuzz/` and for `tests/fuzz_corpus.rs`, which replays
/// their corpus on stable: thin wrappers that drive the crate-private parsers over what a client
/// sends and hand back what they made of it as plain data, for the targets to check. Not a
/// public API; only with the `fuzzing` feature.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod __fuzz {
    use std::collections::HashMap;
    use std::ops::Range;

    use crate::RequestInfo;
    use crate::protocol::{self, CompletionBody, HandshakeResponse, HubMessage};
    pub use crate::protocol::{Arguments, OwnedValue, Protocol, ProtocolError};

    /// What parsing one message gave: the message's `Debug` form, `None` for a type the server
    /// ignores.
    pub type Parsed = Result<Option<String>, ProtocolError>;

    fn describe(parsed: Result<Option<HubMessage<'_>>, ProtocolError>) -> Parsed {
        parsed.map(|message| message.map(|message| format!("{message:?}")))
    }

    /// Input split into messages as a connection splits what it reads.
    #[derive(Debug)]
    pub struct Split {
        /// Each complete message's place in the input, in order.
        pub messages: Vec<Range<usize>>,
        /// What follows them: an unfinished message, or the one that failed.
        pub rest: Range<usize>,
        /// The error that stopped the split.
        pub error: Option<ProtocolError>,
    }

    /// What a WebSocket made of a client's bytes.
    #[derive(Debug, PartialEq, Eq)]
    pub enum WebSocketEvent {
        /// A whole message: text (checked UTF-8) or binary.
        Message { text: bool, bytes: Vec<u8> },
        /// The client's Close, or a frame no client may send (the server's Close says which).
        Closed,
        /// A message beyond the limit.
        TooLarge,
    }

    /// What the server's WebSocket makes of the bytes `chunks` (as successive reads), with
    /// messages of at most `max_message` bytes: what it received, and the bytes of the frames
    /// it queued in answer (pongs, its Close).
    pub fn websocket_read(chunks: &[&[u8]], max_message: usize) -> (Vec<WebSocketEvent>, Vec<u8>) {
        use crate::connection::{ConnectionError, Received};
        let (received, written) = crate::transport::websocket_read_chunks(chunks, max_message);
        let events = received
            .into_iter()
            .map(|received| match received {
                Received::Frame(frame) => WebSocketEvent::Message {
                    text: frame.is_text(),
                    bytes: frame.as_bytes().to_vec(),
                },
                Received::Closed => WebSocketEvent::Closed,
                Received::Failed(ConnectionError::TooLarge) => WebSocketEvent::TooLarge,
                other => unreachable!("bytes alone do not end a socket with {other:?}"),
            })
            .collect();
        (events, written)
    }

    /// Splits `input` into `protocol`'s messages of at most `max` bytes.
    pub fn split(protocol: Protocol, input: &[u8], max: Option<usize>) -> Split {
        let place = |part: &[u8]| {
            let start = (part.as_ptr() as usize)
                .checked_sub(input.as_ptr() as usize)
                .expect("a message lies in the input");
            start..start + part.len()
        };
        let mut messages = protocol.messages(input, max);
        let (mut ranges, mut error) = (Vec::new(), None);
        for message in messages.by_ref() {
            match message {
                Ok(message) => ranges.push(place(message)),
                Err(failed) => {
                    error = Some(failed);
                    break;
                }
            }
        }
        Split {
            messages: ranges,
            rest: place(messages.rest()),
            error,
        }
    }

    /// Parses one message as split by [`split`].
    pub fn parse(protocol: Protocol, message: &[u8]) -> Parsed {
        describe(protocol.parse(message))
    }

    /// The JSON protocol's plain Invocation reader on its own: `None` where it leaves the
    /// message to serde.
    pub fn json_plain(text: &str) -> Option<Parsed> {
        protocol::parse_plain_invocation(text).map(|parsed| describe(parsed.map(Some)))
    }

    /// The JSON protocol's serde reader on its own.
    pub fn json_serde(text: &str) -> Parsed {
        describe(protocol::parse_any_message(text))
    }

    /// How many bytes the MessagePack value at the start of `bytes` spans, as the reader skips
    /// over an argument.
    #[cfg(feature = "messagepack")]
    pub fn messagepack_value_len(bytes: &[u8]) -> Result<usize, ProtocolError> {
        protocol::skip_value(bytes).map(<[u8]>::len)
    }

    /// A handshake request read from the start of the input, and the server's answer.
    #[derive(Debug)]
    pub struct Handshake {
        /// The protocol name the client asked for.
        pub protocol: String,
        /// The version it asked for.
        pub version: u32,
        /// How many bytes the request took, its separator included.
        pub used: usize,
        /// The protocol selected, or the refusal's text.
        pub selected: Result<Protocol, String>,
        /// The response the server writes.
        pub response: String,
    }

    /// Reads a handshake request: `Ok(None)` while its separator has not arrived.
    pub fn handshake(input: &[u8]) -> Result<Option<Handshake>, ProtocolError> {
        let Some((request, used)) = protocol::parse_handshake(input)? else {
            return Ok(None);
        };
        let selected = request.select_protocol();
        let response = match &selected {
            Ok(_) => HandshakeResponse::Accepted,
            Err(refusal) => HandshakeResponse::Refused(refusal.clone()),
        };
        Ok(Some(Handshake {
            protocol: request.protocol,
            version: request.version,
            used,
            selected,
            response: response.encode(),
        }))
    }

    /// The names [`Query::params`] holds, in order.
    pub const QUERY_NAMES: [&str; 3] = ["id", "negotiateVersion", "access_token"];

    /// What negotiate and the transports read from a request's query.
    #[derive(Debug)]
    pub struct Query {
        /// The query as the URI keeps it.
        pub raw: String,
        /// What axum's `Query` extractor gives negotiate and the transports (they look their
        /// connection up by its `id`); `None` when it refuses the query.
        pub fields: Option<HashMap<String, String>>,
        /// The version negotiate answers, or its refusal, with the default minimum version.
        pub negotiate_version: Option<Result<u32, String>>,
        /// [`RequestInfo::query_param`] of each of [`QUERY_NAMES`].
        pub params: [Option<String>; 3],
    }

    /// Reads the query of `/hub?{query}`; `None` when that is no URI.
    pub fn query(query: &[u8]) -> Option<Query> {
        let uri = axum::http::Uri::try_from([b"/hub?", query].concat()).ok()?;
        let fields = axum::extract::Query::<HashMap<String, String>>::try_from_uri(&uri)
            .ok()
            .map(|axum::extract::Query(fields)| fields);
        // As `transport::negotiate` reads `negotiateVersion` (mirrored here: that one is an axum
        // handler of a whole endpoint), with the default minimum version, 0.
        let negotiate_version = fields.as_ref().map(|fields| {
            let requested = match fields.get("negotiateVersion") {
                None => 0,
                Some(text) => text
                    .parse::<i64>()
                    .map_err(|_| "not an integer".to_owned())?,
            };
            if requested < 0 {
                return Err(format!("version '{requested}' is not supported"));
            }
            Ok(requested.min(1) as u32)
        });
        let raw = uri.query().unwrap_or_default().to_owned();
        let request = RequestInfo::new(uri, &axum::http::HeaderMap::new());
        Some(Query {
            raw,
            fields,
            negotiate_version,
            params: QUERY_NAMES.map(|name| request.query_param(name)),
        })
    }

    /// A connection's input as Server-Sent Events and long polling deliver it, one POST body at
    /// a time, handled as `HubConnection::receive` does (mirrored here: that one needs a whole
    /// connection): each body after what is left of the earlier ones, its complete messages
    /// parsed, an unfinished one kept for the next body; an error ends the connection.
    #[derive(Debug)]
    pub struct PostBodies {
        protocol: Protocol,
        max: Option<usize>,
        pending: Vec<u8>,
        /// What each message parsed to, in order; an error is the last.
        pub parsed: Vec<Parsed>,
    }

    impl PostBodies {
        /// A connection of `protocol` taking messages of at most `max` bytes.
        pub fn new(protocol: Protocol, max: Option<usize>) -> Self {
            PostBodies {
                protocol,
                max,
                pending: Vec::new(),
                parsed: Vec::new(),
            }
        }

        /// Receives one body; `false` once the connection has ended.
        pub fn receive(&mut self, body: &[u8]) -> bool {
            if self.ended() {
                return false;
            }
            self.pending.extend_from_slice(body);
            let buffered = std::mem::take(&mut self.pending);
            let mut messages = self.protocol.messages(&buffered, self.max);
            for message in messages.by_ref() {
                let parsed = message.and_then(|message| parse(self.protocol, message));
                let failed = parsed.is_err();
                self.parsed.push(parsed);
                if failed {
                    return false;
                }
            }
            self.pending.extend_from_slice(messages.rest());
            true
        }

        /// Whether an error ended the connection.
        pub fn ended(&self) -> bool {
            matches!(self.parsed.last(), Some(Err(_)))
        }

        /// The unfinished message kept for the next body.
        pub fn pending(&self) -> &[u8] {
            &self.pending
        }
    }

    /// An encoded value of a message, as the hub decodes it.
    pub enum Value<'a, 'b> {
        /// An Invocation's arguments, as a hub method's parameters are bound from them.
        Arguments(&'a Arguments<'b>),
        /// One argument as kept for later, a StreamItem's item, or a Completion's result.
        Owned(&'a OwnedValue),
    }

    /// Parses `message` and hands each encoded value in it to `decode`.
    pub fn values(protocol: Protocol, message: &[u8], mut decode: impl FnMut(Value<'_, '_>)) {
        match protocol.parse(message) {
            Ok(Some(
                HubMessage::Invocation(invocation) | HubMessage::StreamInvocation(invocation),
            )) => {
                decode(Value::Arguments(&invocation.arguments));
                for value in invocation.arguments.to_owned_values() {
                    decode(Value::Owned(&value));
                }
            }
            Ok(Some(HubMessage::StreamItem(item))) => {
                decode(Value::Owned(&item.item.to_owned_value()));
            }
            Ok(Some(HubMessage::Completion(completion))) => {
                if let CompletionBody::Result(result) = completion.body {
                    decode(Value::Owned(&result.to_owned_value()));
                }
            }
            _ => {}
        }
    }
}
