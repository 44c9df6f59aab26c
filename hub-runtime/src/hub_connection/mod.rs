//! The hub protocol as a connection handler: one task per connection runs the handshake, then a
//! single loop that reads hub messages, runs invocations, drains the outbound queue in batches,
//! and ends the connection.
//!
//! One task per connection, no extra tasks: an idle connection costs its socket, its queue and
//! this future. The hub itself is reached through the object-safe
//! [`Dispatcher`](crate::dispatch::Dispatcher), so this loop is compiled once for every hub.

mod calls;
mod ending;
mod handshake;
mod input;
mod output;
mod runtime;
mod sequence;
mod state;
mod turn;
mod uploads;

pub(crate) use runtime::HubRuntime;

use std::sync::Arc;

use crate::connection::{Connection, ConnectionHandler};

/// Serves the hub protocol on the connections of one hub's endpoint.
pub(crate) struct HubConnectionHandler(pub(crate) Arc<HubRuntime>);

impl ConnectionHandler for HubConnectionHandler {
    fn on_connected(&self, connection: Connection) -> impl Future<Output = ()> + Send {
        // The connection comes boxed: an async fn's arguments stay in its future for its whole
        // life, and this future is most of what an idle connection costs.
        run(self.0.clone(), Box::new(connection))
    }
}

/// Runs a connection to its end: handshake, `on_connected`, messages, `on_disconnected`. The
/// handshake and the ending run as boxed futures, so that only the loop's state is inline.
async fn run(runtime: Arc<HubRuntime>, connection: Box<Connection>) {
    let Some(mut hub_connection) = Box::pin(handshake::open(runtime, *connection)).await else {
        return;
    };
    let end = hub_connection.run().await;
    Box::pin(ending::close(hub_connection, end)).await;
}
