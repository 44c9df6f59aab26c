//! Client-to-server streams: [`ClientStream`] parameters receive what the client uploads; and
//! [`StreamArgs`], what the binding code takes the streams and the cancellation of one
//! invocation from.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::protocol::OwnedValue;
use futures_util::Stream;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use super::buffer::buffer;

use tokio_util::sync::CancellationToken;

use super::server::{StreamFailure, StreamSink, StreamStart};
use crate::lifetime::ConnectionHandle;
use crate::model::HubError;
use std::future::Future;

/// What arrives for an upload stream: an item (still encoded), or the client's error.
#[derive(Debug)]
pub(crate) enum StreamInput {
    Item(OwnedValue),
    Error(String),
}

/// A stream the client uploads: a hub method parameter of this type binds to one of the
/// invocation's `streamIds` (in order). Items are decoded into `T` as they are read.
///
/// It yields `Ok(item)` for each item, and ends after the client completes the stream. When the
/// client completes it with an error, or an item does not decode into `T`, it yields that error
/// and ends. At most [`stream_buffer_capacity`](crate::HubOptions::stream_buffer_capacity) items
/// wait to be read; beyond that the server stops reading the client's connection until the hub
/// method catches up.
///
/// ```no_run
/// # use hub_runtime::{ClientStream, HubError};
/// # use futures_util::StreamExt;
/// async fn count(mut items: ClientStream<String>) -> Result<usize, HubError> {
///     let mut count = 0;
///     while let Some(item) = items.next().await {
///         let _text: String = item?;
///         count += 1;
///     }
///     Ok(count)
/// }
/// ```
pub struct ClientStream<T> {
    receiver: mpsc::Receiver<StreamInput>,
    ended: bool,
    item: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for ClientStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientStream")
            .field("ended", &self.ended)
            .finish()
    }
}

impl<T> ClientStream<T> {
    pub(crate) fn new(receiver: mpsc::Receiver<StreamInput>) -> Self {
        ClientStream {
            receiver,
            ended: false,
            item: PhantomData,
        }
    }
}

impl<T: DeserializeOwned> Stream for ClientStream<T> {
    type Item = Result<T, HubError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        match self.receiver.poll_recv(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => {
                self.ended = true;
                Poll::Ready(None)
            }
            Poll::Ready(Some(StreamInput::Item(value))) => {
                let item = value.decode().map_err(|err| {
                    tracing::debug!(%err, "an upload stream item does not decode");
                    HubError::new("Failed to bind Stream message.")
                });
                if item.is_err() {
                    self.ended = true;
                }
                Poll::Ready(Some(item))
            }
            Poll::Ready(Some(StreamInput::Error(error))) => {
                self.ended = true;
                Poll::Ready(Some(Err(HubError::new(error))))
            }
        }
    }
}

/// The streams of one invocation, for the generated binding code: the upload streams in order,
/// the buffer of a server stream, and cancellation tokens.
#[doc(hidden)]
pub struct StreamArgs<'a> {
    receivers: VecDeque<mpsc::Receiver<StreamInput>>,
    capacity: usize,
    connection: Option<&'a ConnectionHandle>,
    /// The cancellation of the server stream, once the method asked for it.
    cancellation: Option<CancellationToken>,
}

impl<'a> StreamArgs<'a> {
    pub(crate) fn new(
        receivers: VecDeque<mpsc::Receiver<StreamInput>>,
        capacity: usize,
        connection: Option<&'a ConnectionHandle>,
    ) -> Self {
        StreamArgs {
            receivers,
            capacity,
            connection,
            cancellation: None,
        }
    }

    /// Starts a server stream: `drive` runs the hub method and forwards its items to the sink.
    pub fn server_stream<F, Fut>(&mut self, drive: F) -> StreamStart
    where
        F: FnOnce(StreamSink) -> Fut,
        Fut: Future<Output = Result<(), StreamFailure>> + Send + 'static,
    {
        let (sender, items) = buffer(self.capacity);
        StreamStart {
            driver: Box::pin(drive(StreamSink::new(sender))),
            items,
            cancellation: self.cancellation.take(),
        }
    }

    /// The next stream parameter.
    pub fn take<T: DeserializeOwned + Send + 'static>(&mut self) -> ClientStream<T> {
        // The runtime checked the count; an exhausted list gives an empty stream, not a panic.
        let receiver = self
            .receivers
            .pop_front()
            .unwrap_or_else(|| mpsc::channel(1).1);
        ClientStream::new(receiver)
    }

    /// A `CancellationToken` parameter of a method that returns a stream: cancelled when the
    /// client cancels the stream or the connection ends.
    pub fn stream_cancellation(&mut self) -> CancellationToken {
        let token = self.connection_cancellation().child_token();
        self.cancellation = Some(token.clone());
        token
    }

    /// A `CancellationToken` parameter of any other method: cancelled when the connection ends.
    pub fn connection_cancellation(&self) -> CancellationToken {
        match self.connection {
            Some(connection) => connection.aborted_token(),
            None => CancellationToken::new(),
        }
    }
}
