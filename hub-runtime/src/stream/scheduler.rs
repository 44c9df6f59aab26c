//! The server streams of one connection, polled by its task in rounds: only the streams that were
//! woken since they last had nothing (as `FuturesUnordered` would, without re-queueing a stream
//! after every item), starting each turn where the previous one stopped, so that no stream is
//! starved by another that always has items.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};

use futures_util::StreamExt;
use futures_util::task::{ArcWake, AtomicWaker};

use super::server::{Driver, ServerStream, StreamEvent};

/// The waker a stream is polled with: marks the stream ready and wakes the connection task.
struct StreamWake {
    ready: AtomicBool,
    task: Arc<AtomicWaker>,
}

impl ArcWake for StreamWake {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.ready.store(true, Ordering::Release);
        arc_self.task.wake();
    }
}

struct Entry {
    stream: ServerStream,
    wake: Arc<StreamWake>,
    waker: Waker,
}

/// What one stream produced: its invocation id, method and event.
pub(crate) type StreamOutput = (Arc<str>, &'static str, StreamEvent);

/// Created with a connection's first stream (kept boxed by the connection: most have none).
#[derive(Default)]
pub(crate) struct ServerStreams {
    entries: Vec<Entry>,
    /// The connection task's waker, shared by the streams' wakers.
    task: Arc<AtomicWaker>,
    /// Where the next turn starts.
    cursor: usize,
}

/// One turn over the streams: where its rounds start, how far the current round got, whether
/// it produced anything, and the last stream that did.
pub(crate) struct Turn {
    start: usize,
    position: usize,
    round_progress: bool,
    last: Option<usize>,
}

impl ServerStreams {
    pub(crate) fn push(&mut self, stream: ServerStream) {
        let wake = Arc::new(StreamWake {
            // Polled in the next turn.
            ready: AtomicBool::new(true),
            task: self.task.clone(),
        });
        let waker = futures_util::task::waker(wake.clone());
        self.entries.push(Entry {
            stream,
            wake,
            waker,
        });
    }

    /// Whether a stream whose Completion is still to come has this invocation id.
    pub(crate) fn has_open(&self, invocation_id: &str) -> bool {
        self.entries
            .iter()
            .any(|entry| entry.stream.is_open() && &*entry.stream.invocation_id == invocation_id)
    }

    /// The producers that observe their cancellation token, cancelled, to be driven to their
    /// end once the connection is gone; the others are dropped.
    pub(crate) fn into_draining(self) -> Vec<Driver> {
        self.entries
            .into_iter()
            .filter_map(|entry| entry.stream.into_draining())
            .collect()
    }

    /// Cancels the streams of `invocation_id` (see [`ServerStream::cancel`]); each is polled
    /// again to send its Completion.
    pub(crate) fn cancel(&mut self, invocation_id: &str) {
        for entry in &mut self.entries {
            if &*entry.stream.invocation_id == invocation_id {
                entry.stream.cancel();
                entry.wake.ready.store(true, Ordering::Release);
            }
        }
    }

    /// Ends the streams of `invocation_id` without a further event.
    pub(crate) fn abandon(&mut self, invocation_id: &str) {
        for entry in &mut self.entries {
            if &*entry.stream.invocation_id == invocation_id {
                entry.stream.abandon();
            }
        }
    }

    /// Starts a turn: the task is woken by any stream that becomes ready from now on.
    pub(crate) fn begin_turn(&mut self, cx: &Context<'_>) -> Turn {
        self.task.register(cx.waker());
        Turn {
            start: self.cursor % self.entries.len().max(1),
            position: 0,
            round_progress: false,
            last: None,
        }
    }

    /// The next event of this turn: in rounds over the ready streams, one event of each per
    /// round, until a whole round produced nothing.
    pub(crate) fn next(&mut self, turn: &mut Turn) -> Option<StreamOutput> {
        let n = self.entries.len();
        if n == 0 {
            return None;
        }
        loop {
            if turn.position == n {
                if !turn.round_progress {
                    return None;
                }
                turn.position = 0;
                turn.round_progress = false;
            }
            let index = (turn.start + turn.position) % n;
            turn.position += 1;
            let entry = &mut self.entries[index];
            // Cleared before the poll: a wake-up during or after it marks the stream again.
            if !entry.wake.ready.swap(false, Ordering::AcqRel) {
                continue;
            }
            let mut cx = Context::from_waker(&entry.waker);
            match entry.stream.poll_next_unpin(&mut cx) {
                Poll::Ready(Some(output)) => {
                    // It may have more: polled again in the next round.
                    entry.wake.ready.store(true, Ordering::Release);
                    turn.round_progress = true;
                    turn.last = Some(index);
                    return Some(output);
                }
                // Ended streams leave in `end_turn`.
                Poll::Ready(None) | Poll::Pending => {}
            }
        }
    }

    /// Ends a turn: the next one starts after the last stream served; ended streams leave.
    pub(crate) fn end_turn(&mut self, turn: Turn) {
        if let Some(last) = turn.last {
            self.cursor = last + 1;
        }
        self.entries.retain(|entry| !entry.stream.is_done());
    }
}
