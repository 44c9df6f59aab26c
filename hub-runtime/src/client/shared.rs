//! What the handle and the connection's tasks share: the state, the events, the calls waiting
//! for the server, the queue to the connection's task.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::StreamExt;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::error::ClientError;
use super::options::Options;
use crate::protocol::OwnedValue;
use crate::remote::{Call, CallError, Handler, Handlers, Upload};

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
        Shared {
            options,
            handlers: by_name,
            state,
            events,
            live: Mutex::new(Live::default()),
            next_id: AtomicU64::new(0),
        }
    }

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

    pub(super) fn next_id(&self) -> String {
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
    pub(super) fn begin(
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
    pub(super) fn encode(
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
    pub(super) fn upload(
        self: &Arc<Self>,
        epoch: u64,
        stream_ids: Vec<String>,
        uploads: Vec<Upload>,
    ) {
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
