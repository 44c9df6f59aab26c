//! The task of one connection: handshake, then a single loop that reads hub messages, runs
//! invocations, drains the outbound queue in batches, and ends the connection.
//!
//! One task per connection, no extra tasks: an idle connection costs its socket, its queue and
//! this future.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::{FuturesUnordered, SelectAll};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;

use super::handle::{CloseReason, ConnectionHandle, ConnectionId, Frame};
use crate::context::{Ctx, RequestInfo};
use crate::dispatch::{
    self, BindContext, BoundCall, BoxFuture, Finished, Hub, PendingCall, ServerStream, StreamEvent,
    StreamFailure,
};
use crate::error::HubError;
use crate::lifetime::LiveTask;
use crate::protocol::{
    Close, Completion, CompletionBody, HandshakeResponse, HubMessage, JsonEncoder, ProtocolError,
    parse_handshake, parse_json_message, split_json_messages,
};
use crate::router::HubShared;
use crate::stream::{StreamArgs, StreamInput};

/// Invocations waiting for a free slot beyond which the connection stops reading (backpressure).
const MAX_QUEUED_CALLS: usize = 64;
/// Frames written per flush at most, so one busy connection cannot starve its own reads.
const MAX_BATCH: usize = 256;
/// How long the last writes to a closing connection may take before the socket is dropped.
const CLOSE_WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// The largest handshake request accepted.
const MAX_HANDSHAKE_SIZE: usize = 4096;

/// The transport a connection runs on.
pub(crate) enum Transport {
    WebSocket(WebSocket),
}

/// Runs a connection to its end: handshake, `on_connected`, messages, `on_disconnected`.
pub(crate) async fn run_connection<H: Hub>(
    shared: Arc<HubShared<H>>,
    transport: Transport,
    id: ConnectionId,
    token: Option<Box<str>>,
    request: RequestInfo,
    live: LiveTask,
) {
    let Transport::WebSocket(socket) = transport;
    let _live = live;
    let _token = TokenGuard {
        shared: &shared,
        token,
    };
    let mut socket = socket;
    let options = &shared.options;
    let mut input = Vec::new();
    let handshake = tokio::time::timeout(
        options.handshake_timeout,
        read_handshake(&mut socket, &mut input, options.detailed_errors),
    )
    .await
    .unwrap_or(Err(Some("Handshake was canceled.".to_owned())));
    let response = match &handshake {
        Ok(()) => HandshakeResponse::Accepted,
        Err(Some(error)) => {
            tracing::info!(connection_id = %id, %error, "handshake refused");
            HandshakeResponse::Refused(error.clone())
        }
        Err(None) => return,
    };
    if socket
        .send(Message::Text(response.encode().into()))
        .await
        .is_err()
        || handshake.is_err()
    {
        let _ = socket.close().await;
        return;
    }

    let user = options
        .user_id_provider
        .as_ref()
        .and_then(|provide| provide(&request))
        .map(Arc::from);
    let (handle, outbound) = ConnectionHandle::new(
        id,
        user,
        request,
        shared.lifetime.clone(),
        options.outbound_queue_capacity,
    );
    shared.lifetime.add(&handle);
    shared
        .lifetime
        .ensure_heartbeat(options.keep_alive_interval, options.client_timeout_interval);
    tracing::debug!(connection_id = %handle.id, "connected");

    let ctx = Ctx::<H>::new(handle.clone());
    let mut connection = Connection {
        shared: &shared,
        socket,
        handle: &handle,
        outbound,
        input,
        running: FuturesUnordered::new(),
        queued: VecDeque::new(),
        streams: SelectAll::new(),
        uploads: HashMap::new(),
        blocked: None,
        connecting: Some(shared.hub.__on_connected(ctx.clone())),
        ctx,
    };
    let end = connection.run().await;
    let Connection {
        mut socket,
        running,
        queued,
        ctx,
        streams,
        uploads,
        ..
    } = connection;
    // Producers stop now, and upload streams end for the methods still reading them.
    drop(streams);
    drop(uploads);

    shared.lifetime.remove(&handle);
    let connect_failed = matches!(end, End::ConnectFailed(_));
    let (close, error) = close_message(end, options.detailed_errors);
    let farewell = async {
        if let Some(close) = close {
            let frame = text_frame(JsonEncoder::close(&close));
            socket.feed(Message::Text(frame)).await?;
        }
        let close_frame = CloseFrame {
            code: 1000,
            reason: "".into(),
        };
        socket.send(Message::Close(Some(close_frame))).await
    };
    // A client that stopped reading gets no more than this to take its Close message.
    let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, farewell).await;
    drop(socket);

    // Calls the client sent before it left still run, so their effects on others are not lost;
    // a call that does not finish within the shutdown timeout is dropped.
    if tokio::time::timeout(options.shutdown_timeout, finish_calls(running, queued))
        .await
        .is_err()
    {
        tracing::warn!(connection_id = %handle.id, "dropped hub calls still running after the shutdown timeout");
    }
    tracing::debug!(connection_id = %handle.id, "disconnected");
    // As in ASP.NET Core, a connection refused by `on_connected` never was connected.
    if !connect_failed {
        shared.hub.__on_disconnected(ctx, error).await;
    }
}

/// Forgets the connection token when the connection ends.
struct TokenGuard<'a, H: Hub> {
    shared: &'a HubShared<H>,
    token: Option<Box<str>>,
}

impl<H: Hub> Drop for TokenGuard<'_, H> {
    fn drop(&mut self) {
        if let Some(token) = &self.token {
            self.shared.forget_token(token);
        }
    }
}

/// Reads until a whole handshake request arrived; answers `Err(Some(text))` to refuse it with
/// that text, `Err(None)` when the client left.
async fn read_handshake(
    socket: &mut WebSocket,
    input: &mut Vec<u8>,
    detailed: bool,
) -> Result<(), Option<String>> {
    loop {
        match socket.recv().await {
            Some(Ok(Message::Text(text))) => input.extend_from_slice(text.as_bytes()),
            Some(Ok(Message::Binary(bytes))) => input.extend_from_slice(&bytes),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Close(_)) | Err(_)) | None => return Err(None),
        }
        match parse_handshake(input) {
            Ok(Some((request, used))) => {
                input.drain(..used);
                request.select_protocol().map_err(Some)?;
                return Ok(());
            }
            Ok(None) if input.len() > MAX_HANDSHAKE_SIZE => {
                return Err(Some("Handshake was canceled.".to_owned()));
            }
            Ok(None) => {}
            Err(err) => {
                let prefix = "An unexpected error occurred during connection handshake.";
                return Err(Some(if detailed {
                    format!("{prefix} InvalidDataException: {err}")
                } else {
                    prefix.to_owned()
                }));
            }
        }
    }
}

/// Why the loop ended.
enum End {
    /// The client closed (its Close message may carry an error), or the socket ended.
    ClientClosed(Option<String>),
    /// The client sent bytes that are not hub messages.
    Protocol(ProtocolError),
    /// The server closed it.
    Server(CloseReason),
    /// `on_connected` failed.
    ConnectFailed(HubError),
}

/// The Close message to send, and the error `on_disconnected` sees.
fn close_message(end: End, detailed: bool) -> (Option<Close>, Option<HubError>) {
    const CLOSED: &str = "Connection closed with an error.";
    let with_error = |error: HubError, allow_reconnect: bool| {
        let text = error.client_text(CLOSED, detailed);
        (
            Some(Close {
                error: Some(text),
                allow_reconnect,
            }),
            Some(error),
        )
    };
    match end {
        End::ClientClosed(None) => (None, None),
        End::ClientClosed(Some(error)) => (None, Some(HubError::internal("ClientError", error))),
        End::Protocol(err) => with_error(
            HubError::internal("InvalidDataException", err.to_string()),
            true,
        ),
        End::Server(CloseReason::Shutdown) => (
            Some(Close {
                error: None,
                allow_reconnect: true,
            }),
            None,
        ),
        End::Server(CloseReason::ClientTimeout) => with_error(
            HubError::internal(
                "OperationCanceledException",
                "Client hasn't sent a message/ping within the configured ClientTimeoutInterval.",
            ),
            true,
        ),
        End::Server(CloseReason::SlowClient) => with_error(
            HubError::internal(
                "SlowClient",
                "The client did not read its messages fast enough; its outbound queue was full.",
            ),
            true,
        ),
        End::Server(CloseReason::Aborted) => (Some(Close::default()), None),
        End::ConnectFailed(error) => with_error(error, false),
    }
}

/// Drives the calls still pending when the connection ended; their results have nowhere to go.
/// Streams are not finished: nobody reads them any more.
async fn finish_calls(mut running: FuturesUnordered<PendingCall>, queued: VecDeque<BoundCall>) {
    running.extend(queued.into_iter().filter_map(|bound| match bound {
        BoundCall::Call(call) => Some(call),
        BoundCall::Stream(_) => None,
    }));
    while let Some(finished) = running.next().await {
        if let Err(err) = finished.outcome {
            tracing::warn!(method = finished.method, %err, "hub method failed after its caller left");
        }
    }
}

struct Connection<'a, H: Hub> {
    shared: &'a HubShared<H>,
    socket: WebSocket,
    handle: &'a Arc<ConnectionHandle>,
    outbound: tokio::sync::mpsc::Receiver<Frame>,
    /// Bytes not handled yet: an unfinished message, or what follows a message that blocked.
    input: Vec<u8>,
    running: FuturesUnordered<PendingCall>,
    /// Bound calls and streams waiting for their turn.
    queued: VecDeque<BoundCall>,
    /// Server-to-client streams being produced.
    streams: SelectAll<ServerStream>,
    /// Client-to-server streams by stream id.
    uploads: HashMap<Box<str>, mpsc::Sender<StreamInput>>,
    /// An upload item waiting for room in its stream's buffer: nothing else is read meanwhile.
    blocked: Option<BoxFuture<()>>,
    /// `on_connected`, while it runs: calls wait until it finished.
    connecting: Option<BoxFuture<Result<(), HubError>>>,
    ctx: Ctx<H>,
}

/// Whether the messages after this one can be handled now.
enum Flow {
    Continue,
    /// An upload stream's buffer is full: stop until it has room.
    Blocked,
}

impl<H: Hub> Connection<'_, H> {
    async fn run(&mut self) -> End {
        match self.run_loop().await {
            Ok(never) => match never {},
            Err(end) => end,
        }
    }

    async fn run_loop(&mut self) -> Result<std::convert::Infallible, End> {
        // Messages that came in the same frame as the handshake.
        self.receive(&[])?;
        loop {
            let reading = self.blocked.is_none() && self.queued.len() < MAX_QUEUED_CALLS;
            tokio::select! {
                biased;
                reason = self.handle.closed() => {
                    // Whatever was queued before the close still goes out first, if the client
                    // reads it in time.
                    if reason != CloseReason::SlowClient {
                        let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, self.write_queued(None)).await;
                    }
                    return Err(End::Server(reason));
                }
                result = async { self.connecting.as_mut().expect("guarded").await }, if self.connecting.is_some() => {
                    self.connecting = None;
                    if let Err(error) = result {
                        return Err(End::ConnectFailed(error));
                    }
                    self.start_queued();
                }
                () = async { self.blocked.as_mut().expect("guarded").await }, if self.blocked.is_some() => {
                    self.blocked = None;
                    self.receive(&[])?;
                }
                Some(finished) = self.running.next(), if !self.running.is_empty() => {
                    if let Some(frame) = self.completion(finished) {
                        let handle = self.handle;
                        guarded(handle, self.write_queued(Some(frame))).await?;
                    }
                    self.start_queued();
                }
                Some(frame) = self.outbound.recv() => {
                    let handle = self.handle;
                    guarded(handle, self.write_batch(frame)).await?;
                }
                message = self.socket.recv(), if reading => {
                    self.handle.mark_read();
                    let data = match message {
                        Some(Ok(Message::Text(text))) => text.into(),
                        Some(Ok(Message::Binary(bytes))) => bytes,
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                        Some(Ok(Message::Close(_))) | None => return Err(End::ClientClosed(None)),
                        Some(Err(err)) => return Err(self.read_error(err)),
                    };
                    self.receive(&data)?;
                }
                Some((id, method, event)) = self.streams.next(), if !self.streams.is_empty() => {
                    let frame = self.stream_frame(&id, method, event);
                    let handle = self.handle;
                    guarded(handle, self.write_frame(frame)).await?;
                }
            }
        }
    }

    fn read_error(&self, err: axum::Error) -> End {
        let too_large = std::error::Error::source(&err)
            .and_then(|source| source.downcast_ref::<tungstenite::Error>())
            .is_some_and(|e| matches!(e, tungstenite::Error::Capacity(_)));
        match (too_large, self.shared.options.maximum_receive_message_size) {
            (true, Some(max)) => End::Protocol(ProtocolError::MessageTooLarge { max }),
            _ => End::ClientClosed(None),
        }
    }

    /// Handles `data` after what is left of earlier frames: complete messages now, the rest
    /// later. Stops early, keeping the remaining bytes, when an upload stream is full.
    fn receive(&mut self, data: &[u8]) -> Result<(), End> {
        let max = self.shared.options.maximum_receive_message_size;
        let buffered;
        let bytes = if self.input.is_empty() {
            data
        } else {
            self.input.extend_from_slice(data);
            buffered = std::mem::take(&mut self.input);
            &buffered[..]
        };
        let (messages, rest, error) = split_json_messages(bytes, max);
        let mut consumed = 0;
        for message in messages {
            consumed += message.len() + 1;
            let parsed = parse_json_message(message).map_err(End::Protocol)?;
            if let Some(message) = parsed {
                if let Flow::Blocked = self.handle_message(message)? {
                    self.input.extend_from_slice(&bytes[consumed..]);
                    return Ok(());
                }
            }
        }
        if let Some(error) = error {
            return Err(End::Protocol(error));
        }
        self.input.extend_from_slice(rest);
        if self.input.is_empty() && self.input.capacity() > 4 * MAX_HANDSHAKE_SIZE {
            self.input = Vec::new();
        }
        Ok(())
    }

    fn handle_message(&mut self, message: HubMessage<'_>) -> Result<Flow, End> {
        let (invocation, streaming) = match message {
            HubMessage::Invocation(invocation) => (invocation, false),
            HubMessage::StreamInvocation(invocation) => (invocation, true),
            HubMessage::StreamItem(item) => {
                return Ok(self.upload_item(&item.invocation_id, item.item));
            }
            HubMessage::Completion(completion) => return Ok(self.client_completion(completion)),
            HubMessage::CancelInvocation { invocation_id } => {
                self.cancel(&invocation_id);
                return Ok(Flow::Continue);
            }
            HubMessage::Close(close) => return Err(End::ClientClosed(close.error)),
            HubMessage::Ping | HubMessage::Ack { .. } | HubMessage::Sequence { .. } => {
                return Ok(Flow::Continue);
            }
        };
        let capacity = self.shared.options.stream_buffer_capacity;
        let Connection {
            shared,
            ctx,
            uploads,
            running,
            queued,
            streams,
            ..
        } = self;
        let id_in_use = |id: &str| {
            running.iter().any(|call| call.invocation_id() == Some(id))
                || queued.iter().any(|bound| match bound {
                    BoundCall::Call(call) => call.invocation_id() == Some(id),
                    BoundCall::Stream(stream) => &*stream.invocation_id == id,
                })
                || streams.iter().any(|stream| &*stream.invocation_id == id)
        };
        let bound = {
            let uploads = std::cell::RefCell::new(&mut *uploads);
            let mut open = |ids: &[Cow<'_, str>]| {
                let mut uploads = uploads.borrow_mut();
                let receivers = ids
                    .iter()
                    .map(|id| {
                        let (sender, receiver) = mpsc::channel(capacity);
                        uploads.insert(id.as_ref().into(), sender);
                        receiver
                    })
                    .collect();
                StreamArgs::new(receivers, capacity)
            };
            let mut close = |ids: &[Cow<'_, str>]| {
                let mut uploads = uploads.borrow_mut();
                for id in ids {
                    uploads.remove(id.as_ref());
                }
            };
            dispatch::bind(
                BindContext {
                    hub: &shared.hub,
                    ctx,
                    detailed: shared.options.detailed_errors,
                    id_in_use: &id_in_use,
                    open_uploads: &mut open,
                    close_uploads: &mut close,
                },
                &invocation,
                streaming,
            )
        };
        match bound {
            Ok(call) => {
                self.queued.push_back(call);
                self.start_queued();
            }
            Err(refusal) => match refusal.invocation_id {
                Some(id) => self.handle.push(text_frame(JsonEncoder::completion_error(
                    &id,
                    &refusal.error,
                ))),
                None => {
                    tracing::debug!(connection_id = %self.handle.id, error = %refusal.error, "refused a fire-and-forget invocation");
                }
            },
        }
        Ok(Flow::Continue)
    }

    /// An item of an upload stream: into its buffer, or wait for room.
    fn upload_item(&mut self, stream_id: &str, item: &serde_json::value::RawValue) -> Flow {
        let Some(sender) = self.uploads.get(stream_id) else {
            tracing::debug!(connection_id = %self.handle.id, stream_id, "item for an unknown stream ignored");
            return Flow::Continue;
        };
        match sender.try_send(StreamInput::Item(item.to_owned())) {
            Ok(()) => Flow::Continue,
            Err(mpsc::error::TrySendError::Full(input)) => {
                let sender = sender.clone();
                self.blocked = Some(Box::pin(async move {
                    let _ = sender.send(input).await;
                }));
                Flow::Blocked
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                // The hub method stopped reading this stream.
                self.uploads.remove(stream_id);
                Flow::Continue
            }
        }
    }

    /// A Completion from the client: the end of an upload stream, or a client result.
    fn client_completion(&mut self, completion: Completion<'_>) -> Flow {
        let id = &*completion.invocation_id;
        if let Some(sender) = self.uploads.remove(id) {
            if let CompletionBody::Error(error) = completion.body {
                let input = StreamInput::Error(error.into_owned());
                if let Err(mpsc::error::TrySendError::Full(input)) = sender.try_send(input) {
                    self.blocked = Some(Box::pin(async move {
                        let _ = sender.send(input).await;
                    }));
                    return Flow::Blocked;
                }
            }
            return Flow::Continue;
        }
        let reply = match completion.body {
            CompletionBody::Result(raw) => Ok(raw.to_owned()),
            CompletionBody::Void => Ok(serde_json::value::to_raw_value(&()).expect("null")),
            CompletionBody::Error(error) => Err(error.into_owned()),
        };
        if !self.handle.resolve_result(id, reply) {
            tracing::debug!(connection_id = %self.handle.id, invocation_id = id, "completion for an unknown invocation ignored");
        }
        Flow::Continue
    }

    fn cancel(&mut self, invocation_id: &str) {
        for stream in self.streams.iter_mut() {
            if &*stream.invocation_id == invocation_id {
                stream.cancel();
            }
        }
        for bound in self.queued.iter_mut() {
            if let BoundCall::Stream(stream) = bound {
                if &*stream.invocation_id == invocation_id {
                    stream.cancel();
                }
            }
        }
    }

    /// Starts queued calls while a slot is free (streams don't take one), once `on_connected`
    /// finished.
    fn start_queued(&mut self) {
        if self.connecting.is_some() {
            return;
        }
        let limit = self.shared.options.maximum_parallel_invocations_per_client;
        while let Some(next) = self.queued.front() {
            if matches!(next, BoundCall::Call(_)) && self.running.len() >= limit {
                break;
            }
            match self.queued.pop_front() {
                Some(BoundCall::Call(call)) => self.running.push(call),
                Some(BoundCall::Stream(stream)) => self.streams.push(stream),
                None => break,
            }
        }
    }

    /// The Completion of a finished call, if its client waits for one.
    fn completion(&self, finished: Finished) -> Option<Frame> {
        let detailed = self.shared.options.detailed_errors;
        let Some(id) = finished.invocation_id else {
            if let Err(err) = finished.outcome {
                tracing::warn!(method = finished.method, %err, "fire-and-forget hub method failed");
            }
            return None;
        };
        let bytes = match finished.outcome {
            Ok(None) => JsonEncoder::completion_void(&id),
            Ok(Some(value)) => match JsonEncoder::completion_result(&id, &value) {
                Ok(bytes) => bytes,
                Err(err) => {
                    let error = HubError::internal("JsonException", err.to_string());
                    let text = Finished::error_text(&error, finished.method, detailed);
                    JsonEncoder::completion_error(&id, &text)
                }
            },
            Err(error) => {
                if !error.is_hub_exception() {
                    tracing::warn!(method = finished.method, %error, "hub method failed");
                }
                let text = Finished::error_text(&error, finished.method, detailed);
                JsonEncoder::completion_error(&id, &text)
            }
        };
        Some(text_frame(bytes))
    }

    /// The StreamItem or Completion for a stream event.
    fn stream_frame(&mut self, id: &str, method: &'static str, event: StreamEvent) -> Frame {
        let detailed = self.shared.options.detailed_errors;
        let failure_text = |failure: StreamFailure| {
            if !failure.error.is_hub_exception() {
                tracing::warn!(method, error = %failure.error, "stream failed");
            }
            failure.client_text(method, detailed)
        };
        let bytes = match event {
            StreamEvent::Item(item) => match JsonEncoder::stream_item(id, &item) {
                Ok(bytes) => bytes,
                Err(err) => {
                    // The item cannot be sent: end the stream with the error.
                    self.cancel(id);
                    let failure = StreamFailure::new(
                        HubError::internal("JsonException", err.to_string()),
                        true,
                    );
                    JsonEncoder::completion_error(id, &failure_text(failure))
                }
            },
            StreamEvent::End(Ok(())) => JsonEncoder::completion_void(id),
            StreamEvent::End(Err(failure)) => {
                JsonEncoder::completion_error(id, &failure_text(failure))
            }
        };
        text_frame(bytes)
    }

    /// Writes what is queued, then `last`, in one flush: messages a call sent before it finished
    /// reach the client before its Completion.
    async fn write_queued(&mut self, last: Option<Frame>) -> Result<(), axum::Error> {
        while let Ok(frame) = self.outbound.try_recv() {
            self.socket.feed(Message::Text(frame)).await?;
        }
        if let Some(frame) = last {
            self.socket.feed(Message::Text(frame)).await?;
        }
        self.socket.flush().await?;
        self.handle.mark_written();
        Ok(())
    }

    /// Writes one frame.
    async fn write_frame(&mut self, frame: Frame) -> Result<(), axum::Error> {
        self.socket.send(Message::Text(frame)).await?;
        self.handle.mark_written();
        Ok(())
    }

    /// Writes `first` and whatever else is queued (up to a batch) with a single flush.
    async fn write_batch(&mut self, first: Frame) -> Result<(), axum::Error> {
        self.socket.feed(Message::Text(first)).await?;
        for _ in 1..MAX_BATCH {
            match self.outbound.try_recv() {
                Ok(frame) => self.socket.feed(Message::Text(frame)).await?,
                Err(_) => break,
            }
        }
        self.socket.flush().await?;
        self.handle.mark_written();
        Ok(())
    }
}

/// Runs a write unless the connection is told to close first: writes to a client that stopped
/// reading block once its TCP window is full, and such a client must still be disconnectable.
async fn guarded(
    handle: &ConnectionHandle,
    write: impl Future<Output = Result<(), axum::Error>>,
) -> Result<(), End> {
    tokio::select! {
        biased;
        reason = handle.closed() => Err(End::Server(reason)),
        result = write => result.map_err(|_| End::ClientClosed(None)),
    }
}

fn text_frame(bytes: Vec<u8>) -> Frame {
    String::from_utf8(bytes)
        .expect("the JSON encoder writes UTF-8")
        .into()
}
