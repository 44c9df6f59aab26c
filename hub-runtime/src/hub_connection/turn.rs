//! The loop of a hub connection: every source in priority order, one turn after another.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::StreamExt;

use super::ending::{CLOSE_WRITE_TIMEOUT, End};
use super::output::Writing;
use super::state::{
    HubConnection, MAX_BATCH, MAX_QUEUED_CALLS, MESSAGES_PER_POLL, STREAM_BYTES_PER_TURN,
};
use crate::connection::{Closed, ConnectionError, Event};
use crate::dispatch::Finished;
use crate::lifetime::CloseReason;
use crate::lifetime::frame;
use crate::protocol::ProtocolError;
use crate::stream::StreamEvent;

/// What one step of the connection loop did.
enum Step {
    /// Something happened: look at every source again.
    Progress,
    /// Nothing to do here until this source wakes the task.
    Idle,
}

/// Turns of the loop within one poll of the task before it yields to the others.
const TURNS_PER_POLL: usize = 32;

impl HubConnection {
    /// Runs the connection until it ends.
    ///
    /// A hand-written poll loop rather than `select!` over futures: its state is this struct
    /// alone, with no read, write or signal futures kept for an idle connection.
    pub(super) async fn run(&mut self) -> End {
        // Messages that came in the same frame as the handshake.
        if let Err(end) = self.receive(&[]) {
            return end;
        }
        let end = std::future::poll_fn(|cx| self.poll_turns(cx)).await;
        if let End::Server(reason) = end {
            // Whatever was queued before the close still goes out first, if the client reads it
            // in time: not to a slow client, nor while a write is already stuck (the Close
            // message gets its own time after this). Boxed: rare, and it would make every idle
            // connection's state larger.
            if reason != CloseReason::SlowClient && !self.flushing {
                let last_writes = tokio::time::timeout(
                    CLOSE_WRITE_TIMEOUT,
                    std::future::poll_fn(|cx| self.poll_write_all(cx)),
                );
                let _ = Box::pin(last_writes).await;
            }
        }
        end
    }

    /// Turns of the loop until the connection ends, nothing is ready, or the turns of this poll
    /// are used up.
    fn poll_turns(&mut self, cx: &mut Context<'_>) -> Poll<End> {
        self.budget = MESSAGES_PER_POLL;
        for _ in 0..TURNS_PER_POLL {
            match self.turn(cx) {
                Ok(Step::Progress) => {}
                Ok(Step::Idle) => return Poll::Pending,
                Err(end) => return Poll::Ready(end),
            }
            if self.budget == 0 {
                break;
            }
        }
        // Busy: let the other connections run, then go on.
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// One turn: every source in priority order. Each source that has nothing for now has
    /// registered the task's waker; one that was not polled (reads while a write is blocked,
    /// say) is polled again after the progress that unblocks it.
    fn turn(&mut self, cx: &mut Context<'_>) -> Result<Step, End> {
        if let Poll::Ready(reason) = self.handle().poll_closed(cx) {
            return Err(End::Server(reason));
        }
        let mut step = Step::Idle;
        if let Some(connecting) = &mut self.connecting {
            if let Poll::Ready(result) = connecting.as_mut().poll(cx) {
                self.connecting = None;
                if let Err(error) = result {
                    return Err(End::ConnectFailed(error));
                }
                self.start_queued();
                step = Step::Progress;
            }
        }
        if let Some(blocked) = &mut self.blocked {
            if blocked.as_mut().poll(cx).is_ready() {
                self.blocked = None;
                self.receive(&[])?;
                step = Step::Progress;
            }
        } else if self.input_pending && self.budget > 0 {
            // Messages a burst left for this poll.
            self.receive(&[])?;
            step = Step::Progress;
        }
        if self.poll_running(cx) {
            step = Step::Progress;
        }
        // While a write is blocked nothing new is read or produced: the client that does not
        // read is held back rather than its queue filled.
        let write_blocked = self.flushing;
        if !write_blocked {
            let reading = self.blocked.is_none()
                && !self.input_pending
                && self.budget > 0
                && self.queued.len() < MAX_QUEUED_CALLS;
            if reading {
                if let Poll::Ready(event) = self.io.poll_event(cx) {
                    self.handle().mark_read();
                    match event {
                        Event::Frame(frame) => match frame.as_text() {
                            Some(text) => self.receive_text(text)?,
                            None => self.receive(frame.as_bytes())?,
                        },
                        Event::Closed => return Err(End::ClientClosed(None)),
                        Event::Failed(ConnectionError::TooLarge) => return Err(self.too_large()),
                        Event::Failed(ConnectionError::TimedOut) => {
                            return Err(End::Server(CloseReason::ClientTimeout));
                        }
                        Event::Reattached => self.reconnected(),
                    }
                    step = Step::Progress;
                }
            }
            if self.poll_streams(cx) {
                step = Step::Progress;
            }
        }
        // Calls this turn started that did not finish on their first poll (an asynchronous
        // method at its first `.await`) are polled again now, with the task's waker: one that
        // finishes right away (a yield, a ready channel) is answered in this turn's write, not
        // after another turn and another read of the transport, and never enters the set of
        // waiting calls.
        if self.poll_started(cx) {
            step = Step::Progress;
        }
        if let Some(sequencing) = &mut self.sequencing {
            if sequencing.poll_ack(cx, self.protocol) {
                step = Step::Progress;
            }
        }
        // Last, so that what this turn read and ran goes out in this turn's flush.
        match self.poll_write(cx) {
            Poll::Ready(Ok(Writing::Wrote)) => step = Step::Progress,
            // The flush that held reading back completed: read now.
            Poll::Ready(Ok(Writing::Done)) if write_blocked => step = Step::Progress,
            Poll::Ready(Ok(Writing::Done | Writing::Blocked)) | Poll::Pending => {}
            Poll::Ready(Err(Closed)) => return Err(End::ClientClosed(None)),
        }
        Ok(step)
    }

    /// Polls the waiting calls that woke; one that finished gets its Completion, and the calls
    /// queued behind it may start. Whether one finished.
    fn poll_running(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(running) = &mut self.running else {
            return false;
        };
        // Empty after every call finished soon after it started (no waker to register then:
        // a call that waits is put here after a poll with the task's own waker).
        if running.waiting.is_empty() {
            return false;
        }
        let Poll::Ready(Some(finished)) = running.waiting.poll_next_unpin(cx) else {
            return false;
        };
        self.finished(finished);
        true
    }

    /// Polls the calls started since the last time once more; those still pending wait in the
    /// set of waiting calls (which polls each once more, then when it woke). Whether one
    /// finished.
    fn poll_started(&mut self, cx: &mut Context<'_>) -> bool {
        let mut any = false;
        // Finishing one may start others: they are polled too.
        while let Some(running) = &mut self.running {
            // In the order they started.
            let Some(mut call) = running.started.pop_front() else {
                break;
            };
            match Pin::new(&mut call).poll(cx) {
                Poll::Ready(finished) => {
                    self.finished(finished);
                    any = true;
                }
                Poll::Pending => running.waiting.push(call),
            }
        }
        any
    }

    /// A running call finished: its Completion, and the calls queued behind it may start.
    fn finished(&mut self, finished: Finished) {
        if finished.limited {
            self.limited_running -= 1;
        }
        // After whatever the call sent to its caller before it finished.
        if let Some(frame) = self.completion(finished) {
            self.handle().push_own(frame);
        }
        self.start_queued();
    }

    /// Up to a write batch of stream events (at most [`MAX_BATCH`] frames, or
    /// [`STREAM_BYTES_PER_TURN`] bytes), so that they share one flush (see
    /// [`ServerStreams`](crate::stream::ServerStreams)). The bytes bound keeps producers at most
    /// one such batch ahead of a socket that stopped taking data.
    ///
    /// The events of a batch go out as one frame of several hub messages (one transport message
    /// for all of them), except with stateful reconnect, which numbers frames one by one.
    fn poll_streams(&mut self, cx: &mut Context<'_>) -> bool {
        let join = self.sequencing.is_none();
        let mut joined: Vec<u8> = Vec::new();
        let mut count = 0;
        let mut total = 0;
        for _ in 0..MAX_BATCH {
            let Some(streams) = &mut self.streams else {
                break;
            };
            let Some((id, method, event)) = streams.next(cx) else {
                break;
            };
            if let StreamEvent::End(_) = &event {
                self.ids.remove(&id);
            }
            let bytes = self.stream_bytes(&id, method, event);
            count += 1;
            total += bytes.len();
            if !join {
                self.handle().push_own(frame(self.protocol, bytes));
            } else if joined.is_empty() {
                joined = bytes;
            } else {
                joined.extend_from_slice(&bytes);
            }
            if total >= STREAM_BYTES_PER_TURN {
                break;
            }
        }
        if !joined.is_empty() {
            self.handle().push_own(frame(self.protocol, joined));
            // The write counts the frame as one message; it carries `count`.
            self.runtime.metrics.sent.increment(count as u64 - 1);
        }
        count > 0
    }

    /// The client connected again (stateful reconnect): the part of a message the lost socket
    /// left is dropped (the client sends it again), and what it did not acknowledge goes out
    /// again first.
    fn reconnected(&mut self) {
        tracing::debug!(connection_id = %self.handle().id(), "reconnected");
        self.input.clear();
        self.input_pending = false;
        self.flushing = false;
        if let Some(sequencing) = &mut self.sequencing {
            sequencing.reconnected(self.protocol);
        }
    }

    /// A WebSocket message beyond the transport's limit.
    fn too_large(&self) -> End {
        match self.runtime.options.maximum_receive_message_size {
            Some(max) => End::Protocol(ProtocolError::MessageTooLarge { max }),
            None => End::ClientClosed(None),
        }
    }
}
