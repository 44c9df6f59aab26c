//! The seam for scale-out: who is connected, groups, users, delivery and client results,
//! behind a trait (ASP.NET's `HubLifetimeManager`, socketioxide's `Adapter`).

use std::sync::Arc;
use std::time::Duration;

use super::future::LifetimeFuture;
use super::handle::{ClientReply, ConnectionHandle};
use super::message::{ProtocolSet, SerializedMessage};
use super::target::Target;
use crate::connection::ConnectionId;
use crate::model::{ClientResultError, LifetimeError};
use crate::protocol::OwnedValue;

/// Who is connected to a hub, in which groups, as which user, and how a message reaches them.
///
/// The runtime keeps this node's connections in [`LocalConnections`](super::LocalConnections)
/// (the manager is built with them) and tells the manager when one connects or leaves. Hub code
/// and [`HubContext`](crate::HubContext) reach clients only through it, with messages encoded
/// once per protocol ([`SerializedMessage`]); dispatch and proxies do not know which manager
/// runs. The default, [`InMemoryLifetimeManager`](super::InMemoryLifetimeManager), serves one
/// process; a backplane (Redis) implements the same trait to reach the connections of other
/// nodes too.
///
/// Operations that may have to wait on other nodes return a [`LifetimeFuture`]; the in-memory
/// manager completes them at once.
pub trait HubLifetimeManager: Send + Sync + 'static {
    /// A connection of this node completed its handshake (it is in the local connections
    /// already).
    fn on_connected(&self, connection: &Arc<ConnectionHandle>) -> LifetimeFuture<()>;

    /// A connection of this node ended (it left the local connections already): forget its
    /// groups and user.
    fn on_disconnected(&self, connection: &Arc<ConnectionHandle>) -> LifetimeFuture<()>;

    /// The protocols a message for `target` must be encoded in before [`send`](Self::send):
    /// those of the recipients it knows, or every protocol when others may be elsewhere.
    fn protocols(&self, target: &Target) -> ProtocolSet;

    /// Queues `message` for every connection `target` names, each in its protocol. Local
    /// connections get it before this returns; the future completes once the message is on its
    /// way to every other node (the Redis manager: queued, in order, for Redis), with an error
    /// when the backplane is known to be unreachable.
    fn send(
        &self,
        target: &Target,
        message: &SerializedMessage,
    ) -> LifetimeFuture<Result<(), LifetimeError>>;

    /// Adds a connection (of any node) to a group; unknown connections are ignored, as in
    /// ASP.NET Core.
    fn add_to_group(
        &self,
        connection_id: &str,
        group: &str,
    ) -> LifetimeFuture<Result<(), LifetimeError>>;

    /// Removes a connection (of any node) from a group; unknown connections and groups are
    /// ignored.
    fn remove_from_group(
        &self,
        connection_id: &str,
        group: &str,
    ) -> LifetimeFuture<Result<(), LifetimeError>>;

    /// Sends a client-result invocation (`message`, whose invocation id is `invocation_id`) to
    /// one connection and waits up to `timeout` for its Completion.
    fn invoke_connection(
        &self,
        connection_id: &str,
        invocation_id: &str,
        message: &SerializedMessage,
        timeout: Duration,
    ) -> LifetimeFuture<Result<OwnedValue, ClientResultError>>;

    /// A local connection sent the Completion of a client-result invocation: hand it to the
    /// call that waits for it (on this node or another). False if nobody waits for that id.
    fn set_connection_result(
        &self,
        connection: &ConnectionHandle,
        invocation_id: &str,
        reply: ClientReply,
    ) -> bool;

    /// The connections in a group.
    fn group_connections(
        &self,
        group: &str,
    ) -> LifetimeFuture<Result<Vec<ConnectionId>, LifetimeError>>;

    /// The groups a connection is in.
    fn connection_groups(
        &self,
        connection_id: &str,
    ) -> LifetimeFuture<Result<Vec<String>, LifetimeError>>;

    /// How many connections are in a group.
    fn group_size(&self, group: &str) -> LifetimeFuture<Result<usize, LifetimeError>>;

    /// How many connections a user has.
    fn user_connection_count(&self, user_id: &str) -> LifetimeFuture<Result<usize, LifetimeError>>;

    /// The hub shuts down and its connections have ended (their `on_disconnected` handlers ran):
    /// send on whatever is still on its way to other nodes. Nothing to do by default.
    fn shutdown(&self) -> LifetimeFuture<()> {
        LifetimeFuture::ready(())
    }
}
