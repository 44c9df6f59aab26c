//! Server-Sent Events and long polling: the HTTP requests that carry one connection.
//!
//! A connection on these transports is an [`HttpEndpoint`] in the token table: `POST {hub}?id=`
//! hands request bodies to the connection task, and the task's output leaves through the SSE
//! response stream or through the long polls.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use tokio::sync::{Notify, mpsc};

use super::io::{Gone, HttpIo, TransportIo};
use super::plain;
use crate::connection::{ConnectionId, run_connection};
use crate::context::RequestInfo;
use crate::dispatch::Hub;
use crate::router::{HubShared, TokenState};

/// Which HTTP transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HttpKind {
    ServerSentEvents,
    LongPolling,
}

/// Output buffered for long polling beyond which the connection waits for the client to poll.
const MAX_POLL_BUFFER: usize = 1 << 20;
/// How many bytes a client may POST before its transport connected.
const MAX_EARLY_BYTES: usize = 1 << 20;
/// How many POST bodies may wait for the connection task.
const POST_QUEUE: usize = 4;

/// The HTTP side of a connection on SSE or long polling.
pub(crate) struct HttpEndpoint {
    pub(crate) kind: HttpKind,
    post: mpsc::Sender<Bytes>,
    post_busy: AtomicBool,
    deleted: AtomicBool,
    deleted_signal: Notify,
    sse: Option<mpsc::Sender<Bytes>>,
    pub(crate) poll: Option<PollState>,
}

/// Whether a long-polling client is still there: it is while a poll is open, and for the client
/// timeout after its last poll ended.
#[derive(Default)]
pub(crate) struct PollActivity {
    pub(crate) active: AtomicBool,
    /// Milliseconds on the hub clock when a poll last started or ended.
    pub(crate) last_ms: AtomicU64,
}

pub(crate) struct PollState {
    buffer: Mutex<PollBuffer>,
    /// Data arrived, the connection ended, or a newer poll came.
    changed: Notify,
    /// A poll took the buffer.
    drained: Notify,
    pub(crate) activity: Arc<PollActivity>,
}

#[derive(Default)]
struct PollBuffer {
    data: Vec<u8>,
    /// The connection ended: once the buffer is drained, polls get 204.
    finished: bool,
    /// Counts polls: a poll that sees a newer one return 204.
    generation: u64,
}

impl HttpEndpoint {
    fn new(kind: HttpKind, post: mpsc::Sender<Bytes>, sse: Option<mpsc::Sender<Bytes>>) -> Self {
        HttpEndpoint {
            kind,
            post,
            post_busy: AtomicBool::new(false),
            deleted: AtomicBool::new(false),
            deleted_signal: Notify::new(),
            sse,
            poll: (kind == HttpKind::LongPolling).then(|| PollState {
                buffer: Mutex::new(PollBuffer::default()),
                changed: Notify::new(),
                drained: Notify::new(),
                activity: Arc::default(),
            }),
        }
    }

    /// Resolves once the client ended the connection: DELETE (long polling), or dropping the
    /// event stream (Server-Sent Events).
    pub(crate) async fn closed_by_client(&self) {
        if let Some(sse) = &self.sse {
            return sse.closed().await;
        }
        loop {
            let notified = self.deleted_signal.notified();
            if self.deleted.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }

    /// Sends bytes the connection wrote to the client.
    pub(crate) async fn write(&self, bytes: Vec<u8>) -> Result<(), Gone> {
        if let Some(sse) = &self.sse {
            return sse.send(sse_event(&bytes)).await.map_err(|_| Gone);
        }
        let Some(poll) = &self.poll else {
            return Err(Gone);
        };
        loop {
            let drained = poll.drained.notified();
            {
                let mut buffer = poll.buffer.lock().unwrap_or_else(|e| e.into_inner());
                if buffer.finished {
                    return Err(Gone);
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
    /// poll took what is still buffered (the Close message): the client polls again at once, and
    /// a server shutting down must not exit before that poll came. Ends when the client sends
    /// DELETE; the caller bounds the wait (the connection's time for its last writes). Only for
    /// shutdowns: otherwise the token stays known for a while after the connection task ended,
    /// and a later poll still gets the data.
    pub(crate) async fn finish_and_drain(&self) {
        self.finish();
        let Some(poll) = &self.poll else {
            return;
        };
        loop {
            let drained = poll.drained.notified();
            let deleted = self.deleted_signal.notified();
            let empty = poll
                .buffer
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .data
                .is_empty();
            if empty || self.deleted.load(Ordering::Acquire) {
                return;
            }
            tokio::select! {
                () = drained => {}
                () = deleted => {}
            }
        }
    }
}

/// One SSE event carrying `payload`: a `data:` line per line of it, then a blank line.
fn sse_event(payload: &[u8]) -> Bytes {
    let mut event = Vec::with_capacity(payload.len() + 16);
    for line in payload.split(|&b| b == b'\n') {
        event.extend_from_slice(b"data: ");
        event.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
        event.extend_from_slice(b"\r\n");
    }
    event.extend_from_slice(b"\r\n");
    Bytes::from(event)
}

fn no_cache(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store"),
    );
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::EXPIRES,
        HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"),
    );
}

/// Starts the connection task of a negotiated connection on an HTTP transport.
fn start<H: Hub>(
    shared: &Arc<HubShared<H>>,
    kind: HttpKind,
    id: ConnectionId,
    token: &str,
    request: RequestInfo,
    sse: Option<mpsc::Sender<Bytes>>,
    early: Vec<u8>,
) -> Arc<HttpEndpoint> {
    let (post, incoming) = mpsc::channel(POST_QUEUE);
    let endpoint = Arc::new(HttpEndpoint::new(kind, post, sse));
    if let Some(poll) = &endpoint.poll {
        // The first poll (this request) counts as the client's last sign of life.
        poll.activity
            .last_ms
            .store(shared.lifetime.now_ms(), Ordering::Relaxed);
    }
    shared
        .tokens
        .insert(token.into(), TokenState::Connected(Some(endpoint.clone())));
    let io = TransportIo::Http(HttpIo::new(endpoint.clone(), incoming));
    let live = shared.lifetime.task_started();
    tokio::spawn(run_connection(
        shared.clone(),
        io,
        id,
        Some(token.into()),
        request,
        live,
        early,
    ));
    endpoint
}

/// `GET {hub}` without a WebSocket upgrade: Server-Sent Events (`Accept: text/event-stream`) or a
/// long poll.
pub(crate) async fn get<H: Hub>(
    shared: Arc<HubShared<H>>,
    query: HashMap<String, String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let sse = headers
        .get(header::ACCEPT)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    let kind = if sse {
        HttpKind::ServerSentEvents
    } else {
        HttpKind::LongPolling
    };
    let Some(token) = query.get("id") else {
        return plain(StatusCode::BAD_REQUEST, "Connection ID required");
    };
    let state = match shared.tokens.get_mut(token.as_str()) {
        None => return plain(StatusCode::NOT_FOUND, "No Connection with that ID"),
        Some(mut state) => match &mut *state {
            // A shutting-down hub takes no new connections, but still answers the polls of
            // the connections it has: their last poll carries the Close message.
            TokenState::Pending(_) if shared.lifetime.is_shutting_down() => {
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
            TokenState::Pending(pending) => {
                Err((pending.id.clone(), std::mem::take(&mut pending.early)))
            }
            TokenState::Connected(endpoint) => Ok(endpoint.clone()),
        },
    };
    let enabled = match kind {
        HttpKind::ServerSentEvents => shared.options.transports.server_sent_events,
        HttpKind::LongPolling => shared.options.transports.long_polling,
    };
    match state {
        Err(_) | Ok(Some(_)) if !enabled => plain(
            StatusCode::NOT_FOUND,
            match kind {
                HttpKind::ServerSentEvents => {
                    "ServerSentEvents transport not supported by this end point type"
                }
                HttpKind::LongPolling => {
                    "LongPolling transport not supported by this end point type"
                }
            },
        ),
        Err((id, early)) => {
            let request = RequestInfo::new(uri, &headers);
            match kind {
                HttpKind::ServerSentEvents => open_sse(&shared, id, token, request, early),
                HttpKind::LongPolling => {
                    start(&shared, kind, id, token, request, None, early);
                    // The first poll returns at once: the client sends its handshake after it.
                    let mut response = StatusCode::OK.into_response();
                    no_cache(&mut response);
                    response
                }
            }
        }
        Ok(Some(endpoint)) if endpoint.kind == kind && kind == HttpKind::LongPolling => {
            poll(&shared, &endpoint, token).await
        }
        Ok(Some(endpoint)) if endpoint.kind == kind => StatusCode::CONFLICT.into_response(),
        Ok(_) => plain(
            StatusCode::BAD_REQUEST,
            "Cannot change transports mid-connection",
        ),
    }
}

fn open_sse<H: Hub>(
    shared: &Arc<HubShared<H>>,
    id: ConnectionId,
    token: &str,
    request: RequestInfo,
    early: Vec<u8>,
) -> Response {
    let (events, receiver) = mpsc::channel::<Bytes>(16);
    start(
        shared,
        HttpKind::ServerSentEvents,
        id,
        token,
        request,
        Some(events),
        early,
    );
    // A comment first: the client waits for the stream to open before it sends its handshake.
    let opening = stream::once(async { Ok::<_, Infallible>(Bytes::from_static(b":\r\n")) });
    let events = stream::unfold(receiver, |mut receiver| async move {
        receiver
            .recv()
            .await
            .map(|event| (Ok::<_, Infallible>(event), receiver))
    });
    let mut response = Response::new(Body::from_stream(futures_util::StreamExt::chain(
        opening, events,
    )));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(
        header::CONTENT_ENCODING,
        HeaderValue::from_static("identity"),
    );
    no_cache(&mut response);
    response
}

/// A long poll: whatever is buffered, or wait for data, the end, a newer poll or the timeout.
async fn poll<H: Hub>(
    shared: &Arc<HubShared<H>>,
    endpoint: &HttpEndpoint,
    token: &str,
) -> Response {
    let Some(state) = &endpoint.poll else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let activity = &state.activity;
    activity.active.store(true, Ordering::Release);
    activity
        .last_ms
        .store(shared.lifetime.now_ms(), Ordering::Relaxed);
    let generation = {
        let mut buffer = state.buffer.lock().unwrap_or_else(|e| e.into_inner());
        buffer.generation += 1;
        buffer.generation
    };
    // An older poll still waiting returns 204 now.
    state.changed.notify_waiters();
    let timeout = tokio::time::sleep(shared.options.long_polling_timeout);
    tokio::pin!(timeout);
    let outcome = loop {
        let changed = state.changed.notified();
        {
            let mut buffer = state.buffer.lock().unwrap_or_else(|e| e.into_inner());
            if buffer.generation != generation {
                break PollOutcome::Replaced;
            }
            if !buffer.data.is_empty() {
                let data = std::mem::take(&mut buffer.data);
                state.drained.notify_waiters();
                break PollOutcome::Data(data);
            }
            if buffer.finished {
                break PollOutcome::Finished;
            }
        }
        tokio::select! {
            () = changed => {}
            () = &mut timeout => break PollOutcome::TimedOut,
        }
    };
    activity
        .last_ms
        .store(shared.lifetime.now_ms(), Ordering::Relaxed);
    if !matches!(outcome, PollOutcome::Replaced) {
        activity.active.store(false, Ordering::Release);
    }
    let mut response = match outcome {
        PollOutcome::Data(data) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/octet-stream")],
            data,
        )
            .into_response(),
        PollOutcome::TimedOut => StatusCode::OK.into_response(),
        PollOutcome::Replaced => StatusCode::NO_CONTENT.into_response(),
        PollOutcome::Finished => {
            shared.forget_token(token);
            StatusCode::NO_CONTENT.into_response()
        }
    };
    no_cache(&mut response);
    response
}

enum PollOutcome {
    Data(Vec<u8>),
    TimedOut,
    Replaced,
    Finished,
}

/// `POST {hub}?id=`: hub messages from an SSE or long-polling client.
pub(crate) async fn send<H: Hub>(
    State(shared): State<Arc<HubShared<H>>>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let Some(token) = query.get("id") else {
        return plain(StatusCode::BAD_REQUEST, "Connection ID required");
    };
    let endpoint = match shared.tokens.get_mut(token.as_str()).as_deref_mut() {
        None => return plain(StatusCode::NOT_FOUND, "No Connection with that ID"),
        Some(TokenState::Pending(pending)) => {
            // Sent before the transport connected: kept for the connection, as ASP.NET Core
            // buffers it in the connection's pipe.
            if pending.early.len() + body.len() > MAX_EARLY_BYTES {
                return StatusCode::PAYLOAD_TOO_LARGE.into_response();
            }
            pending.early.extend_from_slice(&body);
            return StatusCode::OK.into_response();
        }
        Some(TokenState::Connected(None)) => {
            return plain(
                StatusCode::METHOD_NOT_ALLOWED,
                "POST requests are not allowed for WebSocket connections.",
            );
        }
        Some(TokenState::Connected(Some(endpoint))) => endpoint.clone(),
    };
    if endpoint.post_busy.swap(true, Ordering::AcqRel) {
        return StatusCode::CONFLICT.into_response();
    }
    let delivered = endpoint.post.send(body).await;
    endpoint.post_busy.store(false, Ordering::Release);
    match delivered {
        Ok(()) => StatusCode::OK.into_response(),
        Err(_) => plain(StatusCode::NOT_FOUND, "No Connection with that ID"),
    }
}

/// `DELETE {hub}?id=`: a long-polling client ends its connection.
pub(crate) async fn delete<H: Hub>(
    State(shared): State<Arc<HubShared<H>>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(token) = query.get("id") else {
        return plain(StatusCode::BAD_REQUEST, "Connection ID required");
    };
    let endpoint = match shared.tokens.get(token.as_str()).as_deref() {
        None => return plain(StatusCode::NOT_FOUND, "No Connection with that ID"),
        Some(TokenState::Connected(Some(endpoint))) if endpoint.kind == HttpKind::LongPolling => {
            endpoint.clone()
        }
        Some(_) => {
            return plain(
                StatusCode::BAD_REQUEST,
                "Cannot terminate this connection using the DELETE endpoint.",
            );
        }
    };
    endpoint.deleted.store(true, Ordering::Release);
    endpoint.deleted_signal.notify_waiters();
    // The poll waiting now returns 204.
    endpoint.finish();
    plain(StatusCode::ACCEPTED, "")
}

/// Forgets a long-polling token a while after its connection ended, in case the client never
/// polls again to learn it.
pub(crate) fn forget_later<H: Hub>(shared: &Arc<HubShared<H>>, token: Box<str>, after: Duration) {
    let weak = Arc::downgrade(shared);
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        if let Some(shared) = weak.upgrade() {
            shared.forget_token(&token);
        }
    });
}
