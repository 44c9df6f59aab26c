//! The server's metrics, through the `metrics` facade (no cost but a branch when the app
//! installs no recorder), named like ASP.NET Core's (`signalr.server.*`). docs/production.md
//! lists them.

use std::time::Instant;

use metrics::{
    Counter, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};

use super::io::TransportType;

/// Connections whose transport is connected, by transport.
pub(crate) const ACTIVE_CONNECTIONS: &str = "signalr.server.active_connections";
/// How long connections lasted, in seconds, by transport and how they ended.
pub(crate) const CONNECTION_DURATION: &str = "signalr.server.connection.duration";
/// Hub messages read from clients.
pub(crate) const MESSAGES_RECEIVED: &str = "signalr.server.messages.received";
/// Hub messages written to clients.
pub(crate) const MESSAGES_SENT: &str = "signalr.server.messages.sent";
/// Hub method invocations bound (run or queued).
pub(crate) const INVOCATIONS: &str = "signalr.server.invocations";
/// Hub connections that ended, by reason.
pub(crate) const CONNECTIONS_CLOSED: &str = "signalr.server.connections.closed";

/// Describes the metrics to the recorder (once per process is enough; more is harmless).
pub(crate) fn describe() {
    describe_gauge!(
        ACTIVE_CONNECTIONS,
        "Connections whose transport is connected."
    );
    describe_histogram!(
        CONNECTION_DURATION,
        metrics::Unit::Seconds,
        "How long connections lasted."
    );
    describe_counter!(MESSAGES_RECEIVED, "Hub messages read from clients.");
    describe_counter!(MESSAGES_SENT, "Hub messages written to clients.");
    describe_counter!(INVOCATIONS, "Hub method invocations bound.");
    describe_counter!(CONNECTIONS_CLOSED, "Hub connections that ended, by reason.");
}

/// The name of a transport in metric labels (ASP.NET's `signalr.transport` values).
fn transport_label(transport: TransportType) -> &'static str {
    match transport {
        TransportType::WebSockets => "web_sockets",
        TransportType::ServerSentEvents => "server_sent_events",
        TransportType::LongPolling => "long_polling",
    }
}

/// How a connection ended, as ASP.NET's `signalr.connection.status` says it (a hub's own
/// reasons, a timeout among them, are in `signalr.server.connections.closed`).
#[derive(Clone, Copy, Debug)]
pub(crate) enum ConnectionStatus {
    NormalClosure,
    AppShutdown,
}

impl ConnectionStatus {
    fn label(self) -> &'static str {
        match self {
            ConnectionStatus::NormalClosure => "normal_closure",
            ConnectionStatus::AppShutdown => "app_shutdown",
        }
    }
}

/// One connection's active-connection count and duration.
pub(crate) struct ConnectionMetrics {
    transport: TransportType,
    started: Instant,
}

impl ConnectionMetrics {
    pub(crate) fn start(transport: TransportType) -> Self {
        gauge!(ACTIVE_CONNECTIONS, "signalr.transport" => transport_label(transport))
            .increment(1.0);
        ConnectionMetrics {
            transport,
            started: Instant::now(),
        }
    }

    pub(crate) fn finish(self, status: ConnectionStatus) {
        let transport = transport_label(self.transport);
        gauge!(ACTIVE_CONNECTIONS, "signalr.transport" => transport).decrement(1.0);
        histogram!(
            CONNECTION_DURATION,
            "signalr.transport" => transport,
            "signalr.connection.status" => status.label()
        )
        .record(self.started.elapsed().as_secs_f64());
    }
}

/// The counters of one hub, labelled with its path: taken once, incremented per message.
pub(crate) struct HubMetrics {
    pub(crate) received: Counter,
    pub(crate) sent: Counter,
    pub(crate) invocations: Counter,
    hub: String,
}

impl HubMetrics {
    pub(crate) fn new(hub: &str) -> Self {
        describe();
        HubMetrics {
            received: counter!(MESSAGES_RECEIVED, "signalr.hub" => hub.to_owned()),
            sent: counter!(MESSAGES_SENT, "signalr.hub" => hub.to_owned()),
            invocations: counter!(INVOCATIONS, "signalr.hub" => hub.to_owned()),
            hub: hub.to_owned(),
        }
    }

    /// A hub connection ended for `reason`.
    pub(crate) fn closed(&self, reason: &'static str) {
        counter!(CONNECTIONS_CLOSED, "signalr.hub" => self.hub.clone(), "reason" => reason)
            .increment(1);
    }
}
