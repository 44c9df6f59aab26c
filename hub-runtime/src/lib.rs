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
mod router;
mod stream;
mod transport;

pub use connection::{
    ConnectionId, ConnectionOptions, Cors, RequestInfo, TransportType, Transports, User,
};
pub use context::{CallerClients, Ctx, GroupManager, HubClients, HubContext};
pub use dispatch::{HubFilter, HubInvocation, InvocationResult, Next};
pub use hub::Hub;
pub use hub_macros::{authorize, client, hub};
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
        GroupManager, HubClients, HubContext, HubError, HubOptions, HubRouter, User, authorize,
        client, hub,
    };
}

/// What generated code refers to. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::dispatch::{Bound, BoxFuture, MethodOutcome, Now, outcome};
    pub use crate::lifetime::CallContext;
    pub use crate::model::{Converted, IntoHubError, Message, MethodInfo, Requirement};
    pub use crate::protocol::{ArgumentError, Arguments};
    pub use crate::proxy::{ClientDeclared, FromTarget, ProxyTarget, SingleTarget, TypedTarget};
    pub use crate::stream::{StreamArgs, StreamFailure, StreamSink, StreamStart};
    pub use erased_serde::Serialize as ErasedSerialize;
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
