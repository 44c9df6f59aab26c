//! The WebSocket under a client connection, and the hub protocol's handshake on it.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, header};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tungstenite::Message;
use tungstenite::client::IntoClientRequest;
use tungstenite::protocol::WebSocketConfig;

use super::error::ClientError;
use super::url::HubUrl;
use crate::protocol::{Protocol, RECORD_SEPARATOR};

/// The most a handshake response may take before its separator.
const MAX_HANDSHAKE: usize = 64 << 10;

/// Why a WebSocket did not open.
#[derive(Debug)]
pub(super) enum OpenError {
    /// The server answered the upgrade with this HTTP status.
    Status(u16),
    /// Anything else: the network, a malformed answer.
    Other(String),
}

impl From<OpenError> for ClientError {
    fn from(error: OpenError) -> Self {
        match error {
            OpenError::Status(status) => {
                ClientError::WebSocket(format!("the server answered with status {status}"))
            }
            OpenError::Other(detail) => ClientError::WebSocket(detail),
        }
    }
}

/// An open WebSocket of a hub connection.
pub(super) struct Socket {
    ws: WebSocketStream<TcpStream>,
    binary: bool,
}

/// What opening a socket needs.
pub(super) struct Open<'a> {
    pub(super) url: &'a HubUrl,
    pub(super) connection_token: Option<&'a str>,
    pub(super) headers: &'a [(HeaderName, HeaderValue)],
    pub(super) access_token: Option<&'a str>,
    pub(super) protocol: Protocol,
    pub(super) max_message_size: usize,
}

impl Socket {
    /// Opens the WebSocket of `open`.
    pub(super) async fn open(open: &Open<'_>) -> Result<Socket, OpenError> {
        let target = open.url.websocket(open.connection_token);
        let mut request = target
            .as_str()
            .into_client_request()
            .map_err(|e| OpenError::Other(e.to_string()))?;
        let headers = request.headers_mut();
        for (name, value) in open.headers {
            headers.insert(name.clone(), value.clone());
        }
        if let Some(token) = open.access_token {
            let value = HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|e| OpenError::Other(format!("access token: {e}")))?;
            headers.insert(header::AUTHORIZATION, value);
        }
        let stream = TcpStream::connect(open.url.host_port())
            .await
            .map_err(|e| OpenError::Other(e.to_string()))?;
        let _ = stream.set_nodelay(true);
        let config = WebSocketConfig::default()
            .max_message_size(Some(open.max_message_size))
            .max_frame_size(Some(open.max_message_size));
        match tokio_tungstenite::client_async_with_config(request, stream, Some(config)).await {
            Ok((ws, _)) => Ok(Socket {
                ws,
                binary: open.protocol != Protocol::Json,
            }),
            Err(tungstenite::Error::Http(response)) => {
                Err(OpenError::Status(response.status().as_u16()))
            }
            Err(e) => Err(OpenError::Other(e.to_string())),
        }
    }

    /// Sends hub protocol bytes: a text frame for JSON, a binary one for MessagePack.
    pub(super) async fn send(&mut self, bytes: Vec<u8>) -> Result<(), String> {
        let message = if self.binary {
            Message::Binary(bytes.into())
        } else {
            let text = String::from_utf8(bytes).map_err(|e| e.to_string())?;
            Message::Text(text.into())
        };
        self.ws.send(message).await.map_err(|e| e.to_string())
    }

    /// The next bytes from the server; `None` once the server closed the socket.
    pub(super) async fn recv(&mut self) -> Option<Result<Vec<u8>, String>> {
        loop {
            return match self.ws.next().await? {
                Ok(Message::Text(text)) => Some(Ok(text.as_bytes().to_vec())),
                Ok(Message::Binary(bytes)) => Some(Ok(bytes.to_vec())),
                Ok(Message::Close(_)) => None,
                Ok(_) => continue,
                Err(e) => Some(Err(e.to_string())),
            };
        }
    }

    /// Closes the socket (a Close frame), waiting a little for the server's answer.
    pub(super) async fn close(&mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            let _ = self.ws.close(None).await;
            while let Some(Ok(_)) = self.ws.next().await {}
        })
        .await;
    }

    /// The hub protocol's handshake: the request, then the response; what followed the
    /// response in the same frames is returned.
    pub(super) async fn handshake(
        &mut self,
        protocol: Protocol,
        version: u32,
        timeout: Duration,
    ) -> Result<Vec<u8>, ClientError> {
        let request = format!(
            "{{\"protocol\":\"{}\",\"version\":{version}}}\u{1e}",
            protocol.name()
        );
        self.ws
            .send(Message::Text(request.into()))
            .await
            .map_err(|e| ClientError::WebSocket(e.to_string()))?;
        let read = async {
            let mut received = Vec::new();
            loop {
                match self.recv().await {
                    Some(Ok(bytes)) => received.extend_from_slice(&bytes),
                    Some(Err(e)) => return Err(ClientError::WebSocket(e)),
                    None => {
                        return Err(ClientError::Handshake(
                            "the server closed the connection before the handshake response"
                                .to_owned(),
                        ));
                    }
                }
                if let Some(end) = received.iter().position(|&b| b == RECORD_SEPARATOR) {
                    handshake_response(&received[..end])?;
                    return Ok(received[end + 1..].to_vec());
                }
                if received.len() > MAX_HANDSHAKE {
                    return Err(ClientError::Handshake(
                        "the handshake response is too large".to_owned(),
                    ));
                }
            }
        };
        tokio::time::timeout(timeout, read)
            .await
            .map_err(|_| ClientError::Handshake("Server handshake timed out.".to_owned()))?
    }
}

/// Reads a handshake response: `{}` accepts, `{"error": "..."}` refuses.
fn handshake_response(text: &[u8]) -> Result<(), ClientError> {
    let value: serde_json::Value = serde_json::from_slice(text).map_err(|_| {
        ClientError::Handshake("Expected a handshake response from the server.".to_owned())
    })?;
    let Some(object) = value.as_object() else {
        return Err(ClientError::Handshake(
            "Expected a handshake response from the server.".to_owned(),
        ));
    };
    match object.get("error") {
        None | Some(serde_json::Value::Null) => Ok(()),
        Some(error) => Err(ClientError::Handshake(format!(
            "Server returned handshake error: {}",
            error
                .as_str()
                .map_or_else(|| error.to_string(), str::to_owned)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_responses() {
        assert!(handshake_response(b"{}").is_ok());
        assert_eq!(
            handshake_response(br#"{"error":"The protocol 'x' is not supported."}"#),
            Err(ClientError::Handshake(
                "Server returned handshake error: The protocol 'x' is not supported.".into()
            ))
        );
        for bad in [&b"[]"[..], b"{", b"\xff", b"42"] {
            assert!(handshake_response(bad).is_err());
        }
    }
}
