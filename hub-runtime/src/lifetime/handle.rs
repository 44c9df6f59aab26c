//! What the rest of the server holds of one hub connection: its id, user, request, protocol,
//! outbound queue, close signal, activity stamps and the client results it owes.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::queue::{OutboundQueue, PushError};
use crate::connection::{ConnectionId, Frame, RequestInfo, TransportType, coarse_now_ms, now_ms};
use crate::protocol::{OwnedValue, Protocol};

/// Why the server ends a connection from outside its own task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The outbound queue was full: the client reads too slowly.
    SlowClient,
    /// The client sent nothing within the client timeout.
    ClientTimeout,
    /// The hub is shutting down.
    Shutdown,
    /// Hub code asked for it ([`Ctx::abort`](crate::Ctx::abort)).
    Aborted,
    /// The user's credentials expired (with
    /// [`close_on_authentication_expiration`](crate::HubOptions::close_on_authentication_expiration)).
    AuthenticationExpired,
}

fn advance(stamp: &AtomicU64, now: u64) {
    if stamp.load(Ordering::Relaxed) < now {
        stamp.store(now, Ordering::Relaxed);
    }
}

/// The intervals the heartbeat checks connections against, in milliseconds.
pub(crate) struct HeartbeatTiming {
    pub(crate) keep_alive_ms: u64,
    pub(crate) timeout_ms: u64,
    pub(crate) slow_ms: u64,
}

/// A client's answer to a client-result invocation: its result (still encoded) or its error.
pub type ClientReply = Result<OwnedValue, String>;

/// One connection of a hub on this node, as lifetime managers and hub code reach it: its
/// identity, and a queue that takes encoded frames without waiting.
///
/// Laid out for broadcasts: what a delivery reads (the queue, then the protocol) comes first,
/// on the two cache lines the handle starts with, so that a delivery to each of many
/// connections fetches two lines of each, together ([`touch`](Self::touch)).
#[repr(C, align(64))]
pub struct ConnectionHandle {
    pub(crate) outbound: OutboundQueue,
    /// The hub protocol the client chose in its handshake.
    protocol: Protocol,
    id: ConnectionId,
    user: Option<Arc<str>>,
    request: RequestInfo,
    transport: TransportType,
    /// The groups this connection is in; its lock also orders joins against the disconnect.
    pub(crate) groups: Mutex<GroupMembership>,
    close_reason: Mutex<Option<CloseReason>>,
    /// The connection's task, while it waits for [`close`](Self::close).
    close_waker: AtomicWaker,
    last_read_ms: AtomicU64,
    last_write_ms: AtomicU64,
    /// When the write in progress started to wait for the client to take data (0: none waits).
    write_blocked_since_ms: AtomicU64,
    ping_queued: AtomicBool,
    /// When the user's credentials expire, on the connection clock (0: never, or not checked).
    auth_expires_ms: AtomicU64,
    /// Client results awaited from this connection; `Gone` once it is.
    pending_results: Mutex<PendingResults>,
    /// Cancelled when the connection ends; created on first use.
    aborted: OnceLock<CancellationToken>,
}

impl fmt::Debug for ConnectionHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionHandle")
            .field("id", &self.id)
            .field("user", &self.user)
            .field("protocol", &self.protocol)
            .field("transport", &self.transport)
            .finish()
    }
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

/// The groups of one connection: a set allocated with the first group (most connections join
/// none).
#[derive(Default)]
pub(crate) struct GroupMembership {
    // Boxed on purpose: every connection's handle holds this, most are in no group.
    #[allow(clippy::box_collection)]
    names: Option<Box<HashSet<Arc<str>>>>,
    /// Set once the connection has left the lifetime manager: joins after that are refused.
    pub(crate) removed: bool,
}

impl GroupMembership {
    /// Adds a group; false if the connection was in it already.
    pub(crate) fn insert(&mut self, group: &Arc<str>) -> bool {
        self.names.get_or_insert_default().insert(group.clone())
    }

    /// Removes a group; false if the connection was not in it.
    pub(crate) fn remove(&mut self, group: &str) -> bool {
        let Some(names) = &mut self.names else {
            return false;
        };
        let removed = names.remove(group);
        if names.is_empty() {
            self.names = None;
        }
        removed
    }

    /// How many groups.
    pub(crate) fn len(&self) -> usize {
        self.names.as_ref().map_or(0, |names| names.len())
    }

    pub(crate) fn contains(&self, group: &str) -> bool {
        self.names
            .as_ref()
            .is_some_and(|names| names.contains(group))
    }

    /// The groups, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Arc<str>> {
        self.names.iter().flat_map(|names| names.iter())
    }

    /// Takes every group out.
    pub(crate) fn take(&mut self) -> impl Iterator<Item = Arc<str>> {
        self.names
            .take()
            .into_iter()
            .flat_map(|names| names.into_iter())
    }
}

impl ConnectionHandle {
    pub(crate) fn new(
        id: ConnectionId,
        user: Option<Arc<str>>,
        request: RequestInfo,
        protocol: Protocol,
        transport: TransportType,
        outbound_limit: usize,
    ) -> Arc<Self> {
        let outbound = OutboundQueue::new(outbound_limit);
        let now = now_ms();
        Arc::new(ConnectionHandle {
            id,
            user,
            request,
            protocol,
            transport,
            outbound,
            groups: Mutex::new(GroupMembership::default()),
            close_reason: Mutex::new(None),
            close_waker: AtomicWaker::new(),
            last_read_ms: AtomicU64::new(now),
            last_write_ms: AtomicU64::new(now),
            write_blocked_since_ms: AtomicU64::new(0),
            ping_queued: AtomicBool::new(false),
            auth_expires_ms: AtomicU64::new(0),
            pending_results: Mutex::new(PendingResults::None),
            aborted: OnceLock::new(),
        })
    }

    /// Closes the connection (from the heartbeat) once its user's credentials expire at
    /// `expires_at`.
    pub(crate) fn close_at_expiry(&self, expires_at: std::time::SystemTime) {
        let left = expires_at
            .duration_since(std::time::SystemTime::now())
            .unwrap_or_default();
        let at = now_ms().saturating_add(left.as_millis() as u64).max(1);
        self.auth_expires_ms.store(at, Ordering::Relaxed);
    }

    /// The connection's id.
    pub fn id(&self) -> &ConnectionId {
        &self.id
    }

    /// The user id the [user id provider](crate::HubOptions::user_id_provider) found (by
    /// default, the authenticated user's id).
    pub fn user_id(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The user id, shared.
    pub(crate) fn shared_user(&self) -> Option<&Arc<str>> {
        self.user.as_ref()
    }

    /// The HTTP request that opened the connection.
    pub fn request(&self) -> &RequestInfo {
        &self.request
    }

    /// The hub protocol the client speaks.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// Reads what a delivery reads first of each cache line it needs, so that a walk over
    /// many connections can have their memory fetched in parallel before it locks any queue
    /// ([`LocalConnections::for_each`](super::LocalConnections::for_each)).
    pub(crate) fn touch(&self) {
        std::hint::black_box((self.outbound.is_empty(), self.protocol));
    }

    /// The transport the connection uses.
    pub fn transport(&self) -> TransportType {
        self.transport
    }

    /// How many groups the connection is in, `group` aside (joining it again is no new group).
    pub(crate) fn group_count(&self, group: &str) -> usize {
        let membership = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        let count = membership.len();
        if membership.contains(group) {
            count.saturating_sub(1)
        } else {
            count
        }
    }

    /// The groups the connection is in, in no particular order.
    pub fn groups(&self) -> Vec<String> {
        let membership = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        membership.iter().map(|name| name.to_string()).collect()
    }

    /// Queues a frame for the client without waiting. A queue holding its limit in bytes means
    /// the client does not take what it is sent: it is disconnected rather than allowed to hold
    /// up the sender or grow without bound.
    pub fn send(&self, frame: Frame) {
        if let Err(PushError::Full) = self.outbound.push(frame) {
            self.close(CloseReason::SlowClient);
        }
    }

    /// Queues a frame from the connection's own task, which writes it before it waits again.
    pub(crate) fn push_own(&self, frame: Frame) {
        self.outbound.push_own(frame);
    }

    /// Asks the connection's task to end the connection.
    pub fn close(&self, reason: CloseReason) {
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

    /// A token cancelled when the connection ends (ASP.NET's `Context.ConnectionAborted`).
    pub fn aborted_token(&self) -> CancellationToken {
        self.aborted.get_or_init(CancellationToken::new).clone()
    }

    /// Cancels [`aborted_token`](Self::aborted_token): the connection ended.
    pub(crate) fn cancel_aborted(&self) {
        self.aborted.get_or_init(CancellationToken::new).cancel();
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
        advance(&self.last_read_ms, coarse_now_ms());
    }

    pub(crate) fn mark_written(&self) {
        advance(&self.last_write_ms, coarse_now_ms());
        if self.ping_queued.load(Ordering::Relaxed) {
            self.ping_queued.store(false, Ordering::Relaxed);
        }
        if self.write_blocked_since_ms.load(Ordering::Relaxed) != 0 {
            self.write_blocked_since_ms.store(0, Ordering::Relaxed);
        }
    }

    /// A write waits for the client to take data (the transport cannot take more).
    pub(crate) fn mark_write_blocked(&self) {
        if self.write_blocked_since_ms.load(Ordering::Relaxed) == 0 {
            // Never 0 once set, even at the clock's first millisecond.
            let now = coarse_now_ms().max(1);
            self.write_blocked_since_ms.store(now, Ordering::Relaxed);
        }
    }

    /// Called by the heartbeat: ends a connection whose writes made no progress for
    /// `slow_ms` (its client does not take what it is sent), queues a Ping after
    /// `keep_alive_ms` of silence from the server, and ends a connection whose client was
    /// silent for `timeout_ms`. Connections on a transport that keeps itself alive (long
    /// polling) are left to it.
    pub(crate) fn heartbeat(&self, now: u64, timing: &HeartbeatTiming, ping: &Frame) {
        let expires = self.auth_expires_ms.load(Ordering::Relaxed);
        if expires != 0 && now >= expires {
            self.close(CloseReason::AuthenticationExpired);
            return;
        }
        let blocked_since = self.write_blocked_since_ms.load(Ordering::Relaxed);
        if blocked_since != 0 && now.saturating_sub(blocked_since) >= timing.slow_ms {
            self.close(CloseReason::SlowClient);
            return;
        }
        if self.transport == TransportType::LongPolling {
            return;
        }
        let (keep_alive_ms, timeout_ms) = (timing.keep_alive_ms, timing.timeout_ms);
        let last_read = self.last_read_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last_read) >= timeout_ms {
            self.close(CloseReason::ClientTimeout);
            return;
        }
        let last_write = self.last_write_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last_write) >= keep_alive_ms
            && !self.ping_queued.swap(true, Ordering::Relaxed)
        {
            self.send(ping.clone());
        }
    }
}
