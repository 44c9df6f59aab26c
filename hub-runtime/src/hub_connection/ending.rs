//! How a hub connection ends: the Close message, the calls still running, `on_disconnected`.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};

use super::state::{HubConnection, Running};
use crate::connection::Closed;
use crate::connection::HubMetrics;
use crate::dispatch::{BoundCall, filter_disconnected};
use crate::lifetime::{CloseReason, frame};
use crate::model::HubError;
use crate::protocol::{Close, ProtocolError};
use crate::stream::Driver;

/// How long the last writes to a closing connection may take before the socket is dropped.
pub(super) const CLOSE_WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// Why the loop ended.
pub(super) enum End {
    /// The client closed (its Close message may carry an error), or the socket ended.
    ClientClosed(Option<String>),
    /// The client sent bytes that are not hub messages.
    Protocol(ProtocolError),
    /// The server closed it.
    Server(CloseReason),
    /// `on_connected` failed.
    ConnectFailed(HubError),
}

/// Ends a connection: the Close message, the calls still running, `on_disconnected`.
pub(super) async fn close(connection: HubConnection, end: End) {
    let HubConnection {
        runtime,
        mut io,
        protocol,
        call,
        running,
        queued,
        streams,
        uploads,
        ..
    } = connection;
    let options = &runtime.options;
    let handle = call.connection().clone();
    // Work that observes the connection's cancellation learns it ended; producers that do not
    // stop now, and upload streams end for the methods still reading them.
    handle.cancel_aborted();
    let draining = streams
        .map(|streams| streams.into_draining())
        .unwrap_or_default();
    drop(uploads);

    runtime.lifetime.remove(&handle).await;
    end.record(&runtime.metrics, handle.id().as_str());
    let connect_failed = matches!(end, End::ConnectFailed(_));
    // Long polling: a shutting-down server waits for the poll that takes the Close message. On
    // other endings the token outlives the task for a while, so a later poll still gets it.
    let drain = matches!(end, End::Server(CloseReason::Shutdown));
    let (close, error) = close_message(end, options.detailed_errors);
    let farewell = async {
        if let Some(close) = close {
            io.send(frame(protocol, protocol.close(&close))).await?;
            runtime.metrics.sent.increment(1);
        }
        io.close_in_place(drain).await;
        Ok::<(), Closed>(())
    };
    // A client that stopped reading gets no more than this to take its Close message.
    let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, farewell).await;
    io.finish();
    drop(io);

    // Calls the client sent before it left still run, so their effects on others are not lost,
    // and producers that observe their cancellation finish their cleanup; what does not finish
    // within the shutdown timeout is dropped.
    if tokio::time::timeout(
        options.shutdown_timeout,
        finish_calls(
            running.map(|running| *running).unwrap_or_default(),
            queued,
            draining,
        ),
    )
    .await
    .is_err()
    {
        tracing::warn!(connection_id = %handle.id(), "dropped hub calls still running after the shutdown timeout");
    }
    tracing::debug!(connection_id = %handle.id(), "disconnected");
    // As in ASP.NET Core, a connection refused by `on_connected` never was connected.
    if !connect_failed {
        let hook = runtime.dispatcher.on_disconnected(&call, error.clone());
        filter_disconnected(&options.filters, handle, error, hook).await;
    }
}

impl End {
    /// The reason in metrics and logs.
    fn reason(&self) -> &'static str {
        match self {
            End::ClientClosed(None) => "client_closed",
            End::ClientClosed(Some(_)) => "client_error",
            End::Protocol(_) => "protocol_error",
            End::Server(CloseReason::SlowClient) => "slow_client",
            End::Server(CloseReason::ClientTimeout) => "timeout",
            End::Server(CloseReason::Shutdown) => "shutdown",
            End::Server(CloseReason::Aborted) => "aborted",
            End::Server(CloseReason::AuthenticationExpired) => "authentication_expired",
            End::ConnectFailed(_) => "connect_refused",
        }
    }

    /// Counts the ending; a client the server drops is logged with the reason.
    fn record(&self, metrics: &HubMetrics, connection_id: &str) {
        let reason = self.reason();
        metrics.closed(reason);
        match self {
            End::Protocol(error) => {
                tracing::warn!(connection_id, reason, %error, "connection dropped");
            }
            End::Server(CloseReason::SlowClient | CloseReason::ClientTimeout) => {
                tracing::warn!(connection_id, reason, "connection dropped");
            }
            End::ConnectFailed(error) => {
                tracing::info!(connection_id, reason, %error, "connection refused by on_connected");
            }
            _ => tracing::debug!(connection_id, reason, "connection ended"),
        }
    }
}

/// The Close message to send, and the error `on_disconnected` sees.
fn close_message(end: End, detailed: bool) -> (Option<Close>, Option<HubError>) {
    const CLOSED: &str = "Connection closed with an error.";
    let with_error = |error: HubError, allow_reconnect: bool| {
        let text = error.client_text(CLOSED, detailed);
        (
            Some(Close {
                error: Some(text),
                allow_reconnect,
            }),
            Some(error),
        )
    };
    match end {
        End::ClientClosed(None) => (None, None),
        End::ClientClosed(Some(error)) => (None, Some(HubError::internal("ClientError", error))),
        End::Protocol(err) => with_error(
            HubError::internal("InvalidDataException", err.to_string()),
            true,
        ),
        End::Server(CloseReason::Shutdown) => (
            Some(Close {
                error: None,
                allow_reconnect: true,
            }),
            None,
        ),
        End::Server(CloseReason::ClientTimeout) => with_error(
            HubError::internal(
                "OperationCanceledException",
                "Client hasn't sent a message/ping within the configured ClientTimeoutInterval.",
            ),
            true,
        ),
        End::Server(CloseReason::SlowClient) => with_error(
            HubError::internal(
                "SlowClient",
                "The client did not read its messages fast enough; its outbound queue was full.",
            ),
            true,
        ),
        End::Server(CloseReason::Aborted) => (Some(Close::default()), None),
        End::Server(CloseReason::AuthenticationExpired) => with_error(
            HubError::refused("Connection closed because its authentication expired."),
            true,
        ),
        End::ConnectFailed(error) => with_error(error, false),
    }
}

type Leftover = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Drives the calls still pending when the connection ended (their results have nowhere to
/// go), and the stream producers that observe their cancellation. Other streams are not
/// finished: nobody reads them any more.
async fn finish_calls(running: Running, queued: VecDeque<BoundCall>, draining: Vec<Driver>) {
    let mut leftovers: FuturesUnordered<Leftover> = FuturesUnordered::new();
    let calls =
        running
            .started
            .into_iter()
            .chain(running.waiting)
            .chain(queued.into_iter().filter_map(|bound| match bound {
                BoundCall::Call(call) => Some(call),
                BoundCall::Stream(_) => None,
            }));
    for mut call in calls {
        // Nobody waits for its Completion: none is encoded.
        call.invocation_id = None;
        leftovers.push(Box::pin(async move {
            let finished = call.await;
            if let Err(err) = finished.outcome {
                tracing::warn!(method = finished.method, %err, "hub method failed after its caller left");
            }
        }));
    }
    for driver in draining {
        leftovers.push(Box::pin(async move {
            // A panicking producer ends here, not the task.
            let _ = std::panic::AssertUnwindSafe(driver).catch_unwind().await;
        }));
    }
    while leftovers.next().await.is_some() {}
}
