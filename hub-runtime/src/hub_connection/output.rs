//! What a hub connection writes: the frames of its queue, in batches with one flush each, and
//! the frames of its server streams' events.

use std::cell::RefCell;
use std::task::{Context, Poll, ready};

use super::state::{HubConnection, MAX_BATCH};
use crate::connection::{Closed, Frame};
use crate::lifetime::OutboundQueue;
use crate::model::HubError;
use crate::stream::{StreamEvent, StreamFailure};

/// How a write stands after [`HubConnection::poll_write`].
pub(super) enum Writing {
    /// Frames went out (the queue may hold more).
    Wrote,
    /// Everything queued is written and flushed.
    Done,
    /// The transport cannot take more yet: it wakes the task when it can.
    Blocked,
}

/// How many bytes of queued messages one transport message carries at most (and one message
/// more): several small hub messages in one WebSocket message (or SSE event) cost the transport
/// one frame instead of one each. The protocol allows it, ASP.NET does it (it writes what its
/// pipe holds), and every official client reads it.
const COALESCE_BYTES: usize = 16 * 1024;

/// `first` and, while they are small, the frames queued behind it (up to `most` in all) as one
/// frame; how many hub messages it carries. (Not with stateful reconnect, which numbers and
/// buffers the frames one by one.)
fn coalesce(first: Frame, queue: &OutboundQueue, most: usize) -> (Frame, usize) {
    if most < 2 || first.as_bytes().len() >= COALESCE_BYTES || queue.is_empty() {
        return (first, 1);
    }
    thread_local! {
        /// The frames being joined (kept by the thread, so that no connection keeps room).
        static TAKEN: RefCell<Vec<Frame>> = const { RefCell::new(Vec::new()) };
    }
    TAKEN.with(|taken| {
        // Taken first and joined into one allocation of the exact size: growing the joined
        // frame as they come reallocated it a few times per write.
        let mut taken = taken.borrow_mut();
        let first_len = first.as_bytes().len();
        let len = first_len + queue.pop_into(&mut taken, most - 1, COALESCE_BYTES - first_len);
        let count = 1 + taken.len();
        let joined = if first.is_text() {
            let mut joined = String::with_capacity(len);
            for frame in std::iter::once(&first).chain(taken.iter()) {
                // A connection's frames are all text or all binary (its protocol's).
                match frame.as_text() {
                    Some(text) => joined.push_str(text),
                    None => joined.push_str(&String::from_utf8_lossy(frame.as_bytes())),
                }
            }
            Frame::text(joined)
        } else {
            let mut joined = Vec::with_capacity(len);
            for frame in std::iter::once(&first).chain(taken.iter()) {
                joined.extend_from_slice(frame.as_bytes());
            }
            Frame::binary(joined)
        };
        taken.clear();
        (joined, count)
    })
}

impl HubConnection {
    /// The StreamItem or Completion for a stream event, encoded (framed).
    pub(super) fn stream_bytes(
        &mut self,
        id: &str,
        method: &'static str,
        event: StreamEvent,
    ) -> Vec<u8> {
        let detailed = self.runtime.options.detailed_errors;
        let failure_text = |failure: StreamFailure| {
            if !failure.error.is_hub_exception() {
                tracing::warn!(method, error = %failure.error, "stream failed");
            }
            failure.client_text(method, detailed)
        };
        let protocol = self.protocol;
        match event {
            StreamEvent::Item(item) => match protocol.stream_item(id, &item) {
                Ok(bytes) => bytes,
                Err(err) => {
                    // The item cannot be sent: end the stream with this error Completion.
                    if let Some(streams) = &mut self.streams {
                        streams.abandon(id);
                    }
                    self.ids.remove(id);
                    let failure =
                        StreamFailure::new(HubError::internal("SerializationException", err), true);
                    protocol.completion_error(id, &failure_text(failure))
                }
            },
            StreamEvent::End(Ok(())) => protocol.completion_void(id),
            StreamEvent::End(Err(failure)) => protocol.completion_error(id, &failure_text(failure)),
        }
    }

    /// Writes what is queued, up to a batch, with a single flush.
    pub(super) fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<Result<Writing, Closed>> {
        if self.flushing {
            ready!(self.io.poll_flush(cx))?;
            self.flushing = false;
            self.call.connection.mark_written();
        }
        let queue = &self.call.connection.outbound;
        let mut fed = 0;
        while fed < MAX_BATCH {
            if let Some(sequencing) = &mut self.sequencing {
                // Acks, and after a reconnect what is sent again, before anything queued.
                if sequencing.has_direct() {
                    if self.io.poll_ready(cx)?.is_pending() {
                        break;
                    }
                    if let Some(frame) = sequencing.next_direct() {
                        self.io.start_send(frame)?;
                        fed += 1;
                    }
                    continue;
                }
                // Over the budget of unacknowledged bytes: the queue waits for an Ack (read by
                // this task, which then writes again).
                if sequencing.is_full() {
                    if fed == 0 {
                        return Poll::Ready(Ok(Writing::Done));
                    }
                    break;
                }
            }
            if fed == 0 {
                // Registers the task for the next frame when none is queued.
                if queue.poll_queued(cx).is_pending() {
                    return Poll::Ready(Ok(Writing::Done));
                }
            } else if queue.is_empty() {
                break;
            }
            if self.io.poll_ready(cx)?.is_pending() {
                break;
            }
            // Empty only if the connection was closed meanwhile.
            let Some(frame) = queue.try_pop() else {
                break;
            };
            if let Some(sequencing) = &mut self.sequencing {
                sequencing.sending(self.protocol, &frame);
                self.io.start_send(frame)?;
                fed += 1;
                continue;
            }
            let (frame, count) = coalesce(frame, queue, MAX_BATCH - fed);
            self.io.start_send(frame)?;
            fed += count;
        }
        if fed == 0 {
            // The transport is still writing earlier frames: flushing them is what comes next.
            self.flushing = true;
            self.call.connection.mark_write_blocked();
            return Poll::Ready(Ok(Writing::Blocked));
        }
        self.runtime.metrics.sent.increment(fed as u64);
        self.flushing = true;
        if self.io.poll_flush(cx)?.is_pending() {
            self.call.connection.mark_write_blocked();
            return Poll::Ready(Ok(Writing::Blocked));
        }
        self.flushing = false;
        self.call.connection.mark_written();
        Poll::Ready(Ok(Writing::Wrote))
    }

    /// Writes everything queued.
    pub(super) fn poll_write_all(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        loop {
            match ready!(self.poll_write(cx))? {
                Writing::Wrote => {}
                Writing::Done => return Poll::Ready(Ok(())),
                Writing::Blocked => return Poll::Pending,
            }
        }
    }
}
