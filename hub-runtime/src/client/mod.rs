#![doc = include_str!("../../../docs/client.md")]
//!
//! The Rust client of hubs (cargo feature `client`): [`HubConnection`] connects to any SignalR
//! hub (this crate's, or ASP.NET Core's) over WebSockets with the JSON or MessagePack hub
//! protocol, with negotiate, access tokens, keep-alive, automatic reconnect and stateful
//! reconnect.
//!
//! Typed through the same definitions as the server: `#[hub]` generates a caller
//! (`ChatHubCaller::new(connection)`) whose methods are the hub's, with its argument and result
//! types; `#[client]` generates the handlers of an implementation of the client trait
//! ([`HubConnectionBuilder::receiver`]). See `docs/client.md` in the repository.
//!
//! This layer imports only the protocol layer and [`remote`](crate::remote): it knows
//! nothing of the server.

mod buffer;
mod builder;
mod connection;
mod error;
mod negotiate;
mod options;
mod retry;
mod session;
mod shared;
mod socket;
mod url;

pub use builder::HubConnectionBuilder;
pub use connection::HubConnection;
pub use error::ClientError;
pub use retry::{DefaultRetryPolicy, RetryContext, RetryPolicy};
pub use shared::{ConnectionEvent, ConnectionState};
