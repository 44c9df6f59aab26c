//! The outbound queue of one connection: bounded in bytes, never blocking a sender, and
//! allocating nothing while empty (an idle connection holds no buffer for messages it is not
//! sent).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;

use crate::connection::Frame;

/// Why a frame was not queued.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PushError {
    /// The queue holds its limit in bytes: the client does not take what it is sent.
    Full,
    /// The connection ended.
    Closed,
}

pub(crate) struct OutboundQueue {
    frames: Mutex<Queued>,
    /// How many frames are queued, kept with `frames` under its lock: the consumer sees an
    /// empty queue without taking the lock (most looks find it empty).
    len: AtomicUsize,
    /// The bytes of others' frames the queue holds at most.
    limit: usize,
    /// The connection task, the only consumer, while it waits for a frame.
    consumer: AtomicWaker,
}

struct Queued {
    /// Each frame, and whether the connection's own task queued it.
    frames: VecDeque<(Frame, bool)>,
    /// What the frames others queued cost (their bytes and their slots): what the limit
    /// bounds.
    others: usize,
    /// The slots a queue that gave its memory back takes at once when frames come again (it
    /// had that many): a burst costs one allocation, not a reallocation per doubling.
    regrow: usize,
    closed: bool,
}

impl Queued {
    fn push(&mut self, frame: Frame, own: bool) {
        if self.frames.capacity() == 0 && self.regrow > 0 {
            self.frames.reserve_exact(self.regrow);
        }
        self.frames.push_back((frame, own));
    }
}

/// What one queued frame costs besides its bytes: its slot in the queue.
const SLOT: usize = std::mem::size_of::<(Frame, bool)>();

/// What a frame counts against the limit.
fn cost(frame: &Frame) -> usize {
    frame.as_bytes().len() + SLOT
}

/// A queue that grew beyond this many slots gives its memory back once drained.
const KEEP_SLOTS: usize = 16;

/// The most slots a queue takes at once when frames come again.
const MAX_REGROW: usize = 1024;

impl OutboundQueue {
    /// A queue that holds at most `limit` bytes of others' frames (one frame always fits).
    pub(crate) fn new(limit: usize) -> Self {
        OutboundQueue {
            frames: Mutex::new(Queued {
                frames: VecDeque::new(),
                others: 0,
                regrow: 0,
                closed: false,
            }),
            len: AtomicUsize::new(0),
            limit,
            consumer: AtomicWaker::new(),
        }
    }

    /// Queues a frame without waiting.
    pub(crate) fn push(&self, frame: Frame) -> Result<(), PushError> {
        {
            let mut queued = self.frames.lock().unwrap_or_else(|e| e.into_inner());
            if queued.closed {
                return Err(PushError::Closed);
            }
            let cost = cost(&frame);
            if queued.others > 0 && queued.others + cost > self.limit {
                return Err(PushError::Full);
            }
            queued.push(frame, false);
            queued.others += cost;
            self.len.store(queued.frames.len(), Ordering::SeqCst);
        }
        self.consumer.wake();
        Ok(())
    }

    /// Queues a frame from the consumer's own task: no wake-up (it writes the queue before it
    /// waits again), no limit check, and not counted against the limit of others' pushes
    /// (the answers of its calls and its stream items, which it produces only as fast as it
    /// reads and writes, must not cost a reading client its connection).
    pub(crate) fn push_own(&self, frame: Frame) {
        let mut queued = self.frames.lock().unwrap_or_else(|e| e.into_inner());
        if !queued.closed {
            queued.push(frame, true);
            self.len.store(queued.frames.len(), Ordering::SeqCst);
        }
    }

    /// The next frame, if one is queued.
    pub(crate) fn try_pop(&self) -> Option<Frame> {
        // A push that this misses wakes the consumer after it stored the new length.
        if self.is_empty() {
            return None;
        }
        let mut queued = self.frames.lock().unwrap_or_else(|e| e.into_inner());
        let (frame, own) = queued.frames.pop_front()?;
        self.len.store(queued.frames.len(), Ordering::SeqCst);
        if !own {
            queued.others -= cost(&frame);
        }
        if queued.frames.is_empty() && queued.frames.capacity() > KEEP_SLOTS {
            queued.regrow = queued.frames.capacity().min(MAX_REGROW);
            queued.frames = VecDeque::new();
        }
        Some(frame)
    }

    /// Whether no frame is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.len.load(Ordering::SeqCst) == 0
    }

    /// Ready once a frame is queued; when none is, the task is woken by the next push. Only one
    /// task may wait at a time (the connection's own).
    pub(crate) fn poll_queued(&self, cx: &mut Context<'_>) -> Poll<()> {
        if !self.is_empty() {
            return Poll::Ready(());
        }
        self.consumer.register(cx.waker());
        // A push between the first look and the registration woke nobody: look again.
        if self.is_empty() {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }

    /// Refuses further frames and drops the queued ones.
    pub(crate) fn close(&self) {
        let mut queued = self.frames.lock().unwrap_or_else(|e| e.into_inner());
        queued.closed = true;
        queued.frames = VecDeque::new();
        queued.others = 0;
        self.len.store(0, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &str) -> Frame {
        Frame::text(text)
    }

    /// Room for `n` one-byte frames.
    fn room(n: usize) -> usize {
        n * (1 + SLOT)
    }

    #[tokio::test]
    async fn bounded_ordered_and_closable() {
        let queue = OutboundQueue::new(room(2));
        assert_eq!(queue.push(frame("a")), Ok(()));
        assert_eq!(queue.push(frame("b")), Ok(()));
        assert_eq!(queue.push(frame("c")), Err(PushError::Full));
        std::future::poll_fn(|cx| queue.poll_queued(cx)).await;
        assert_eq!(queue.try_pop().unwrap().as_bytes(), b"a");
        assert_eq!(queue.try_pop().unwrap().as_bytes(), b"b");
        assert!(queue.try_pop().is_none());
        queue.close();
        assert_eq!(queue.push(frame("d")), Err(PushError::Closed));
    }

    /// Frames the connection queues itself (call answers, stream items) neither wait for room
    /// nor take the room of others' frames, in whatever order they mix.
    #[test]
    fn own_frames_do_not_count_against_the_limit() {
        let queue = OutboundQueue::new(room(2));
        for i in 0..300 {
            queue.push_own(frame(&format!("own {i}")));
        }
        assert_eq!(queue.push(frame("a")), Ok(()));
        queue.push_own(frame("own last"));
        assert_eq!(queue.push(frame("b")), Ok(()));
        assert_eq!(queue.push(frame("c")), Err(PushError::Full));
        let mut order = Vec::new();
        while let Some(frame) = queue.try_pop() {
            order.push(String::from_utf8(frame.as_bytes().to_vec()).unwrap());
        }
        assert_eq!(order.len(), 303);
        assert_eq!(order[299..], ["own 299", "a", "own last", "b"]);
        // Popping the others' frames gave their room back.
        assert_eq!(queue.push(frame("c")), Ok(()));
        assert_eq!(queue.push(frame("d")), Ok(()));
        assert_eq!(queue.push(frame("e")), Err(PushError::Full));
    }

    #[tokio::test]
    async fn a_waiting_receiver_is_woken() {
        let queue = std::sync::Arc::new(OutboundQueue::new(room(4)));
        let waiter = tokio::spawn({
            let queue = queue.clone();
            async move {
                std::future::poll_fn(|cx| queue.poll_queued(cx)).await;
                queue.try_pop().unwrap()
            }
        });
        tokio::task::yield_now().await;
        queue.push(frame("x")).unwrap();
        let got = tokio::time::timeout(std::time::Duration::from_secs(2), waiter)
            .await
            .expect("woken")
            .unwrap();
        assert_eq!(got.as_bytes(), b"x");
    }

    /// The limit is in bytes, not frames: many small frames fit where a few large ones do not,
    /// and one frame larger than the whole limit still goes to a client with nothing pending.
    #[test]
    fn the_limit_counts_bytes() {
        let queue = OutboundQueue::new(10_000);
        for _ in 0..100 {
            assert_eq!(queue.push(frame("x")), Ok(()));
        }
        while queue.try_pop().is_some() {}
        let big = "y".repeat(4_000);
        assert_eq!(queue.push(frame(&big)), Ok(()));
        assert_eq!(queue.push(frame(&big)), Ok(()));
        assert_eq!(queue.push(frame(&big)), Err(PushError::Full));
        while queue.try_pop().is_some() {}
        let huge = "z".repeat(50_000);
        assert_eq!(queue.push(frame(&huge)), Ok(()));
        assert_eq!(queue.push(frame("x")), Err(PushError::Full));
    }

    #[test]
    fn an_empty_queue_holds_no_memory() {
        let queue = OutboundQueue::new(1 << 20);
        for i in 0..100 {
            queue.push(frame(&i.to_string())).unwrap();
        }
        while queue.try_pop().is_some() {}
        assert_eq!(queue.frames.lock().unwrap().frames.capacity(), 0);
    }
}
