//! Server-Sent Events or long polling under a connection: bytes come from POST requests, go out
//! through the event stream or the polls.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc::error::TrySendError;

use super::state::{HttpEndpoint, sse_event};
use crate::connection::{Closed, ConnectionError, Frame, IoFuture, Received, TransportIo};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Room a connection's write buffers keep between writes: what a burst needed beyond it is
/// given back.
const KEEP_CAPACITY: usize = 16 << 10;

/// Empties `buffer` for the next write, keeping its room unless a burst made it large.
fn clear(buffer: &mut Vec<u8>) {
    if buffer.capacity() > KEEP_CAPACITY {
        *buffer = Vec::new();
    } else {
        buffer.clear();
    }
}

pub(crate) struct HttpIo {
    endpoint: Arc<HttpEndpoint>,
    incoming: tokio::sync::mpsc::Receiver<Bytes>,
    /// Bytes the client POSTed before the transport connected: read first.
    early: Option<Bytes>,
    /// Resolves when the client ends the connection (DELETE, dropped event stream, no polls),
    /// true if it timed out; `None` once it has.
    client_gone: Option<BoxFuture<bool>>,
    /// Frames fed since the last flush.
    pending: Vec<u8>,
    /// Where SSE events are formatted: each goes out as a frozen part of it, and the buffer is
    /// reused once hyper wrote and dropped that part.
    events: BytesMut,
    /// The write of the last flush, while it waits (a long-polling client that does not poll).
    writing: Option<BoxFuture<Result<(), Closed>>>,
}

impl HttpIo {
    pub(crate) fn new(
        endpoint: Arc<HttpEndpoint>,
        incoming: tokio::sync::mpsc::Receiver<Bytes>,
        early: Vec<u8>,
    ) -> Self {
        let client_gone = {
            let endpoint = endpoint.clone();
            Some(Box::pin(async move { endpoint.closed_by_client().await }) as BoxFuture<bool>)
        };
        HttpIo {
            endpoint,
            incoming,
            early: (!early.is_empty()).then(|| Bytes::from(early)),
            client_gone,
            pending: Vec::new(),
            events: BytesMut::new(),
            writing: None,
        }
    }

    /// Waits for the write in progress, if any.
    fn poll_writing(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        if let Some(writing) = &mut self.writing {
            let result = ready!(writing.as_mut().poll(cx));
            self.writing = None;
            result?;
        }
        Poll::Ready(Ok(()))
    }
}

impl TransportIo for HttpIo {
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Received> {
        if let Some(early) = self.early.take() {
            return Poll::Ready(Received::Frame(Frame::binary(early)));
        }
        if let Poll::Ready(data) = self.incoming.poll_recv(cx) {
            return Poll::Ready(match data {
                Some(data) => Received::Frame(Frame::binary(data)),
                None => Received::Closed,
            });
        }
        if let Some(gone) = &mut self.client_gone {
            let timed_out = ready!(gone.as_mut().poll(cx));
            self.client_gone = None;
            if timed_out {
                return Poll::Ready(Received::Failed(ConnectionError::TimedOut));
            }
        }
        Poll::Ready(Received::Closed)
    }

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        self.poll_writing(cx)
    }

    fn start_send(&mut self, frame: Frame) -> Result<(), Closed> {
        self.pending.extend_from_slice(frame.as_bytes());
        Ok(())
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        loop {
            ready!(self.poll_writing(cx))?;
            if self.pending.is_empty() {
                return Poll::Ready(Ok(()));
            }
            // What was fed goes out at once when there is room (the event stream's queue, or
            // the long-polling buffer under its bound); only otherwise does a write wait, in a
            // future of its own.
            let waiting = match self.endpoint.events() {
                Some(events) => {
                    sse_event(&self.pending, &mut self.events);
                    clear(&mut self.pending);
                    let event = self.events.split().freeze();
                    if self.events.capacity() > KEEP_CAPACITY {
                        self.events = BytesMut::new();
                    }
                    match events.try_send(event) {
                        Ok(()) => return Poll::Ready(Ok(())),
                        Err(TrySendError::Closed(_)) => return Poll::Ready(Err(Closed)),
                        Err(TrySendError::Full(event)) => Vec::from(event),
                    }
                }
                None => match self.endpoint.try_buffer(&self.pending) {
                    Some(written) => {
                        clear(&mut self.pending);
                        return Poll::Ready(written);
                    }
                    None => std::mem::take(&mut self.pending),
                },
            };
            let endpoint = self.endpoint.clone();
            self.writing = Some(Box::pin(async move { endpoint.write(waiting).await }));
        }
    }

    fn close(&mut self, drain: bool) -> IoFuture<'_, ()> {
        Box::pin(async move {
            if drain {
                self.endpoint.finish_and_drain().await;
            } else {
                self.endpoint.finish();
            }
        })
    }

    fn finish(&self) {
        self.endpoint.finish();
    }
}
