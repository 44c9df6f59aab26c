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

/// `frames` and `len` fill one cache line, the rest starts the next (see
/// [`ConnectionHandle`](super::ConnectionHandle)'s layout).
#[repr(C)]
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
    regrow: u32,
    closed: bool,
}

impl Queued {
    fn push(&mut self, frame: Frame, own: bool) {
        if self.frames.capacity() == 0 && self.regrow > 0 {
            self.frames.reserve_exact(self.regrow as usize);
        }
        self.frames.push_back((frame, own));
    }

    fn pop(&mut self) -> Option<Frame> {
        let (frame, own) = self.frames.pop_front()?;
        if !own {
            self.others -= cost(&frame);
        }
        Some(frame)
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
const MAX_REGROW: u32 = 1024;

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
        let frame = queued.pop();
        self.popped(&mut queued);
        frame
    }

    /// Moves queued frames to `into` under one lock, while fewer than `most` were moved and
    /// their bytes are under `bytes`; the bytes moved.
    pub(crate) fn pop_into(&self, into: &mut Vec<Frame>, most: usize, bytes: usize) -> usize {
        if self.is_empty() {
            return 0;
        }
        let mut queued = self.frames.lock().unwrap_or_else(|e| e.into_inner());
        let mut moved = 0;
        for _ in 0..most {
            if moved >= bytes {
                break;
            }
            let Some(frame) = queued.pop() else { break };
            moved += frame.as_bytes().len();
            into.push(frame);
        }
        self.popped(&mut queued);
        moved
    }

    /// After frames were taken: the new length, and the memory of a large drained queue given
    /// back.
    fn popped(&self, queued: &mut Queued) {
        self.len.store(queued.frames.len(), Ordering::SeqCst);
        if queued.frames.is_empty() && queued.frames.capacity() > KEEP_SLOTS {
            queued.regrow = queued.frames.capacity().min(MAX_REGROW as usize) as u32;
            queued.frames = VecDeque::new();
        }
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

    /// Several frames taken under one lock stop at the count or once the bytes reach the
    /// budget, in order, and give the room of others' frames back.
    #[test]
    fn frames_are_taken_together_within_a_count_and_bytes() {
        let queue = OutboundQueue::new(room(4));
        for text in ["a", "b", "c", "d"] {
            queue.push(frame(text)).unwrap();
        }
        queue.push_own(frame("own"));
        let mut taken = Vec::new();
        assert_eq!(queue.pop_into(&mut taken, 2, 100), 2);
        assert_eq!(queue.pop_into(&mut taken, 10, 2), 2);
        let texts: Vec<_> = taken.iter().map(|f| f.as_text().unwrap()).collect();
        assert_eq!(texts, ["a", "b", "c", "d"]);
        assert_eq!(queue.push(frame("e")), Ok(()));
        assert_eq!(queue.pop_into(&mut taken, 10, 100), 4);
        assert_eq!(taken.last().unwrap().as_text(), Some("e"));
        assert!(queue.is_empty());
        assert_eq!(queue.pop_into(&mut taken, 10, 100), 0);
    }

    /// The lock with what it guards, and the length, fill the first cache line; what a
    /// delivery reads besides fits in the next with the handle's protocol.
    #[test]
    fn a_delivery_reads_two_cache_lines() {
        assert!(std::mem::size_of::<Mutex<Queued>>() + std::mem::size_of::<AtomicUsize>() <= 64);
        assert!(std::mem::size_of::<OutboundQueue>() < 128);
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
