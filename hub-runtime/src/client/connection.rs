//! [`HubConnection`]: the handle applications hold, and the state its tasks share.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use futures_util::{Stream, StreamExt};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::builder::{HubConnectionBuilder, Options};
use super::error::ClientError;
use super::session;
use crate::protocol::OwnedValue;
use crate::remote::{
    Call, CallError, CallFuture, Handler, Handlers, HubCaller, Invoke, ItemStream, StreamCall,
    Upload,
};

/// Where a connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionState {
    /// Not connected: before `start`, after `stop`, or after the connection closed.
    Disconnected,
    /// `start` is connecting.
    Connecting,
    /// Connected: calls can be made.
    Connected,
    /// The connection was lost and automatic reconnect is trying again.
    Reconnecting,
}

/// What happens to a connection, as [`HubConnection::events`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionEvent {
    /// The connection was lost and automatic reconnect starts (`onreconnecting`).
    Reconnecting {
        /// Why it was lost.
        error: Option<ClientError>,
    },
    /// Automatic reconnect connected again, as a new connection (`onreconnected`).
    Reconnected {
        /// The new connection's id.
        connection_id: Option<String>,
    },
    /// The connection closed: stopped (`error` is `None`), lost without (further) reconnect,
    /// or closed by the server (`onclose`).
    Closed {
        /// Why, when it did not end by `stop`.
        error: Option<ClientError>,
    },
}

/// A message for the connection's task to send.
pub(super) struct Command {
    /// The connection it belongs to: a message of an earlier connection is dropped.
    pub(super) epoch: u64,
    pub(super) bytes: Vec<u8>,
}

/// A call waiting for the server.
pub(super) enum Pending {
    Invoke(oneshot::Sender<Result<OwnedValue, CallError>>),
    Stream(mpsc::UnboundedSender<Result<OwnedValue, CallError>>),
}

/// What changes while the connection lives.
#[derive(Default)]
pub(super) struct Live {
    /// To the connection's task, while connected.
    pub(super) commands: Option<mpsc::UnboundedSender<Command>>,
    /// Counts the connections (new connection ids) made by this handle.
    pub(super) epoch: u64,
    pub(super) calls: HashMap<String, Pending>,
    pub(super) connection_id: Option<String>,
    pub(super) stop: Option<CancellationToken>,
    pub(super) task: Option<JoinHandle<()>>,
}

/// What the handle and the connection's tasks share.
pub(super) struct Shared {
    pub(super) options: Options,
    /// By lowercase method name.
    pub(super) handlers: HashMap<String, Vec<Handler>>,
    pub(super) state: watch::Sender<ConnectionState>,
    pub(super) events: broadcast::Sender<ConnectionEvent>,
    pub(super) live: Mutex<Live>,
    next_id: AtomicU64,
}

impl Shared {
    pub(super) fn live(&self) -> MutexGuard<'_, Live> {
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn set_state(&self, state: ConnectionState) {
        self.state.send_replace(state);
    }

    pub(super) fn emit(&self, event: ConnectionEvent) {
        let _ = self.events.send(event);
    }

    fn next_id(&self) -> String {
        self.next_id.fetch_add(1, Ordering::Relaxed).to_string()
    }

    /// Queues `bytes` for the connection `epoch`; `false` when that connection is gone.
    pub(super) fn send_raw(&self, epoch: u64, bytes: Vec<u8>) -> bool {
        let live = self.live();
        match &live.commands {
            Some(commands) if live.epoch == epoch => {
                commands.send(Command { epoch, bytes }).is_ok()
            }
            _ => false,
        }
    }

    /// Fails every call waiting for the server.
    pub(super) fn fail_calls(&self, why: &ClientError) {
        let calls = std::mem::take(&mut self.live().calls);
        for (_, pending) in calls {
            let error = CallError::ConnectionClosed(why.to_string());
            match pending {
                Pending::Invoke(sender) => {
                    let _ = sender.send(Err(error));
                }
                Pending::Stream(sender) => {
                    let _ = sender.send(Err(error));
                }
            }
        }
    }

    /// Registers a call and queues its message, when connected.
    fn begin(
        &self,
        id: Option<&str>,
        pending: Option<Pending>,
        bytes: Vec<u8>,
    ) -> Result<u64, CallError> {
        let mut live = self.live();
        if *self.state.borrow() != ConnectionState::Connected {
            return Err(CallError::NotConnected);
        }
        let epoch = live.epoch;
        let Some(commands) = live.commands.clone() else {
            return Err(CallError::NotConnected);
        };
        if let (Some(id), Some(pending)) = (id, pending) {
            live.calls.insert(id.to_owned(), pending);
        }
        commands
            .send(Command { epoch, bytes })
            .map_err(|_| CallError::NotConnected)?;
        Ok(epoch)
    }

    /// Encodes a call's invocation, with ids for its uploads.
    fn encode(
        &self,
        streaming: bool,
        id: Option<&str>,
        call: &Call<'_>,
    ) -> Result<(Vec<u8>, Vec<String>), CallError> {
        let stream_ids: Vec<String> = call.uploads.iter().map(|_| self.next_id()).collect();
        let bytes = self
            .options
            .protocol
            .client_invocation(streaming, id, call.target, call.arguments, &stream_ids)
            .map_err(CallError::Encode)?;
        Ok((bytes, stream_ids))
    }

    /// Sends the items of each upload, then its Completion, on the connection `epoch`.
    fn upload(self: &Arc<Self>, epoch: u64, stream_ids: Vec<String>, uploads: Vec<Upload>) {
        for (id, mut upload) in stream_ids.into_iter().zip(uploads) {
            let shared = Arc::clone(self);
            tokio::spawn(async move {
                let protocol = shared.options.protocol;
                while let Some(item) = upload.next().await {
                    let bytes = match protocol.stream_item(&id, &*item) {
                        Ok(bytes) => bytes,
                        Err(error) => {
                            shared.send_raw(epoch, protocol.completion_error(&id, &error));
                            return;
                        }
                    };
                    if !shared.send_raw(epoch, bytes) {
                        return;
                    }
                }
                shared.send_raw(epoch, protocol.completion_void(&id));
            });
        }
    }
}

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
    /// A builder for a connection to the hub at `url` (`http://host:port/hubs/chat`).
    pub fn builder(url: impl Into<String>) -> HubConnectionBuilder {
        HubConnectionBuilder::new(url)
    }

    pub(super) fn new(options: Options, handlers: Handlers) -> Self {
        let mut by_name: HashMap<String, Vec<Handler>> = HashMap::new();
        for (name, handler) in handlers.iter() {
            by_name
                .entry(name.to_lowercase())
                .or_default()
                .push(Arc::clone(handler));
        }
        let (state, _) = watch::channel(ConnectionState::Disconnected);
        let (events, _) = broadcast::channel(64);
        HubConnection {
            shared: Arc::new(Shared {
                options,
                handlers: by_name,
                state,
                events,
                live: Mutex::new(Live::default()),
                next_id: AtomicU64::new(0),
            }),
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
