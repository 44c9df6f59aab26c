//! The server streams of one connection, polled by its task: only the streams that were woken
//! since they last had nothing, in the order they were woken (a stream that produced an item
//! goes to the back of the line, so no stream starves another that always has items), found
//! through a queue of ready streams rather than a scan, and by invocation id through a map: a
//! connection with many streams costs per event, not per stream.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use futures_util::StreamExt;
use futures_util::task::{ArcWake, AtomicWaker};

use super::server::{Driver, ServerStream, StreamEvent};

/// The streams that were woken, by slot, and the connection task to wake.
#[derive(Default)]
struct ReadyQueue {
    slots: Mutex<VecDeque<usize>>,
    task: AtomicWaker,
}

impl ReadyQueue {
    fn push(&self, slot: usize) {
        self.slots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(slot);
    }

    fn pop(&self) -> Option<usize> {
        self.slots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
    }
}

/// The waker a stream is polled with: queues the stream (once) and wakes the connection task.
struct StreamWake {
    slot: usize,
    queued: AtomicBool,
    ready: Arc<ReadyQueue>,
}

impl StreamWake {
    /// Puts the stream in line, unless it is already.
    fn enqueue(&self) {
        if !self.queued.swap(true, Ordering::AcqRel) {
            self.ready.push(self.slot);
        }
    }
}

impl ArcWake for StreamWake {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.enqueue();
        arc_self.ready.task.wake();
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
    /// The streams by slot; a slot is free (`None`) once its stream ended, and reused.
    slots: Vec<Option<Entry>>,
    free: Vec<usize>,
    /// The slot of each stream whose Completion is still to come, by invocation id.
    by_id: HashMap<Arc<str>, usize>,
    ready: Arc<ReadyQueue>,
}

impl ServerStreams {
    pub(crate) fn push(&mut self, stream: ServerStream) {
        let slot = self.free.pop().unwrap_or(self.slots.len());
        let wake = Arc::new(StreamWake {
            slot,
            queued: AtomicBool::new(false),
            ready: self.ready.clone(),
        });
        // Polled in the next turn.
        wake.enqueue();
        let waker = futures_util::task::waker(wake.clone());
        self.by_id.insert(stream.invocation_id.clone(), slot);
        let entry = Some(Entry {
            stream,
            wake,
            waker,
        });
        if slot == self.slots.len() {
            self.slots.push(entry);
        } else {
            self.slots[slot] = entry;
        }
    }

    /// How many streams have a Completion still to come.
    pub(crate) fn open(&self) -> usize {
        self.by_id.len()
    }

    /// The stream of `invocation_id` whose Completion is still to come.
    fn find(&mut self, invocation_id: &str) -> Option<&mut Entry> {
        let slot = *self.by_id.get(invocation_id)?;
        self.slots.get_mut(slot)?.as_mut()
    }

    /// Cancels the stream of `invocation_id` (see [`ServerStream::cancel`]); it is polled again
    /// to send its Completion.
    pub(crate) fn cancel(&mut self, invocation_id: &str) {
        if let Some(entry) = self.find(invocation_id) {
            entry.stream.cancel();
            entry.wake.enqueue();
        }
    }

    /// Ends the stream of `invocation_id` without a further event.
    pub(crate) fn abandon(&mut self, invocation_id: &str) {
        if let Some(entry) = self.find(invocation_id) {
            entry.stream.abandon();
            entry.wake.enqueue();
        }
    }

    /// The producers that observe their cancellation token, cancelled, to be driven to their
    /// end once the connection is gone; the others are dropped.
    pub(crate) fn into_draining(self) -> Vec<Driver> {
        self.slots
            .into_iter()
            .flatten()
            .filter_map(|entry| entry.stream.into_draining())
            .collect()
    }

    /// The next event of a ready stream, if any; otherwise the task is woken when one becomes
    /// ready. A stream that produced an event may have more: it goes to the back of the line.
    pub(crate) fn next(&mut self, cx: &Context<'_>) -> Option<StreamOutput> {
        self.ready.task.register(cx.waker());
        while let Some(slot) = self.ready.pop() {
            let Some(Some(entry)) = self.slots.get_mut(slot) else {
                continue;
            };
            // Cleared before the poll: a wake-up during or after it queues the stream again.
            entry.wake.queued.store(false, Ordering::Release);
            let mut cx = Context::from_waker(&entry.waker);
            let polled = entry.stream.poll_next_unpin(&mut cx);
            let done = entry.stream.is_done();
            if let Poll::Ready(Some(output)) = polled {
                if let StreamEvent::End(_) = &output.2 {
                    // Its Completion goes out now: the id may be used again.
                    self.forget_id(slot);
                }
                if done {
                    self.release(slot);
                } else if let Some(Some(entry)) = self.slots.get(slot) {
                    // It may have more (or a producer to drain).
                    entry.wake.enqueue();
                }
                return Some(output);
            }
            if done {
                self.release(slot);
            }
        }
        None
    }

    /// Forgets the invocation id of the stream in `slot` (a newer stream may have it by now).
    fn forget_id(&mut self, slot: usize) {
        let Some(Some(entry)) = self.slots.get(slot) else {
            return;
        };
        let id = entry.stream.invocation_id.clone();
        if self.by_id.get(&id) == Some(&slot) {
            self.by_id.remove(&id);
        }
    }

    /// Frees the slot of a stream that ended (and whose producer, if it drains, finished).
    fn release(&mut self, slot: usize) {
        self.forget_id(slot);
        self.slots[slot] = None;
        self.free.push(slot);
    }
}
