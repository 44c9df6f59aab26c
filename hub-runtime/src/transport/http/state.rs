//! The HTTP side of one connection on Server-Sent Events or long polling: where POST bodies go
//! in, and where the connection's output waits for the event stream or the next poll.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use bytes::{Bytes, BytesMut};
use tokio::sync::{Notify, mpsc};

use crate::connection::{Closed, TransportType};

/// Output buffered for long polling beyond which the connection waits for the client to poll.
const MAX_POLL_BUFFER: usize = 1 << 20;

/// The HTTP side of a connection on SSE or long polling.
pub(crate) struct HttpEndpoint {
    pub(crate) kind: TransportType,
    pub(crate) post: mpsc::Sender<Bytes>,
    pub(crate) post_busy: AtomicBool,
    /// The client ended the connection (DELETE, or dropping the event stream).
    ended: AtomicBool,
    /// The client stopped polling for the disconnect timeout.
    timed_out: AtomicBool,
    ended_signal: Notify,
    sse: Option<mpsc::Sender<Bytes>>,
    pub(crate) poll: Option<PollState>,
}

/// Whether a long-polling client is still there: it is while a poll is open, and for the
/// disconnect timeout after its last poll ended.
#[derive(Default)]
pub(crate) struct PollActivity {
    pub(crate) active: AtomicBool,
    /// Milliseconds on the connection clock when a poll last started or ended.
    pub(crate) last_ms: AtomicU64,
}

pub(crate) struct PollState {
    pub(crate) buffer: Mutex<PollBuffer>,
    /// Data arrived, the connection ended, or a newer poll came.
    pub(crate) changed: Notify,
    /// A poll took the buffer.
    pub(crate) drained: Notify,
    pub(crate) activity: PollActivity,
}

#[derive(Default)]
pub(crate) struct PollBuffer {
    pub(crate) data: Vec<u8>,
    /// The connection ended: once the buffer is drained, polls get 204.
    pub(crate) finished: bool,
    /// Counts polls: a poll that sees a newer one return 204.
    pub(crate) generation: u64,
}

impl HttpEndpoint {
    pub(crate) fn new(
        kind: TransportType,
        post: mpsc::Sender<Bytes>,
        sse: Option<mpsc::Sender<Bytes>>,
    ) -> Self {
        HttpEndpoint {
            kind,
            post,
            post_busy: AtomicBool::new(false),
            ended: AtomicBool::new(false),
            timed_out: AtomicBool::new(false),
            ended_signal: Notify::new(),
            sse,
            poll: (kind == TransportType::LongPolling).then(|| PollState {
                buffer: Mutex::new(PollBuffer::default()),
                changed: Notify::new(),
                drained: Notify::new(),
                activity: PollActivity::default(),
            }),
        }
    }

    /// Resolves once the client ended the connection: DELETE or no polls (long polling), or
    /// dropping the event stream (Server-Sent Events). True when it timed out.
    pub(crate) async fn closed_by_client(&self) -> bool {
        if let Some(sse) = &self.sse {
            sse.closed().await;
            return false;
        }
        loop {
            let notified = self.ended_signal.notified();
            if self.timed_out.load(Ordering::Acquire) {
                return true;
            }
            if self.ended.load(Ordering::Acquire) {
                return false;
            }
            notified.await;
        }
    }

    /// The client sent DELETE: the connection ends, and the poll waiting now returns 204.
    pub(crate) fn delete(&self) {
        self.ended.store(true, Ordering::Release);
        self.ended_signal.notify_waiters();
        self.finish();
    }

    /// Closes a long-polling connection whose client has not polled for `timeout_ms`.
    pub(crate) fn time_out_if_idle(&self, now_ms: u64, timeout_ms: u64) {
        let Some(poll) = &self.poll else {
            return;
        };
        let activity = &poll.activity;
        let last_poll = activity.last_ms.load(Ordering::Relaxed);
        if !self.ended.load(Ordering::Acquire)
            && !self.timed_out.load(Ordering::Acquire)
            && !activity.active.load(Ordering::Acquire)
            && now_ms.saturating_sub(last_poll) >= timeout_ms
        {
            // The connection learns it first: what it writes then (its last message) still
            // waits for a poll, in case the client comes back for it.
            self.timed_out.store(true, Ordering::Release);
            self.ended_signal.notify_waiters();
        }
    }

    /// The event stream's queue (Server-Sent Events only).
    pub(crate) fn events(&self) -> Option<&mpsc::Sender<Bytes>> {
        self.sse.as_ref()
    }

    /// Adds bytes the connection wrote to what the next long poll returns, unless that is over
    /// its bound: `None` then, and [`write`](Self::write) waits for a poll.
    pub(crate) fn try_buffer(&self, bytes: &[u8]) -> Option<Result<(), Closed>> {
        let Some(poll) = &self.poll else {
            return Some(Err(Closed));
        };
        let mut buffer = poll.buffer.lock().unwrap_or_else(|e| e.into_inner());
        if buffer.finished {
            return Some(Err(Closed));
        }
        if buffer.data.len() >= MAX_POLL_BUFFER {
            return None;
        }
        buffer.data.extend_from_slice(bytes);
        drop(buffer);
        poll.changed.notify_waiters();
        Some(Ok(()))
    }

    /// Sends bytes the connection wrote to the client: an event (already formatted) on the
    /// event stream, or into the long-polling buffer once a poll made room.
    pub(crate) async fn write(&self, bytes: Vec<u8>) -> Result<(), Closed> {
        if let Some(sse) = &self.sse {
            return sse.send(Bytes::from(bytes)).await.map_err(|_| Closed);
        }
        let Some(poll) = &self.poll else {
            return Err(Closed);
        };
        loop {
            let drained = poll.drained.notified();
            {
                let mut buffer = poll.buffer.lock().unwrap_or_else(|e| e.into_inner());
                if buffer.finished {
                    return Err(Closed);
                }
                if buffer.data.len() < MAX_POLL_BUFFER {
                    buffer.data.extend_from_slice(&bytes);
                    poll.changed.notify_waiters();
                    return Ok(());
                }
            }
            // The client does not poll: wait (the connection's close signal still applies).
            drained.await;
        }
    }

    /// The connection ended: the SSE stream ends; polls get what is left, then 204.
    pub(crate) fn finish(&self) {
        if let Some(poll) = &self.poll {
            let mut buffer = poll.buffer.lock().unwrap_or_else(|e| e.into_inner());
            buffer.finished = true;
            poll.changed.notify_waiters();
            // A write waiting for the client to drain the buffer learns it never will.
            poll.drained.notify_waiters();
        }
    }

    /// Ends the connection like [`finish`](Self::finish), then, for long polling, waits until a
    /// poll took what is still buffered (the last message): the client polls again at once, and
    /// a server shutting down must not exit before that poll came. Ends when the client sends
    /// DELETE; the caller bounds the wait. Only for shutdowns: otherwise the token stays known
    /// for a while after the connection task ended, and a later poll still gets the data.
    pub(crate) async fn finish_and_drain(&self) {
        self.finish();
        let Some(poll) = &self.poll else {
            return;
        };
        loop {
            let drained = poll.drained.notified();
            let ended = self.ended_signal.notified();
            let empty = poll
                .buffer
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .data
                .is_empty();
            if empty || self.ended.load(Ordering::Acquire) {
                return;
            }
            tokio::select! {
                () = drained => {}
                () = ended => {}
            }
        }
    }
}

/// Appends one SSE event carrying `payload` to `event`: a `data:` line per line of it, then a
/// blank line.
pub(crate) fn sse_event(payload: &[u8], event: &mut BytesMut) {
    event.reserve(payload.len() + 16);
    for line in payload.split(|&b| b == b'\n') {
        event.extend_from_slice(b"data: ");
        event.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
        event.extend_from_slice(b"\r\n");
    }
    event.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_events() {
        let mut event = BytesMut::new();
        sse_event(b"{}\x1e", &mut event);
        assert_eq!(&event[..], b"data: {}\x1e\r\n\r\n");
        event.clear();
        sse_event(b"a\r\nb\nc", &mut event);
        assert_eq!(&event[..], b"data: a\r\ndata: b\r\ndata: c\r\n\r\n");
    }
}
