//! What the rest of the server holds of one connection: its id, user, request, outbound queue.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::ws::Utf8Bytes;
use std::collections::HashMap;

use futures_util::task::AtomicWaker;
use std::task::{Context, Poll};
use tokio::sync::oneshot;

use super::queue::{OutboundQueue, PushError};

use crate::context::RequestInfo;
use crate::lifetime::Lifetime;
use crate::protocol::{OwnedValue, Protocol, TransferFormat};
use crate::transport::PollActivity;

/// One encoded hub message, shared by every recipient (cloning it clones a reference count).
#[derive(Clone, Debug)]
pub(crate) enum Frame {
    /// A JSON message: a text frame on WebSockets.
    Text(Utf8Bytes),
    /// A MessagePack message: a binary frame on WebSockets.
    Binary(bytes::Bytes),
}

impl Frame {
    /// Wraps the bytes an encoder of `protocol` wrote.
    pub(crate) fn encoded(protocol: Protocol, bytes: Vec<u8>) -> Frame {
        match protocol.transfer_format() {
            TransferFormat::Text => Frame::Text(
                String::from_utf8(bytes)
                    .expect("the JSON encoder writes UTF-8")
                    .into(),
            ),
            TransferFormat::Binary => Frame::Binary(bytes.into()),
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Frame::Text(text) => text.as_bytes(),
            Frame::Binary(bytes) => bytes,
        }
    }
}

/// A message encoded once for each protocol its recipients speak.
#[derive(Clone, Debug, Default)]
pub(crate) struct EncodedMessage {
    frames: [Option<Frame>; 2],
}

impl EncodedMessage {
    fn slot(protocol: Protocol) -> usize {
        match protocol {
            Protocol::Json => 0,
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => 1,
        }
    }

    pub(crate) fn set(&mut self, protocol: Protocol, frame: Frame) {
        self.frames[Self::slot(protocol)] = Some(frame);
    }

    pub(crate) fn get(&self, protocol: Protocol) -> Option<&Frame> {
        self.frames[Self::slot(protocol)].as_ref()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.frames.iter().all(Option::is_none)
    }
}

/// The public id of a connection: what `Context.ConnectionId` is in ASP.NET Core and what the
/// client's `connectionId` shows. It is not the secret connection token.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(Arc<str>);

impl ConnectionId {
    /// A new random id: 128 random bits, URL-safe base64 (22 characters).
    pub(crate) fn random() -> Self {
        ConnectionId(random_token().into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn shared(&self) -> &Arc<str> {
        &self.0
    }
}

/// 128 random bits as 22 characters of URL-safe base64 without padding.
pub(crate) fn random_token() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bits: u128 = rand::random();
    (0..22)
        .map(|i| ALPHABET[((bits >> (i * 6)) & 63) as usize] as char)
        .collect()
}

impl fmt::Debug for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ConnectionId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for ConnectionId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<ConnectionId> for String {
    fn from(id: ConnectionId) -> String {
        id.0.to_string()
    }
}

impl PartialEq<str> for ConnectionId {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for ConnectionId {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

/// Why the server ends a connection from outside its own task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CloseReason {
    /// The outbound queue was full: the client reads too slowly.
    SlowClient,
    /// The client sent nothing within the client timeout.
    ClientTimeout,
    /// The hub is shutting down.
    Shutdown,
    /// Hub code asked for it ([`Ctx::abort`](crate::Ctx::abort)).
    Aborted,
}

fn advance(stamp: &AtomicU64, now: u64) {
    if stamp.load(Ordering::Relaxed) < now {
        stamp.store(now, Ordering::Relaxed);
    }
}

/// A client's answer to a client-result invocation: its result (still encoded) or its error.
pub(crate) type ClientReply = Result<OwnedValue, String>;

/// The shared half of a connection; its task owns the socket and the receiving end of the queue.
pub(crate) struct ConnectionHandle {
    pub(crate) id: ConnectionId,
    pub(crate) user: Option<Arc<str>>,
    pub(crate) request: RequestInfo,
    pub(crate) lifetime: Arc<Lifetime>,
    /// The hub protocol the client chose in its handshake.
    pub(crate) protocol: Protocol,
    /// For long polling: the polls keep the connection alive, not Pings.
    poll_activity: Option<Arc<PollActivity>>,
    pub(crate) outbound: OutboundQueue,
    /// The groups this connection is in; its lock also orders joins against the disconnect.
    pub(crate) groups: Mutex<GroupMembership>,
    close_reason: Mutex<Option<CloseReason>>,
    /// The connection's task, while it waits for [`close`](Self::close).
    close_waker: AtomicWaker,
    last_read_ms: AtomicU64,
    last_write_ms: AtomicU64,
    ping_queued: AtomicBool,
    /// Client results awaited from this connection; `None` once it is gone.
    pending_results: Mutex<PendingResults>,
}

/// Client results awaited from a connection: a map allocated only while some are.
#[derive(Default)]
enum PendingResults {
    #[default]
    None,
    // Boxed on purpose: every connection's handle holds this, few ever await a result.
    #[allow(clippy::box_collection)]
    Waiting(Box<HashMap<Box<str>, oneshot::Sender<ClientReply>>>),
    /// The connection is gone: nothing more can be awaited.
    Gone,
}

impl PendingResults {
    fn remove(&mut self, invocation_id: &str) -> Option<oneshot::Sender<ClientReply>> {
        let PendingResults::Waiting(map) = self else {
            return None;
        };
        let sender = map.remove(invocation_id);
        if map.is_empty() {
            *self = PendingResults::None;
        }
        sender
    }
}

#[derive(Default)]
pub(crate) struct GroupMembership {
    pub(crate) names: Vec<Arc<str>>,
    /// Set once the connection has left the lifetime manager: joins after that are refused.
    pub(crate) removed: bool,
}

impl ConnectionHandle {
    pub(crate) fn new(
        id: ConnectionId,
        user: Option<Arc<str>>,
        request: RequestInfo,
        lifetime: Arc<Lifetime>,
        protocol: Protocol,
        poll_activity: Option<Arc<PollActivity>>,
        capacity: usize,
    ) -> Arc<Self> {
        let outbound = OutboundQueue::new(capacity);
        let now = lifetime.now_ms();
        Arc::new(ConnectionHandle {
            id,
            user,
            request,
            lifetime,
            protocol,
            poll_activity,
            outbound,
            groups: Mutex::new(GroupMembership::default()),
            close_reason: Mutex::new(None),
            close_waker: AtomicWaker::new(),
            last_read_ms: AtomicU64::new(now),
            last_write_ms: AtomicU64::new(now),
            ping_queued: AtomicBool::new(false),
            pending_results: Mutex::new(PendingResults::None),
        })
    }

    /// Queues a frame without waiting. A full queue means the client cannot keep up: it is
    /// disconnected rather than allowed to hold up the sender.
    pub(crate) fn push(&self, frame: Frame) {
        if let Err(PushError::Full) = self.outbound.push(frame) {
            self.close(CloseReason::SlowClient);
        }
    }

    /// Queues a frame from the connection's own task, which writes it before it waits again.
    pub(crate) fn push_own(&self, frame: Frame) {
        self.outbound.push_own(frame);
    }

    /// Asks the connection's task to end the connection.
    pub(crate) fn close(&self, reason: CloseReason) {
        let mut slot = self.close_reason.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(reason);
            drop(slot);
            self.close_waker.wake();
        }
    }

    fn close_reason(&self) -> Option<CloseReason> {
        *self.close_reason.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ready once [`close`](Self::close) was called, with the first reason given. Only the
    /// connection's own task polls it.
    pub(crate) fn poll_closed(&self, cx: &mut Context<'_>) -> Poll<CloseReason> {
        if let Some(reason) = self.close_reason() {
            return Poll::Ready(reason);
        }
        self.close_waker.register(cx.waker());
        // A close between the first look and the registration woke nobody: look again.
        match self.close_reason() {
            Some(reason) => Poll::Ready(reason),
            None => Poll::Pending,
        }
    }

    /// Registers a client-result invocation; `None` if the connection is already gone.
    pub(crate) fn register_result(
        &self,
        invocation_id: &str,
    ) -> Option<oneshot::Receiver<ClientReply>> {
        let (sender, receiver) = oneshot::channel();
        let mut pending = self
            .pending_results
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match &mut *pending {
            PendingResults::Gone => return None,
            PendingResults::Waiting(map) => {
                map.insert(invocation_id.into(), sender);
            }
            PendingResults::None => {
                let mut map = Box::<HashMap<_, _>>::default();
                map.insert(invocation_id.into(), sender);
                *pending = PendingResults::Waiting(map);
            }
        }
        Some(receiver)
    }

    /// Hands the client's Completion to the waiting call; false if nobody waits for that id.
    pub(crate) fn resolve_result(&self, invocation_id: &str, reply: ClientReply) -> bool {
        let sender = self
            .pending_results
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(invocation_id);
        match sender {
            Some(sender) => {
                let _ = sender.send(reply);
                true
            }
            None => false,
        }
    }

    /// Stops waiting for a result (timed out).
    pub(crate) fn forget_result(&self, invocation_id: &str) {
        self.pending_results
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(invocation_id);
    }

    /// Fails every awaited client result at once: the connection is gone.
    pub(crate) fn fail_results(&self) {
        *self
            .pending_results
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = PendingResults::Gone;
    }

    /// Stamps the client's last sign of life (with the heartbeat's coarse clock: a timeout may
    /// come at most one heartbeat tick early, never late).
    /// Stamps only move forward (the coarse clock may lag the precise stamp taken when the
    /// connection was created). Only the connection's own task writes them.
    pub(crate) fn mark_read(&self) {
        advance(&self.last_read_ms, self.lifetime.coarse_now_ms());
    }

    pub(crate) fn mark_written(&self) {
        advance(&self.last_write_ms, self.lifetime.coarse_now_ms());
        if self.ping_queued.load(Ordering::Relaxed) {
            self.ping_queued.store(false, Ordering::Relaxed);
        }
    }

    /// Called by the heartbeat: queues a Ping after `keep_alive_ms` of silence from the server,
    /// and ends a connection whose client was silent for `timeout_ms`.
    pub(crate) fn heartbeat(&self, now: u64, keep_alive_ms: u64, timeout_ms: u64, ping: &Frame) {
        if let Some(activity) = &self.poll_activity {
            // Long polling: no Pings; gone when it stopped polling for the client timeout.
            let last_poll = activity.last_ms.load(Ordering::Relaxed);
            if !activity.active.load(Ordering::Acquire)
                && now.saturating_sub(last_poll) >= timeout_ms
            {
                self.close(CloseReason::ClientTimeout);
            }
            return;
        }
        let last_read = self.last_read_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last_read) >= timeout_ms {
            self.close(CloseReason::ClientTimeout);
            return;
        }
        let last_write = self.last_write_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last_write) >= keep_alive_ms
            && !self.ping_queued.swap(true, Ordering::Relaxed)
        {
            self.push(ping.clone());
        }
    }
}
