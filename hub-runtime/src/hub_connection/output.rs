//! What a hub connection writes: the frames of its queue, in batches with one flush each, and
//! the frames of its server streams' events.

use std::task::{Context, Poll, ready};

use super::state::{HubConnection, MAX_BATCH};
use crate::connection::{Closed, Frame};
use crate::lifetime::frame;
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

impl HubConnection {
    /// The StreamItem or Completion for a stream event.
    pub(super) fn stream_frame(
        &mut self,
        id: &str,
        method: &'static str,
        event: StreamEvent,
    ) -> Frame {
        let detailed = self.runtime.options.detailed_errors;
        let failure_text = |failure: StreamFailure| {
            if !failure.error.is_hub_exception() {
                tracing::warn!(method, error = %failure.error, "stream failed");
            }
            failure.client_text(method, detailed)
        };
        let protocol = self.protocol;
        let bytes = match event {
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
        };
        frame(protocol, bytes)
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
            }
            self.io.start_send(frame)?;
            fed += 1;
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
