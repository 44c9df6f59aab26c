//! The handshake: the protocol the client asks for, the answer, and the connection's
//! registration with its hub.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use super::runtime::HubRuntime;
use super::sequence::Sequencing;
use super::state::{HubConnection, MAX_HANDSHAKE_SIZE, MESSAGES_PER_POLL};
use crate::connection::{Connection, Frame};
use crate::dispatch::filter_connected;
use crate::lifetime::{CallContext, ConnectionHandle};
use crate::options::HubOptions;
use crate::protocol::{
    HandshakeResponse, Protocol, RECORD_SEPARATOR, TransferFormat, parse_handshake,
};

/// The handshake; on success the connection is registered and answered.
pub(super) async fn open(runtime: Arc<HubRuntime>, mut io: Connection) -> Option<HubConnection> {
    let options = &runtime.options;
    let mut input = Vec::new();
    let handshake = tokio::time::timeout(
        options.handshake_timeout,
        read_handshake(&mut io, &mut input, options),
    )
    .await
    .unwrap_or(Err(Some("Handshake was canceled.".to_owned())));
    let response = match &handshake {
        Ok(_) => HandshakeResponse::Accepted,
        Err(Some(error)) => {
            tracing::info!(connection_id = %io.id(), %error, "handshake refused");
            HandshakeResponse::Refused(error.clone())
        }
        Err(None) => return None,
    };
    let (protocol, version) = match handshake {
        Ok(accepted) => accepted,
        Err(_) => {
            // The handshake response is JSON text whatever the protocol.
            let _ = io.send(Frame::text(response.encode())).await;
            io.close_in_place(false).await;
            return None;
        }
    };

    // Stateful reconnect needs both: the transport's (negotiated, WebSockets) and the hub
    // protocol's (version 2); without the second the connection ends when its socket does.
    let sequencing = if io.is_stateful() && version >= 2 {
        Some(Box::new(Sequencing::new(
            options.stateful_reconnect_buffer_size,
        )))
    } else {
        io.without_reattach();
        None
    };
    let request = io.shared_request();
    // The provider's user id, or the authenticated user's.
    let user = match &options.user_id_provider {
        Some(provide) => provide(&request),
        None => request.user().map(|user| user.id().to_owned()),
    }
    .map(Arc::from);
    let expires_at = request.user().and_then(|user| user.expires_at());
    let handle = ConnectionHandle::new(
        io.id().clone(),
        user,
        request,
        protocol,
        io.transport(),
        options.outbound_buffer_limit,
    );
    if let Some(expires_at) = expires_at.filter(|_| options.close_on_authentication_expiration) {
        handle.close_at_expiry(expires_at);
    }
    let lifetime = runtime.lifetime.clone();
    // Registered before the client learns it is connected, so a client that saw the handshake
    // response can be reached by its id at once. Messages sent to it meanwhile wait in its queue,
    // which the loop only drains after the response went out.
    lifetime.add(&handle).await;
    if io.send(Frame::text(response.encode())).await.is_err() {
        lifetime.remove(&handle).await;
        return None;
    }
    lifetime.ensure_heartbeat(
        options.keep_alive_interval,
        options.client_timeout_interval,
        options.slow_client_timeout,
    );
    tracing::debug!(connection_id = %handle.id(), protocol = protocol.name(), "connected");

    let call = CallContext::new(handle.clone(), lifetime);
    let connecting = filter_connected(
        &options.filters,
        handle,
        runtime.dispatcher.on_connected(&call),
    );
    Some(HubConnection {
        io,
        protocol,
        connecting: Some(connecting),
        call,
        input,
        running: None,
        limited_running: 0,
        queued: VecDeque::new(),
        ids: Default::default(),
        streams: None,
        uploads: HashMap::new(),
        blocked: None,
        flushing: false,
        budget: MESSAGES_PER_POLL,
        input_pending: false,
        sequencing,
        runtime,
    })
}

/// Reads until a whole handshake request arrived; answers the protocol, or `Err(Some(text))`
/// to refuse it with that text, `Err(None)` when the client left.
async fn read_handshake(
    io: &mut Connection,
    input: &mut Vec<u8>,
    options: &HubOptions,
) -> Result<(Protocol, u32), Option<String>> {
    loop {
        // The handshake must end within its size limit, whatever follows it in the same read.
        let limit = input.len().min(MAX_HANDSHAKE_SIZE + 1);
        if input.len() > MAX_HANDSHAKE_SIZE && !input[..limit].contains(&RECORD_SEPARATOR) {
            return Err(Some("Handshake was canceled.".to_owned()));
        }
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
                return Ok((protocol, request.version));
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
            Ok(Some(frame)) => input.extend_from_slice(frame.as_bytes()),
            Ok(None) | Err(_) => return Err(None),
        }
    }
}
