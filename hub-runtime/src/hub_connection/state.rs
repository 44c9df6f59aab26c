//! The state of one hub connection while it runs: what its loop owns.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use futures_util::stream::FuturesUnordered;
use tokio::sync::mpsc;

use super::runtime::HubRuntime;
use crate::connection::Connection;
use crate::dispatch::{BoundCall, BoxFuture, PendingCall};
use crate::lifetime::{CallContext, ConnectionHandle};
use crate::model::HubError;
use crate::protocol::Protocol;
use crate::stream::{ServerStreams, StreamInput};

/// Invocations waiting for a free slot beyond which the connection stops reading (backpressure).
pub(super) const MAX_QUEUED_CALLS: usize = 64;
/// Frames written per flush at most, so one busy connection cannot starve its own reads.
pub(super) const MAX_BATCH: usize = 256;
/// Bytes of stream items taken in one turn at most (see `poll_streams`).
pub(super) const STREAM_BYTES_PER_TURN: usize = 16 * 1024;
/// Hub messages handled per poll of the connection's task at most: one client's burst (a
/// WebSocket message of thousands of invocations) is handled in slices, and the worker runs
/// other connections in between.
pub(super) const MESSAGES_PER_POLL: usize = 64;
/// Calls waiting or running (with the streams waiting) up to which a new invocation's id is
/// checked by looking through them: their ids are in no set, which costs a call no allocation.
/// Beyond it every id is in [`HubConnection::ids`] as well.
pub(super) const SCANNED_CALLS: usize = 8;
/// The largest handshake request accepted.
pub(super) const MAX_HANDSHAKE_SIZE: usize = 4096;

/// One connected hub connection: the loop's state. An idle connection keeps this struct (in its
/// task's future), so what only load needs is created on first use.
pub(super) struct HubConnection {
    pub(super) runtime: Arc<HubRuntime>,
    pub(super) io: Connection,
    pub(super) protocol: Protocol,
    /// The connection and its hub's lifetime, as hub code reaches them.
    pub(super) call: CallContext,
    /// Bytes not handled yet: an unfinished message, or what follows a message that blocked.
    pub(super) input: Vec<u8>,
    /// Calls running; created with the first that did not finish on its first poll (an idle
    /// connection allocates none).
    pub(super) running: Option<Box<Running>>,
    /// How many of `running` count toward the parallel invocation limit.
    pub(super) limited_running: usize,
    /// Bound calls and streams waiting for their turn.
    pub(super) queued: VecDeque<BoundCall>,
    /// The invocation ids of the streams bound and not finished, and of the calls while more
    /// than [`SCANNED_CALLS`] wait or run (those are looked through otherwise).
    pub(super) ids: InvocationIds,
    /// Server-to-client streams being produced; boxed with the first one (most connections have
    /// none, and an idle connection keeps this struct).
    pub(super) streams: Option<Box<ServerStreams>>,
    /// Client-to-server streams by stream id.
    pub(super) uploads: HashMap<Box<str>, mpsc::Sender<StreamInput>>,
    /// An upload item waiting for room in its stream's buffer: nothing else is read meanwhile.
    pub(super) blocked: Option<BoxFuture<()>>,
    /// `on_connected`, while it runs: calls wait until it finished.
    pub(super) connecting: Option<BoxFuture<Result<(), HubError>>>,
    /// Frames were sent to the transport and its flush has not completed yet.
    pub(super) flushing: bool,
    /// Messages this poll of the task may still handle.
    pub(super) budget: usize,
    /// `input` holds complete messages left for the next poll (the budget ran out).
    pub(super) input_pending: bool,
    /// Stateful reconnect, when negotiated (boxed: most connections have none).
    pub(super) sequencing: Option<Box<super::sequence::Sequencing>>,
}

/// The calls of a connection that did not finish on their first poll.
#[derive(Default)]
pub(super) struct Running {
    /// Started in this turn: polled once more, with the task's waker, after the turn's reading
    /// (see `turn`); those still pending then join `waiting`.
    pub(super) started: VecDeque<PendingCall>,
    /// The others, each polled when it woke.
    pub(super) waiting: FuturesUnordered<PendingCall>,
}

impl Running {
    pub(super) fn len(&self) -> usize {
        self.started.len() + self.waiting.len()
    }

    /// The calls, in no particular order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &PendingCall> {
        self.started.iter().chain(self.waiting.iter())
    }
}

impl HubConnection {
    pub(super) fn handle(&self) -> &Arc<ConnectionHandle> {
        &self.call.connection
    }
}

/// The invocation ids in use on a connection: a set created with the first (most connections
/// never have a call running while they read).
#[derive(Default)]
pub(super) struct InvocationIds(
    // Boxed on purpose: every connection holds this, few hold ids.
    #[allow(clippy::box_collection)] Option<Box<HashSet<Box<str>>>>,
);

impl InvocationIds {
    pub(super) fn contains(&self, id: &str) -> bool {
        self.0.as_ref().is_some_and(|ids| ids.contains(id))
    }

    pub(super) fn insert(&mut self, id: &str) {
        self.0.get_or_insert_default().insert(id.into());
    }

    pub(super) fn remove(&mut self, id: &str) {
        if let Some(ids) = &mut self.0 {
            ids.remove(id);
            if ids.is_empty() {
                self.0 = None;
            }
        }
    }
}
