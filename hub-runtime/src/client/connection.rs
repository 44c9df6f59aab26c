//! [`HubConnection`]: the handle applications hold, and the state its tasks share.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::Stream;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use super::error::ClientError;
use super::options::Options;
use super::session;
use super::shared::{ConnectionEvent, ConnectionState, Pending, Shared};
use crate::protocol::OwnedValue;
use crate::remote::{
    Call, CallError, CallFuture, Handlers, HubCaller, Invoke, ItemStream, StreamCall,
};

/// A connection to a hub: negotiate, WebSocket, JSON or MessagePack, keep-alive, automatic and
/// stateful reconnect; calls through [`HubCaller`] (typed by a hub's generated caller,
/// `ChatHubCaller::new(connection)`), handlers of the hub's calls (typed by a `#[client]`
/// trait's implementation, [`HubConnectionBuilder::receiver`]).
///
/// Cloning gives another handle of the same connection. The connection runs until
/// [`stop`](HubConnection::stop) or until it closes; dropping the handles does not stop it.
#[derive(Clone)]
pub struct HubConnection {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for HubConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubConnection")
            .field("url", &self.shared.options.url)
            .field("state", &self.state())
            .field("connection_id", &self.connection_id())
            .finish()
    }
}

impl HubConnection {
    pub(super) fn new(options: Options, handlers: Handlers) -> Self {
        HubConnection {
            shared: Arc::new(Shared::new(options, handlers)),
        }
    }

    /// Connects: negotiate (unless skipped), the WebSocket, the handshake. Fails when the
    /// connection is not disconnected, or with why it could not connect.
    pub async fn start(&self) -> Result<(), ClientError> {
        let stop = CancellationToken::new();
        {
            let mut live = self.shared.live();
            if *self.shared.state.borrow() != ConnectionState::Disconnected {
                return Err(ClientError::AlreadyStarted);
            }
            self.shared.set_state(ConnectionState::Connecting);
            live.stop = Some(stop.clone());
        }
        let connected = tokio::select! {
            () = stop.cancelled() => Err(ClientError::Stopped),
            link = session::connect(&self.shared) => link,
        };
        let link = match connected {
            Ok(link) => link,
            Err(error) => {
                self.shared.live().stop = None;
                self.shared.set_state(ConnectionState::Disconnected);
                return Err(error);
            }
        };
        let (commands, receiver) = mpsc::unbounded_channel();
        let epoch = {
            let mut live = self.shared.live();
            live.epoch += 1;
            live.commands = Some(commands);
            live.connection_id = link.connection_id.clone();
            self.shared.set_state(ConnectionState::Connected);
            live.epoch
        };
        let task = tokio::spawn(session::run(
            Arc::clone(&self.shared),
            link,
            receiver,
            stop,
            epoch,
        ));
        self.shared.live().task = Some(task);
        Ok(())
    }

    /// Stops the connection (or its reconnecting) and waits until it has ended: calls still
    /// waiting fail, and [`ConnectionEvent::Closed`] is sent without error.
    pub async fn stop(&self) {
        let (stop, task) = {
            let mut live = self.shared.live();
            (live.stop.take(), live.task.take())
        };
        if let Some(stop) = stop {
            stop.cancel();
        }
        if let Some(task) = task {
            let _ = task.await;
        }
    }

    /// Where the connection is.
    pub fn state(&self) -> ConnectionState {
        *self.shared.state.borrow()
    }

    /// The state, as a receiver that sees every change (`changed().await`).
    pub fn state_changes(&self) -> watch::Receiver<ConnectionState> {
        self.shared.state.subscribe()
    }

    /// What happens to the connection from now on: reconnecting, reconnected, closed.
    pub fn events(&self) -> broadcast::Receiver<ConnectionEvent> {
        self.shared.events.subscribe()
    }

    /// The id the server gave the connection (negotiate's `connectionId`); `None` when not
    /// connected or without negotiate.
    pub fn connection_id(&self) -> Option<String> {
        self.shared.live().connection_id.clone()
    }

    /// An untyped call of `method`: `.await` for its result `R`, `.send()` to send only.
    /// `arguments` is a tuple: `connection.invoke::<String, _>("Echo", ("hi",))`.
    pub fn invoke<R, A>(&self, method: &'static str, arguments: A) -> Invoke<'_, Self, A, R> {
        Invoke::new(self, method, arguments, ())
    }

    /// An untyped stream call of `method`, its items `T`.
    pub fn stream<T, A>(&self, method: &'static str, arguments: A) -> StreamCall<'_, Self, A, T> {
        StreamCall::new(self, method, arguments, ())
    }
}

impl HubCaller for HubConnection {
    fn invoke(&self, call: Call<'_>) -> CallFuture<OwnedValue> {
        let shared = &self.shared;
        let id = shared.next_id();
        let (sender, receiver) = oneshot::channel();
        let started = shared
            .encode(false, Some(&id), &call)
            .and_then(|(bytes, ids)| {
                let epoch = shared.begin(Some(&id), Some(Pending::Invoke(sender)), bytes)?;
                shared.upload(epoch, ids, call.uploads);
                Ok(())
            });
        Box::pin(async move {
            started?;
            receiver.await.unwrap_or_else(|_| {
                Err(CallError::ConnectionClosed(
                    "the connection ended".to_owned(),
                ))
            })
        })
    }

    fn send(&self, call: Call<'_>) -> CallFuture<()> {
        let shared = &self.shared;
        let started = shared.encode(false, None, &call).and_then(|(bytes, ids)| {
            let epoch = shared.begin(None, None, bytes)?;
            shared.upload(epoch, ids, call.uploads);
            Ok(())
        });
        Box::pin(std::future::ready(started))
    }

    fn stream(&self, call: Call<'_>) -> Result<ItemStream, CallError> {
        let shared = &self.shared;
        let id = shared.next_id();
        let (sender, receiver) = mpsc::unbounded_channel();
        let (bytes, ids) = shared.encode(true, Some(&id), &call)?;
        let epoch = shared.begin(Some(&id), Some(Pending::Stream(sender)), bytes)?;
        shared.upload(epoch, ids, call.uploads);
        Ok(Box::pin(ServerItems {
            shared: Arc::clone(shared),
            id,
            epoch,
            receiver,
            ended: false,
        }))
    }
}

/// The items of a server stream; dropped before its end, it cancels the stream.
struct ServerItems {
    shared: Arc<Shared>,
    id: String,
    epoch: u64,
    receiver: mpsc::UnboundedReceiver<Result<OwnedValue, CallError>>,
    ended: bool,
}

impl Stream for ServerItems {
    type Item = Result<OwnedValue, CallError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let polled = self.receiver.poll_recv(cx);
        if let Poll::Ready(None) = polled {
            self.ended = true;
        }
        polled
    }
}

impl Drop for ServerItems {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        let waiting = self.shared.live().calls.remove(&self.id).is_some();
        if waiting {
            let cancel = self.shared.options.protocol.cancel_invocation(&self.id);
            self.shared.send_raw(self.epoch, cancel);
        }
    }
}
