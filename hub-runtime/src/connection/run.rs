//! The task of one connection: handshake, then a single loop that reads hub messages, runs
//! invocations, drains the outbound queue in batches, and ends the connection.
//!
//! One task per connection, no extra tasks: an idle connection costs its socket, its queue and
//! this future.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::mpsc;

use super::handle::{CloseReason, ConnectionHandle, ConnectionId, Frame};
use super::streams::ServerStreams;
use crate::context::{Ctx, RequestInfo};
use crate::dispatch::{
    self, BindContext, Binding, BoundCall, BoxFuture, Finished, Hub, PendingCall, StreamEvent,
    StreamFailure,
};
use crate::error::HubError;
use crate::lifetime::LiveTask;
use crate::options::HubOptions;
use crate::protocol::{
    Close, Completion, CompletionBody, EncodedValue, HandshakeResponse, HubMessage, OwnedValue,
    Protocol, ProtocolError, TransferFormat, parse_handshake, parse_json_text,
};
use crate::router::HubShared;
use crate::stream::{StreamArgs, StreamInput};
use crate::transport::{Gone, Incoming, TransportIo, forget_later};

/// Invocations waiting for a free slot beyond which the connection stops reading (backpressure).
const MAX_QUEUED_CALLS: usize = 64;
/// Frames written per flush at most, so one busy connection cannot starve its own reads.
const MAX_BATCH: usize = 256;
/// Bytes of stream items taken in one turn at most (see `poll_streams`).
const STREAM_BYTES_PER_TURN: usize = 16 * 1024;
/// How long the last writes to a closing connection may take before the socket is dropped.
const CLOSE_WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// The largest handshake request accepted.
const MAX_HANDSHAKE_SIZE: usize = 4096;

/// What a transport hands over to start a connection.
struct Start {
    io: TransportIo,
    id: ConnectionId,
    request: RequestInfo,
    /// Bytes the client sent before the transport connected.
    early: Vec<u8>,
}

/// Runs a connection to its end: handshake, `on_connected`, messages, `on_disconnected`.
///
/// Its future is what an idle connection costs besides its socket and handle, so only the loop's
/// state is kept inline: the handshake and the ending run as boxed futures, and the transport's
/// values come boxed (an async fn's arguments stay in its future for its whole life).
pub(crate) fn run_connection<H: Hub>(
    shared: Arc<HubShared<H>>,
    io: TransportIo,
    id: ConnectionId,
    token: Option<Box<str>>,
    request: RequestInfo,
    live: LiveTask,
    early: Vec<u8>,
) -> impl Future<Output = ()> + Send {
    let start = Box::new(Start {
        io,
        id,
        request,
        early,
    });
    run(shared, start, token, live)
}

async fn run<H: Hub>(
    shared: Arc<HubShared<H>>,
    start: Box<Start>,
    token: Option<Box<str>>,
    live: LiveTask,
) {
    let _live = live;
    let _token = TokenGuard {
        shared: &shared,
        token,
        long_polling: start.io.poll_activity().is_some(),
    };
    let Some(mut connection) = Box::pin(open(&shared, start)).await else {
        return;
    };
    let end = connection.run().await;
    Box::pin(close(connection, end)).await;
}

/// The handshake; on success the connection is registered and answered.
async fn open<H: Hub>(shared: &HubShared<H>, start: Box<Start>) -> Option<Connection<'_, H>> {
    let Start {
        mut io,
        id,
        request,
        early,
    } = *start;
    let options = &shared.options;
    let mut input = early;
    let handshake = tokio::time::timeout(
        options.handshake_timeout,
        read_handshake(&mut io, &mut input, options),
    )
    .await
    .unwrap_or(Err(Some("Handshake was canceled.".to_owned())));
    let response = match &handshake {
        Ok(_) => HandshakeResponse::Accepted,
        Err(Some(error)) => {
            tracing::info!(connection_id = %id, %error, "handshake refused");
            HandshakeResponse::Refused(error.clone())
        }
        Err(None) => return None,
    };
    let protocol = match handshake {
        Ok(protocol) => protocol,
        Err(_) => {
            // The handshake response is JSON text whatever the protocol.
            let _ = io.send(Frame::Text(response.encode().into())).await;
            io.close(false).await;
            return None;
        }
    };

    let user = options
        .user_id_provider
        .as_ref()
        .and_then(|provide| provide(&request))
        .map(Arc::from);
    let handle = ConnectionHandle::new(
        id,
        user,
        request,
        shared.lifetime.clone(),
        protocol,
        io.poll_activity(),
        options.outbound_queue_capacity,
    );
    // Registered before the client learns it is connected, so a client that saw the handshake
    // response can be reached by its id at once. Messages sent to it meanwhile wait in its queue,
    // which the loop only drains after the response went out.
    shared.lifetime.add(&handle);
    if io
        .send(Frame::Text(response.encode().into()))
        .await
        .is_err()
    {
        shared.lifetime.remove(&handle);
        return None;
    }
    shared
        .lifetime
        .ensure_heartbeat(options.keep_alive_interval, options.client_timeout_interval);
    tracing::debug!(connection_id = %handle.id, protocol = protocol.name(), "connected");

    let ctx = Ctx::<H>::new(handle.clone());
    Some(Connection {
        shared,
        io,
        protocol,
        connecting: Some(shared.hub.__on_connected(ctx.clone())),
        handle,
        input,
        running: None,
        limited_running: 0,
        queued: VecDeque::new(),
        streams: None,
        uploads: HashMap::new(),
        blocked: None,
        ctx,
        flushing: false,
    })
}

/// Ends a connection: the Close message, the calls still running, `on_disconnected`.
async fn close<H: Hub>(connection: Connection<'_, H>, end: End) {
    let Connection {
        shared,
        mut io,
        protocol,
        handle,
        running,
        queued,
        ctx,
        streams,
        uploads,
        ..
    } = connection;
    let options = &shared.options;
    // Producers stop now, and upload streams end for the methods still reading them.
    drop(streams);
    drop(uploads);

    shared.lifetime.remove(&handle);
    let connect_failed = matches!(end, End::ConnectFailed(_));
    // Long polling: a shutting-down server waits for the poll that takes the Close message. On
    // other endings the token outlives the task for a while, so a later poll still gets it.
    let drain = matches!(end, End::Server(CloseReason::Shutdown));
    let (close, error) = close_message(end, options.detailed_errors);
    let farewell = async {
        if let Some(close) = close {
            io.send(Frame::encoded(protocol, protocol.close(&close)))
                .await?;
        }
        io.close(drain).await;
        Ok::<(), Gone>(())
    };
    // A client that stopped reading gets no more than this to take its Close message.
    let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, farewell).await;
    io.finish();
    drop(io);

    // Calls the client sent before it left still run, so their effects on others are not lost;
    // a call that does not finish within the shutdown timeout is dropped.
    if tokio::time::timeout(
        options.shutdown_timeout,
        finish_calls(running.unwrap_or_default(), queued),
    )
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

/// Forgets the connection token when the connection ends (for long polling a little later:
/// the client still polls for the Close message, then gets 204).
struct TokenGuard<'a, H: Hub> {
    shared: &'a Arc<HubShared<H>>,
    token: Option<Box<str>>,
    long_polling: bool,
}

impl<H: Hub> Drop for TokenGuard<'_, H> {
    fn drop(&mut self) {
        if let Some(token) = self.token.take() {
            if self.long_polling {
                forget_later(
                    self.shared,
                    token,
                    self.shared.options.client_timeout_interval,
                );
            } else {
                self.shared.forget_token(&token);
            }
        }
    }
}

/// Reads until a whole handshake request arrived; answers the protocol, or `Err(Some(text))`
/// to refuse it with that text, `Err(None)` when the client left.
async fn read_handshake(
    io: &mut TransportIo,
    input: &mut Vec<u8>,
    options: &HubOptions,
) -> Result<Protocol, Option<String>> {
    loop {
        match parse_handshake(input) {
            Ok(Some((request, used))) => {
                input.drain(..used);
                let protocol = request.select_protocol().map_err(Some)?;
                if !options.protocols.contains(&protocol) {
                    return Err(Some(format!(
                        "The protocol '{}' is not supported.",
                        protocol.name()
                    )));
                }
                if protocol.transfer_format() == TransferFormat::Binary
                    && io.transfer_format() == TransferFormat::Text
                {
                    return Err(Some(format!(
                        "Cannot use the '{}' protocol on the current transport. The transport does not support 'Binary' transfer format.",
                        protocol.name()
                    )));
                }
                return Ok(protocol);
            }
            Ok(None) if input.len() > MAX_HANDSHAKE_SIZE => {
                return Err(Some("Handshake was canceled.".to_owned()));
            }
            Ok(None) => {}
            Err(err) => {
                let prefix = "An unexpected error occurred during connection handshake.";
                return Err(Some(if options.detailed_errors {
                    format!("{prefix} InvalidDataException: {err}")
                } else {
                    prefix.to_owned()
                }));
            }
        }
        match io.recv().await {
            Incoming::Data(data) => input.extend_from_slice(&data),
            Incoming::Text(text) => input.extend_from_slice(text.as_bytes()),
            Incoming::Closed | Incoming::TooLarge => return Err(None),
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
    io: TransportIo,
    protocol: Protocol,
    handle: Arc<ConnectionHandle>,
    /// Bytes not handled yet: an unfinished message, or what follows a message that blocked.
    input: Vec<u8>,
    /// Calls running; created with the first call (an idle connection allocates none).
    running: Option<FuturesUnordered<PendingCall>>,
    /// How many of `running` count toward the parallel invocation limit.
    limited_running: usize,
    /// Bound calls and streams waiting for their turn.
    queued: VecDeque<BoundCall>,
    /// Server-to-client streams being produced; boxed with the first one (most connections have
    /// none, and an idle connection keeps this struct).
    streams: Option<Box<ServerStreams>>,
    /// Client-to-server streams by stream id.
    uploads: HashMap<Box<str>, mpsc::Sender<StreamInput>>,
    /// An upload item waiting for room in its stream's buffer: nothing else is read meanwhile.
    blocked: Option<BoxFuture<()>>,
    /// `on_connected`, while it runs: calls wait until it finished.
    connecting: Option<BoxFuture<Result<(), HubError>>>,
    ctx: Ctx<H>,
    /// Frames were sent to the transport and its flush has not completed yet.
    flushing: bool,
}

/// Whether the messages after this one can be handled now.
enum Flow {
    Continue,
    /// An upload stream's buffer is full: stop until it has room.
    Blocked,
}

/// What one step of the connection loop did.
enum Step {
    /// Something happened: look at every source again.
    Progress,
    /// Nothing to do here until this source wakes the task.
    Idle,
}

/// How a write stands after [`Connection::poll_write`].
enum Writing {
    /// Frames went out (the queue may hold more).
    Wrote,
    /// Everything queued is written and flushed.
    Done,
    /// The transport cannot take more yet: it wakes the task when it can.
    Blocked,
}

/// Turns of the loop within one poll of the task before it yields to the others.
const TURNS_PER_POLL: usize = 32;

impl<H: Hub> Connection<'_, H> {
    /// Runs the connection until it ends.
    ///
    /// A hand-written poll loop rather than `select!` over futures: its state is this struct
    /// alone, with no read, write or signal futures kept for an idle connection.
    async fn run(&mut self) -> End {
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
        for _ in 0..TURNS_PER_POLL {
            match self.turn(cx) {
                Ok(Step::Progress) => {}
                Ok(Step::Idle) => return Poll::Pending,
                Err(end) => return Poll::Ready(end),
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
        if let Poll::Ready(reason) = self.handle.poll_closed(cx) {
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
        }
        if let Some(running) = &mut self.running {
            if let Poll::Ready(Some(finished)) = running.poll_next_unpin(cx) {
                if finished.limited {
                    self.limited_running -= 1;
                }
                // After whatever the call sent to its caller before it finished.
                if let Some(frame) = self.completion(finished) {
                    self.handle.push_own(frame);
                }
                self.start_queued();
                step = Step::Progress;
            }
        }
        // While a write is blocked nothing new is read or produced: the client that does not
        // read is held back rather than its queue filled.
        let write_blocked = self.flushing;
        if !write_blocked {
            let reading = self.blocked.is_none() && self.queued.len() < MAX_QUEUED_CALLS;
            if reading {
                if let Poll::Ready(incoming) = self.io.poll_recv(cx) {
                    self.handle.mark_read();
                    match incoming {
                        Incoming::Data(data) => self.receive(&data)?,
                        Incoming::Text(text) => self.receive_text(&text)?,
                        Incoming::Closed => return Err(End::ClientClosed(None)),
                        Incoming::TooLarge => return Err(self.too_large()),
                    }
                    step = Step::Progress;
                }
            }
            if self.poll_streams(cx) {
                step = Step::Progress;
            }
        }
        // Last, so that what this turn read and ran goes out in this turn's flush.
        match self.poll_write(cx) {
            Poll::Ready(Ok(Writing::Wrote)) => step = Step::Progress,
            // The flush that held reading back completed: read now.
            Poll::Ready(Ok(Writing::Done)) if write_blocked => step = Step::Progress,
            Poll::Ready(Ok(Writing::Done | Writing::Blocked)) | Poll::Pending => {}
            Poll::Ready(Err(Gone)) => return Err(End::ClientClosed(None)),
        }
        Ok(step)
    }

    /// Up to a write batch of stream events (at most [`MAX_BATCH`] frames, or
    /// [`STREAM_BYTES_PER_TURN`] bytes), so that they share one flush (see [`ServerStreams`]).
    /// The bytes bound keeps producers at most one such batch ahead of a socket that stopped
    /// taking data.
    fn poll_streams(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(streams) = &mut self.streams else {
            return false;
        };
        let mut turn = streams.begin_turn(cx);
        let mut bytes = 0;
        let mut progress = false;
        for _ in 0..MAX_BATCH {
            let Some(streams) = &mut self.streams else {
                break;
            };
            let Some((id, method, event)) = streams.next(&mut turn) else {
                break;
            };
            let frame = self.stream_frame(&id, method, event);
            bytes += frame.as_bytes().len();
            self.handle.push_own(frame);
            progress = true;
            if bytes >= STREAM_BYTES_PER_TURN {
                break;
            }
        }
        if let Some(streams) = &mut self.streams {
            streams.end_turn(turn);
        }
        progress
    }

    /// A WebSocket message beyond the transport's limit.
    fn too_large(&self) -> End {
        match self.shared.options.maximum_receive_message_size {
            Some(max) => End::Protocol(ProtocolError::MessageTooLarge { max }),
            None => End::ClientClosed(None),
        }
    }

    /// Handles `data` after what is left of earlier frames: complete messages now, the rest
    /// later. Stops early, keeping the remaining bytes, when an upload stream is full.
    fn receive(&mut self, data: &[u8]) -> Result<(), End> {
        if self.input.is_empty() {
            return self.handle_input(data, None);
        }
        self.input.extend_from_slice(data);
        let buffered = std::mem::take(&mut self.input);
        self.handle_input(&buffered, None)
    }

    /// [`receive`](Self::receive) for a WebSocket text message: when nothing is buffered, its
    /// JSON messages are parsed without checking their UTF-8 again.
    fn receive_text(&mut self, text: &str) -> Result<(), End> {
        if !self.input.is_empty() || self.protocol != Protocol::Json {
            return self.receive(text.as_bytes());
        }
        self.handle_input(text.as_bytes(), Some(text))
    }

    /// Handles the complete messages of `bytes` (also given as `text` when known to be UTF-8)
    /// and keeps the rest in `self.input`, which is empty on entry.
    fn handle_input(&mut self, bytes: &[u8], text: Option<&str>) -> Result<(), End> {
        let max = self.shared.options.maximum_receive_message_size;
        let mut messages = self.protocol.messages(bytes, max);
        for raw in messages.by_ref() {
            let raw = raw.map_err(End::Protocol)?;
            // A message of `text` lies between record separators (ASCII), on character
            // boundaries.
            let start = raw.as_ptr() as usize - bytes.as_ptr() as usize;
            let parsed = match text.and_then(|text| text.get(start..start + raw.len())) {
                Some(raw) => parse_json_text(raw),
                None => self.protocol.parse(raw),
            }
            .map_err(End::Protocol)?;
            if let Some(message) = parsed {
                if let Flow::Blocked = self.handle_message(message)? {
                    // Keep what follows this message for later.
                    break;
                }
            }
        }
        self.input.extend_from_slice(messages.rest());
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
        let may_run_now = self.connecting.is_none()
            && self.queued.is_empty()
            && self.limited_running < self.shared.options.maximum_parallel_invocations_per_client;
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
            running
                .iter()
                .flatten()
                .any(|call| call.invocation_id() == Some(id))
                || queued.iter().any(|bound| match bound {
                    BoundCall::Call(call) => call.invocation_id() == Some(id),
                    BoundCall::Stream(stream) => &*stream.invocation_id == id,
                })
                || streams
                    .iter()
                    .flat_map(|streams| streams.iter())
                    .any(|stream| &*stream.invocation_id == id)
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
                    protocol: self.protocol,
                    detailed: shared.options.detailed_errors,
                    may_run_now,
                    id_in_use: &id_in_use,
                    open_uploads: &mut open,
                    close_uploads: &mut close,
                },
                &invocation,
                streaming,
            )
        };
        match bound {
            Ok(Binding::Ran(completion)) => {
                if let Some(bytes) = completion {
                    self.handle.push_own(Frame::encoded(self.protocol, bytes));
                }
            }
            Ok(Binding::Bound(call)) => {
                self.queued.push_back(call);
                self.start_queued();
            }
            Err(refusal) => match refusal.invocation_id {
                Some(id) => {
                    let bytes = self.protocol.completion_error(&id, &refusal.error);
                    self.handle.push_own(Frame::encoded(self.protocol, bytes));
                }
                None => {
                    tracing::debug!(connection_id = %self.handle.id, error = %refusal.error, "refused a fire-and-forget invocation");
                }
            },
        }
        Ok(Flow::Continue)
    }

    /// An item of an upload stream: into its buffer, or wait for room.
    fn upload_item(&mut self, stream_id: &str, item: EncodedValue<'_>) -> Flow {
        let Some(sender) = self.uploads.get(stream_id) else {
            tracing::debug!(connection_id = %self.handle.id, stream_id, "item for an unknown stream ignored");
            return Flow::Continue;
        };
        match sender.try_send(StreamInput::Item(item.to_owned_value())) {
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
            CompletionBody::Result(value) => Ok(value.to_owned_value()),
            CompletionBody::Void => Ok(OwnedValue::null()),
            CompletionBody::Error(error) => Err(error.into_owned()),
        };
        if !self.handle.resolve_result(id, reply) {
            tracing::debug!(connection_id = %self.handle.id, invocation_id = id, "completion for an unknown invocation ignored");
        }
        Flow::Continue
    }

    fn cancel(&mut self, invocation_id: &str) {
        if let Some(streams) = &mut self.streams {
            streams.cancel(invocation_id);
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
        // Streams and calls with upload streams start at once; plain calls in order, while a
        // slot is free.
        let mut index = 0;
        let mut plain_waiting = false;
        while index < self.queued.len() {
            let startable = match &self.queued[index] {
                BoundCall::Stream(_) => true,
                BoundCall::Call(call) if !call.limited => true,
                BoundCall::Call(_) => !plain_waiting && self.limited_running < limit,
            };
            if !startable {
                plain_waiting = true;
                index += 1;
                continue;
            }
            if let Some(bound) = self.queued.remove(index) {
                self.start(bound);
            }
        }
    }

    fn start(&mut self, bound: BoundCall) {
        let mut call = match bound {
            BoundCall::Stream(stream) => {
                self.streams.get_or_insert_default().push(stream);
                return;
            }
            BoundCall::Call(call) => call,
        };
        // Most hub methods finish on their first poll: finish those here, without a task in
        // the running set. The Completion joins this connection's queue, after whatever the
        // call sent to its caller. A call still pending is polled again, with the connection
        // task's waker, from the running set.
        let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
        if let Poll::Ready(finished) = Pin::new(&mut call).poll(&mut cx) {
            if let Some(frame) = self.completion(finished) {
                self.handle.push_own(frame);
            }
            return;
        }
        if call.limited {
            self.limited_running += 1;
        }
        self.running
            .get_or_insert_with(FuturesUnordered::new)
            .push(call);
    }

    /// The Completion of a finished call, if its client waits for one.
    fn completion(&self, finished: Finished) -> Option<Frame> {
        let value;
        let outcome = match finished.outcome {
            Ok(returned) => {
                value = returned;
                Ok(value.as_deref())
            }
            Err(error) => Err(error),
        };
        let bytes = dispatch::completion(
            self.protocol,
            finished.invocation_id.as_deref(),
            finished.method,
            outcome,
            self.shared.options.detailed_errors,
        )?;
        Some(Frame::encoded(self.protocol, bytes))
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
        let protocol = self.protocol;
        let bytes = match event {
            StreamEvent::Item(item) => match protocol.stream_item(id, &item) {
                Ok(bytes) => bytes,
                Err(err) => {
                    // The item cannot be sent: end the stream with this error Completion.
                    if let Some(streams) = &mut self.streams {
                        streams.abandon(id);
                    }
                    let failure =
                        StreamFailure::new(HubError::internal("SerializationException", err), true);
                    protocol.completion_error(id, &failure_text(failure))
                }
            },
            StreamEvent::End(Ok(())) => protocol.completion_void(id),
            StreamEvent::End(Err(failure)) => protocol.completion_error(id, &failure_text(failure)),
        };
        Frame::encoded(protocol, bytes)
    }

    /// Writes what is queued, up to a batch, with a single flush.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<Result<Writing, Gone>> {
        if self.flushing {
            ready!(self.io.poll_flush(cx))?;
            self.flushing = false;
            self.handle.mark_written();
        }
        let queue = &self.handle.outbound;
        let mut fed = 0;
        while fed < MAX_BATCH {
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
            self.io.start_send(frame)?;
            fed += 1;
        }
        if fed == 0 {
            // The transport is still writing earlier frames: flushing them is what comes next.
            self.flushing = true;
            return Poll::Ready(Ok(Writing::Blocked));
        }
        self.flushing = true;
        if self.io.poll_flush(cx)?.is_pending() {
            return Poll::Ready(Ok(Writing::Blocked));
        }
        self.flushing = false;
        self.handle.mark_written();
        Poll::Ready(Ok(Writing::Wrote))
    }

    /// Writes everything queued.
    fn poll_write_all(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Gone>> {
        loop {
            match ready!(self.poll_write(cx))? {
                Writing::Wrote => {}
                Writing::Done => return Poll::Ready(Ok(())),
                Writing::Blocked => return Poll::Pending,
            }
        }
    }
}
