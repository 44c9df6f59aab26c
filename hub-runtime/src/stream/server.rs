//! Server-to-client streams: a hub method that returns a `Stream` runs as a driver that feeds
//! its items into a bounded buffer, which the connection reads from.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::buffer::{BufferReceiver, BufferSender};
use crate::model::{HubError, panic_message};

/// A boxed future that owns what it needs.
pub(crate) type Driver = Pin<Box<dyn Future<Output = Result<(), StreamFailure>> + Send + 'static>>;

/// A server-to-client stream about to start: `driver` runs the hub method and feeds its items
/// into a bounded buffer that the connection reads from.
#[doc(hidden)]
pub struct StreamStart {
    pub(crate) driver: Driver,
    pub(crate) items: BufferReceiver<StreamItemValue>,
    /// The stream's cancellation, when the method takes a `CancellationToken`: cancelling the
    /// stream cancels it, and the driver then runs to its end (its items are dropped).
    pub(crate) cancellation: Option<CancellationToken>,
}

/// One item of a server stream, still to be encoded.
pub(crate) type StreamItemValue = Box<dyn erased_serde::Serialize + Send>;

/// Where a server stream's driver puts its items.
#[doc(hidden)]
pub struct StreamSink {
    sender: BufferSender<StreamItemValue>,
}

impl StreamSink {
    pub(crate) fn new(sender: BufferSender<StreamItemValue>) -> Self {
        StreamSink { sender }
    }

    /// Waits for room in the buffer, then adds `item`; false once the stream was cancelled.
    pub async fn send<T: Serialize + Send + 'static>(&self, item: T) -> bool {
        self.sender.send(Box::new(item)).await.is_ok()
    }
}

/// How a stream failed.
#[doc(hidden)]
pub struct StreamFailure {
    pub(crate) error: HubError,
    /// Whether the method had returned its stream (the error text differs from a failed start).
    pub(crate) while_streaming: bool,
}

impl StreamFailure {
    pub(crate) fn new(error: HubError, while_streaming: bool) -> Self {
        StreamFailure {
            error,
            while_streaming,
        }
    }

    pub(crate) fn client_text(&self, method: &str, detailed: bool) -> String {
        let prefix = if self.while_streaming {
            "An error occurred on the server while streaming results.".to_owned()
        } else {
            format!("An unexpected error occurred invoking '{method}' on the server.")
        };
        self.error.client_text(&prefix, detailed)
    }
}

/// A server-to-client stream: the driver running the hub method, and the items it produced.
pub(crate) struct ServerStream {
    pub(crate) invocation_id: Arc<str>,
    pub(crate) method: &'static str,
    state: StreamState,
}

enum StreamState {
    Running {
        /// `None` once the driver finished; its result waits until the buffer is drained.
        driver: Option<Driver>,
        result: Option<Result<(), StreamFailure>>,
        items: BufferReceiver<StreamItemValue>,
        cancellation: Option<CancellationToken>,
    },
    /// The client cancelled it: the producer is already dropped (or, when it observes its
    /// cancellation token, draining), a void Completion is due.
    Cancelled(Option<Driver>),
    /// Its Completion went out; a producer that observes its cancellation token runs to its
    /// end, its items dropped.
    Draining(Driver),
    Done,
}

/// What a server stream produced.
pub(crate) enum StreamEvent {
    Item(StreamItemValue),
    /// The stream ended: normally (or cancelled), or with an error before or while streaming.
    End(Result<(), StreamFailure>),
}

impl ServerStream {
    pub(crate) fn new(invocation_id: Arc<str>, method: &'static str, start: StreamStart) -> Self {
        ServerStream {
            invocation_id,
            method,
            state: StreamState::Running {
                driver: Some(start.driver),
                result: None,
                items: start.items,
                cancellation: start.cancellation,
            },
        }
    }

    /// Whether it sent its last event (or was abandoned) and its producer ended.
    pub(crate) fn is_done(&self) -> bool {
        matches!(self.state, StreamState::Done)
    }

    /// Ends the stream now without a further event: its Completion was already sent.
    pub(crate) fn abandon(&mut self) {
        self.state = StreamState::Done;
    }

    /// Stops the producer now (dropping it, or cancelling its token and letting it run to its
    /// end); the stream then ends with a void Completion.
    pub(crate) fn cancel(&mut self) {
        let state = std::mem::replace(&mut self.state, StreamState::Done);
        self.state = match state {
            StreamState::Running {
                driver,
                cancellation: Some(cancellation),
                ..
            } => {
                cancellation.cancel();
                StreamState::Cancelled(driver)
            }
            StreamState::Running { .. } => StreamState::Cancelled(None),
            other => other,
        };
    }

    /// The producer, if it observes a cancellation token and has not ended: what is left to
    /// drive once the connection is gone. Others are dropped with the stream.
    pub(crate) fn into_draining(self) -> Option<Driver> {
        match self.state {
            StreamState::Running {
                driver: Some(driver),
                cancellation: Some(cancellation),
                ..
            } => {
                cancellation.cancel();
                Some(driver)
            }
            StreamState::Cancelled(driver) => driver,
            StreamState::Draining(driver) => Some(driver),
            _ => None,
        }
    }
}

/// Polls a producer, turning a panic into a failure.
fn poll_driver(driver: &mut Driver, cx: &mut Context<'_>) -> Poll<Result<(), StreamFailure>> {
    match std::panic::catch_unwind(AssertUnwindSafe(|| driver.as_mut().poll(cx))) {
        Ok(polled) => polled,
        Err(panic) => {
            let error = HubError::internal("Panic", panic_message(panic));
            Poll::Ready(Err(StreamFailure::new(error, true)))
        }
    }
}

impl futures_util::Stream for ServerStream {
    type Item = (Arc<str>, &'static str, StreamEvent);

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let mut driven = false;
        let event = loop {
            match &mut this.state {
                StreamState::Done => return Poll::Ready(None),
                StreamState::Draining(driver) => {
                    if poll_driver(driver, cx).is_ready() {
                        this.state = StreamState::Done;
                    }
                    return Poll::Ready(None);
                }
                StreamState::Cancelled(driver) => {
                    let next = match driver.take() {
                        Some(driver) => StreamState::Draining(driver),
                        None => StreamState::Done,
                    };
                    let event = StreamEvent::End(Ok(()));
                    this.state = next;
                    return Poll::Ready(Some((this.invocation_id.clone(), this.method, event)));
                }
                StreamState::Running {
                    driver,
                    result,
                    items,
                    ..
                } => {
                    // Items first: the driver only runs ahead by the buffer's capacity.
                    match items.poll_recv(cx) {
                        Poll::Ready(Some(item)) => break StreamEvent::Item(item),
                        // Every item was read and the driver finished: its result ends the
                        // stream. (The sender can be gone before the driver finished: a filter
                        // that refused the call dropped the method's part.)
                        Poll::Ready(None) if driver.is_none() => {
                            break StreamEvent::End(result.take().unwrap_or(Ok(())));
                        }
                        Poll::Ready(None) | Poll::Pending => {}
                    }
                    let Some(running) = driver.as_mut() else {
                        return Poll::Pending;
                    };
                    if driven {
                        // The driver ran and produced nothing to read.
                        return Poll::Pending;
                    }
                    driven = true;
                    // Read right after: what the driver adds needs no wake-up.
                    items.unregister();
                    match poll_driver(running, cx) {
                        // What it produced (up to a full buffer) is read at once, rather than
                        // after the wake-up its sends gave this task.
                        Poll::Pending => continue,
                        Poll::Ready(outcome) => *result = Some(outcome),
                    }
                    // Dropping the driver drops its sender: the buffer ends after its items.
                    *driver = None;
                }
            }
        };
        if matches!(event, StreamEvent::End(_)) {
            this.state = StreamState::Done;
        }
        Poll::Ready(Some((this.invocation_id.clone(), this.method, event)))
    }
}
