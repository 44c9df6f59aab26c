//! The life of a connection: connecting, the loop over the socket, stateful reconnect of a lost
//! socket, automatic reconnect of a lost connection, and the handlers of the hub's calls.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

use super::buffer::{MessageBuffer, Receive};
use super::error::ClientError;
use super::negotiate::{NegotiateRequest, negotiate};
use super::retry::RetryContext;
use super::shared::{Command, ConnectionEvent, ConnectionState, Pending, Shared};
use super::socket::{Open, OpenError, Socket};
use super::url::HubUrl;
use crate::protocol::{Close, CompletionBody, HubMessage, OwnedValue};
use crate::remote::{CallError, ReceivedArguments};

/// How often received messages are acknowledged (stateful reconnect), as the official clients.
const ACK_INTERVAL: Duration = Duration::from_secs(1);

/// At most this many attempts to replace a lost socket, within the window.
const MAX_REATTACH_ATTEMPTS: u32 = 1_000;

/// A connected socket with what the connection keeps across sockets.
pub(super) struct Link {
    socket: Socket,
    /// Bytes of an unfinished message.
    input: Vec<u8>,
    pub(super) connection_id: Option<String>,
    /// With stateful reconnect: how to reattach, and the sequence state.
    resume: Option<Resume>,
}

struct Resume {
    url: HubUrl,
    connection_token: String,
    access_token: Option<String>,
    buffer: MessageBuffer,
}

/// How the loop over one connection ended.
enum End {
    /// `stop`.
    Stopped,
    /// A Close message from the server.
    Closed(Close),
    /// The socket (or the stateful reconnect of it) failed: automatic reconnect may retry.
    Lost(ClientError),
    /// The server broke the protocol: the connection closes.
    Failed(ClientError),
}

/// A call from the hub, for the handlers.
struct Incoming {
    epoch: u64,
    invocation_id: Option<String>,
    target: String,
    arguments: ReceivedArguments,
}

/// Negotiates (unless skipped), opens the WebSocket and does the handshake.
pub(super) async fn connect(shared: &Shared) -> Result<Link, ClientError> {
    let options = &shared.options;
    let mut url = HubUrl::parse(&options.url)?;
    let mut access_token = match &options.access_token {
        Some(provider) => provider().await,
        None => None,
    };
    let (mut connection_id, mut connection_token, mut stateful) = (None, None, false);
    if !options.skip_negotiation {
        let transfer_format = if options.protocol == crate::protocol::Protocol::Json {
            "Text"
        } else {
            "Binary"
        };
        let negotiated = negotiate(
            url,
            access_token,
            &NegotiateRequest {
                headers: &options.headers,
                stateful_reconnect: options.stateful_reconnect,
                transfer_format,
                timeout: options.http_timeout,
            },
        )
        .await?;
        url = negotiated.url;
        access_token = negotiated.access_token;
        connection_id = negotiated.connection_id;
        connection_token = Some(negotiated.connection_token);
        stateful = negotiated.stateful_reconnect;
    }
    let mut socket = Socket::open(&Open {
        url: &url,
        connection_token: connection_token.as_deref(),
        headers: &options.headers,
        access_token: access_token.as_deref(),
        protocol: options.protocol,
        max_message_size: options.max_message_size,
    })
    .await?;
    let version = if stateful { 2 } else { 1 };
    let input = socket
        .handshake(options.protocol, version, options.handshake_timeout)
        .await?;
    // As the official clients: a Ping right after the handshake (the server counts stateful
    // reconnect's messages from the client's first one).
    socket
        .send(options.protocol.ping())
        .await
        .map_err(ClientError::WebSocket)?;
    let resume = match (stateful, connection_token) {
        (true, Some(connection_token)) => Some(Resume {
            url,
            connection_token,
            access_token,
            buffer: MessageBuffer::new(options.protocol, options.stateful_reconnect_buffer_size),
        }),
        _ => None,
    };
    Ok(Link {
        socket,
        input,
        connection_id,
        resume,
    })
}

/// The connection's task: drives each connection, reconnects, and ends it.
pub(super) async fn run(
    shared: Arc<Shared>,
    mut link: Link,
    mut commands: mpsc::UnboundedReceiver<Command>,
    stop: CancellationToken,
    mut epoch: u64,
) {
    let (incoming, calls) = mpsc::unbounded_channel();
    let handlers = tokio::spawn(run_handlers(Arc::clone(&shared), calls));
    let error = loop {
        let end = drive(&shared, &mut link, epoch, &mut commands, &stop, &incoming).await;
        let error = match end {
            End::Stopped => break None,
            End::Closed(close) if !close.allow_reconnect => {
                break Some(ClientError::ServerClosed(close.error));
            }
            End::Closed(close) => ClientError::ServerClosed(close.error),
            End::Lost(error) => error,
            End::Failed(error) => {
                link.socket.close().await;
                break Some(error);
            }
        };
        shared.fail_calls(&error);
        let Some(policy) = shared.options.retry_policy.clone() else {
            break Some(error);
        };
        {
            let mut live = shared.live();
            live.connection_id = None;
            shared.set_state(ConnectionState::Reconnecting);
        }
        shared.emit(ConnectionEvent::Reconnecting {
            error: Some(error.clone()),
        });
        match reconnect(&shared, policy.as_ref(), error, &stop).await {
            Ok(new_link) => {
                link = new_link;
                {
                    let mut live = shared.live();
                    live.epoch += 1;
                    epoch = live.epoch;
                    live.connection_id = link.connection_id.clone();
                    shared.set_state(ConnectionState::Connected);
                }
                shared.emit(ConnectionEvent::Reconnected {
                    connection_id: link.connection_id.clone(),
                });
            }
            Err(error) => break error,
        }
    };
    {
        let mut live = shared.live();
        live.commands = None;
        live.connection_id = None;
        live.stop = None;
        shared.set_state(ConnectionState::Disconnected);
    }
    shared.fail_calls(error.as_ref().unwrap_or(&ClientError::Stopped));
    drop(incoming);
    let _ = handlers.await;
    shared.emit(ConnectionEvent::Closed { error });
}

/// Automatic reconnect: attempts with the policy's delays. `Err(None)` when stopped,
/// `Err(Some(error))` when the policy gave up.
async fn reconnect(
    shared: &Shared,
    policy: &dyn super::retry::RetryPolicy,
    error: ClientError,
    stop: &CancellationToken,
) -> Result<Link, Option<ClientError>> {
    let started = Instant::now();
    let mut context = RetryContext {
        previous_retry_count: 0,
        elapsed: Duration::ZERO,
        retry_reason: Some(error),
    };
    loop {
        context.elapsed = started.elapsed();
        let Some(delay) = policy.next_retry_delay(&context) else {
            return Err(context.retry_reason);
        };
        tokio::select! {
            () = stop.cancelled() => return Err(None),
            () = tokio::time::sleep(delay) => {}
        }
        let attempt = tokio::select! {
            () = stop.cancelled() => return Err(None),
            attempt = connect(shared) => attempt,
        };
        match attempt {
            Ok(link) => return Ok(link),
            Err(error) => {
                context.previous_retry_count += 1;
                context.retry_reason = Some(error);
            }
        }
    }
}

/// The loop over one connection: sends what is queued, reads and handles what arrives, pings,
/// acknowledges, watches the server timeout; replaces a lost socket with stateful reconnect.
async fn drive(
    shared: &Shared,
    link: &mut Link,
    epoch: u64,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    stop: &CancellationToken,
    incoming: &mpsc::UnboundedSender<Incoming>,
) -> End {
    let options = &shared.options;
    let mut last_received = Instant::now();
    let mut last_sent = Instant::now();
    let mut acks = tokio::time::interval(ACK_INTERVAL);
    if let Some(end) = handle_input(shared, link, epoch, incoming) {
        return end;
    }
    loop {
        let full = link.resume.as_ref().is_some_and(|r| r.buffer.is_full());
        let stateful = link.resume.is_some();
        let lost = tokio::select! {
            biased;
            () = stop.cancelled() => {
                link.socket.close().await;
                return End::Stopped;
            }
            received = link.socket.recv() => match received {
                Some(Ok(bytes)) => {
                    last_received = Instant::now();
                    link.input.extend_from_slice(&bytes);
                    match handle_input(shared, link, epoch, incoming) {
                        Some(end) => return end,
                        None => continue,
                    }
                }
                Some(Err(error)) => error,
                None => "the server closed the WebSocket".to_owned(),
            },
            command = commands.recv(), if !full => {
                let Some(command) = command else { return End::Stopped };
                if command.epoch != epoch {
                    continue;
                }
                if let Some(resume) = &mut link.resume {
                    resume.buffer.sending(&command.bytes);
                }
                match link.socket.send(command.bytes).await {
                    Ok(()) => {
                        last_sent = Instant::now();
                        continue;
                    }
                    Err(error) => error,
                }
            }
            _ = acks.tick(), if stateful => {
                let Some(ack) = link.resume.as_mut().and_then(|r| r.buffer.pending_ack()) else {
                    continue;
                };
                match link.socket.send(ack).await {
                    Ok(()) => continue,
                    Err(error) => error,
                }
            }
            () = sleep_until(last_sent + options.keep_alive_interval) => {
                match link.socket.send(options.protocol.ping()).await {
                    Ok(()) => {
                        last_sent = Instant::now();
                        continue;
                    }
                    Err(error) => error,
                }
            }
            () = sleep_until(last_received + options.server_timeout) => {
                return End::Lost(ClientError::ServerTimeout);
            }
        };
        if link.resume.is_none() {
            return End::Lost(ClientError::ConnectionLost(lost));
        }
        match reattach(shared, link, stop).await {
            Ok(()) => {
                last_received = Instant::now();
                last_sent = Instant::now();
            }
            Err(end) => return end,
        }
    }
}

/// Stateful reconnect: opens a new socket for the same connection and resends what the server
/// has not acknowledged, within the window.
async fn reattach(shared: &Shared, link: &mut Link, stop: &CancellationToken) -> Result<(), End> {
    let options = &shared.options;
    let deadline = Instant::now() + options.stateful_reconnect_window;
    let Some(resume) = link.resume.as_mut() else {
        return Err(End::Lost(ClientError::ConnectionLost(
            "no stateful reconnect".to_owned(),
        )));
    };
    let window_elapsed = || {
        End::Lost(ClientError::ConnectionLost(
            "the WebSocket could not be reconnected within the stateful reconnect window"
                .to_owned(),
        ))
    };
    for attempt in 0..MAX_REATTACH_ATTEMPTS {
        resume.buffer.disconnected();
        if attempt > 0 {
            // A growing pause between attempts: 50 ms, doubling up to 1 s.
            let pause = Duration::from_millis(50 << attempt.min(5)).min(Duration::from_secs(1));
            if Instant::now() + pause >= deadline {
                return Err(window_elapsed());
            }
            tokio::select! {
                () = stop.cancelled() => return Err(End::Stopped),
                () = tokio::time::sleep(pause) => {}
            }
        }
        let open = Open {
            url: &resume.url,
            connection_token: Some(&resume.connection_token),
            headers: &options.headers,
            access_token: resume.access_token.as_deref(),
            protocol: options.protocol,
            max_message_size: options.max_message_size,
        };
        let opened = tokio::select! {
            () = stop.cancelled() => return Err(End::Stopped),
            opened = tokio::time::timeout_at(deadline, Socket::open(&open)) => opened,
        };
        let mut socket = match opened {
            Err(_) => return Err(window_elapsed()),
            Ok(Ok(socket)) => socket,
            Ok(Err(OpenError::Status(404))) => {
                return Err(End::Lost(ClientError::ConnectionLost(
                    "the server no longer knows the connection".to_owned(),
                )));
            }
            Ok(Err(_)) => continue,
        };
        let mut resent = true;
        for message in resume.buffer.resend() {
            if socket.send(message).await.is_err() {
                resent = false;
                break;
            }
        }
        if resent {
            link.socket = socket;
            link.input.clear();
            return Ok(());
        }
    }
    Err(window_elapsed())
}

/// Handles the complete messages of the input; an end when one ends the connection.
fn handle_input(
    shared: &Shared,
    link: &mut Link,
    epoch: u64,
    incoming: &mpsc::UnboundedSender<Incoming>,
) -> Option<End> {
    let protocol = shared.options.protocol;
    let input = std::mem::take(&mut link.input);
    let mut messages = protocol.messages(&input, Some(shared.options.max_message_size));
    for raw in messages.by_ref() {
        let parsed = raw.and_then(|raw| protocol.parse(raw));
        let message = match parsed {
            Ok(Some(message)) => message,
            Ok(None) => continue,
            Err(error) => return Some(End::Failed(ClientError::Protocol(error.to_string()))),
        };
        if let Some(resume) = &mut link.resume {
            match resume.buffer.receive(&message) {
                Ok(Receive::Process) => {}
                Ok(Receive::Skip) => continue,
                Err(_) => {
                    return Some(End::Failed(ClientError::Protocol(
                        "Sequence ID greater than amount of messages we've received.".to_owned(),
                    )));
                }
            }
        }
        match message {
            HubMessage::Invocation(invocation) => {
                let _ = incoming.send(Incoming {
                    epoch,
                    invocation_id: invocation.invocation_id.map(|id| id.into_owned()),
                    target: invocation.target.into_owned(),
                    arguments: ReceivedArguments::new(invocation.arguments.to_owned_values()),
                });
            }
            HubMessage::StreamItem(item) => {
                let live = shared.live();
                if let Some(Pending::Stream(items)) = live.calls.get(item.invocation_id.as_ref()) {
                    let _ = items.send(Ok(item.item.to_owned_value()));
                }
            }
            HubMessage::Completion(completion) => {
                let pending = shared
                    .live()
                    .calls
                    .remove(completion.invocation_id.as_ref());
                let outcome = match completion.body {
                    CompletionBody::Void => Ok(OwnedValue::null()),
                    CompletionBody::Result(value) => Ok(value.to_owned_value()),
                    CompletionBody::Error(error) => Err(CallError::Hub(error.into_owned())),
                };
                match pending {
                    Some(Pending::Invoke(result)) => {
                        let _ = result.send(outcome);
                    }
                    // A stream ends with its Completion; an error is its last item.
                    Some(Pending::Stream(items)) => {
                        if let Err(error) = outcome {
                            let _ = items.send(Err(error));
                        }
                    }
                    None => {}
                }
            }
            HubMessage::Close(close) => return Some(End::Closed(close)),
            HubMessage::Ack { sequence_id } => {
                if let Some(resume) = &mut link.resume {
                    resume.buffer.ack(sequence_id);
                }
            }
            // Pings only keep the connection alive; a server does not stream from a client
            // or cancel its calls; Sequence was handled by the buffer.
            HubMessage::Ping
            | HubMessage::StreamInvocation(_)
            | HubMessage::CancelInvocation { .. }
            | HubMessage::Sequence { .. } => {}
        }
    }
    link.input = messages.rest().to_vec();
    None
}

/// Runs the handlers of the hub's calls one at a time, in order of arrival, and answers those
/// that wait for a result.
async fn run_handlers(shared: Arc<Shared>, mut calls: mpsc::UnboundedReceiver<Incoming>) {
    let protocol = shared.options.protocol;
    while let Some(call) = calls.recv().await {
        let handlers = shared.handlers.get(&call.target.to_lowercase());
        let Some(handlers) = handlers else {
            match &call.invocation_id {
                Some(id) => {
                    let answer = protocol.completion_error(id, "Client didn't provide a result.");
                    shared.send_raw(call.epoch, answer);
                }
                None => tracing::warn!(
                    method = %call.target,
                    "no client method with this name: the call is ignored"
                ),
            }
            continue;
        };
        let mut results = Vec::new();
        let mut failure = None;
        for handler in handlers {
            let outcome = AssertUnwindSafe(handler(call.arguments.clone()))
                .catch_unwind()
                .await
                .unwrap_or_else(|_| Err("the handler panicked".to_owned()));
            match outcome {
                Ok(Some(value)) => results.push(value),
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(method = %call.target, %error, "a client method failed");
                    failure = Some(error);
                }
            }
        }
        let Some(id) = &call.invocation_id else {
            continue;
        };
        let answer = match (failure, results.len()) {
            (Some(error), _) => protocol.completion_error(id, &error),
            (None, 0) => protocol.completion_error(id, "Client didn't provide a result."),
            (None, 1) => protocol
                .completion_result(id, &*results[0])
                .unwrap_or_else(|error| protocol.completion_error(id, &error)),
            (None, _) => protocol.completion_error(id, "Client provided multiple results."),
        };
        shared.send_raw(call.epoch, answer);
    }
}
