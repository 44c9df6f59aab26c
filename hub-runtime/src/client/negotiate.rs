//! `POST {hub}/negotiate` over HTTP/1.1, with redirects and access tokens.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Request, header};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio::net::TcpStream;

use super::error::ClientError;
use super::url::HubUrl;

/// The most a negotiate response may hold.
const MAX_RESPONSE: usize = 1 << 20;

/// The most redirects followed, as the official clients.
const MAX_REDIRECTS: usize = 100;

/// What negotiate answered, in the fields the client uses.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Response {
    negotiate_version: Option<u32>,
    connection_id: Option<String>,
    connection_token: Option<String>,
    available_transports: Option<Vec<AvailableTransport>>,
    url: Option<String>,
    access_token: Option<String>,
    error: Option<String>,
    use_stateful_reconnect: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AvailableTransport {
    transport: String,
    #[serde(default)]
    transfer_formats: Vec<String>,
}

/// A negotiated connection.
#[derive(Debug)]
pub(super) struct Negotiated {
    /// Where the hub is (after redirects).
    pub(super) url: HubUrl,
    /// The token to send from now on (a redirect may give one).
    pub(super) access_token: Option<String>,
    pub(super) connection_id: Option<String>,
    /// What the WebSocket sends as `id`.
    pub(super) connection_token: String,
    /// The server agreed to stateful reconnect.
    pub(super) stateful_reconnect: bool,
}

/// What negotiate needs of the options.
pub(super) struct NegotiateRequest<'a> {
    pub(super) headers: &'a [(HeaderName, HeaderValue)],
    pub(super) stateful_reconnect: bool,
    /// `Binary` for MessagePack, `Text` for JSON.
    pub(super) transfer_format: &'static str,
    pub(super) timeout: Duration,
}

/// Negotiates, following redirects.
pub(super) async fn negotiate(
    mut url: HubUrl,
    mut access_token: Option<String>,
    request: &NegotiateRequest<'_>,
) -> Result<Negotiated, ClientError> {
    for _ in 0..MAX_REDIRECTS {
        let path = url.negotiate_path(request.stateful_reconnect);
        let (status, body) = tokio::time::timeout(
            request.timeout,
            post(&url, &path, request.headers, access_token.as_deref()),
        )
        .await
        .map_err(|_| ClientError::Http("negotiate timed out".to_owned()))??;
        if status != 200 {
            return Err(ClientError::Http(format!(
                "Failed to complete negotiation with the server: Status code '{status}'"
            )));
        }
        let response: Response = serde_json::from_slice(&body).map_err(|e| {
            ClientError::Negotiate(format!("the response is not a negotiate answer: {e}"))
        })?;
        if let Some(error) = response.error {
            return Err(ClientError::Negotiate(error));
        }
        if let Some(redirect) = response.url {
            url = HubUrl::parse(&redirect)?;
            if let Some(token) = response.access_token {
                access_token = Some(token);
            }
            continue;
        }
        let websockets = response
            .available_transports
            .unwrap_or_default()
            .into_iter()
            .find(|t| t.transport == "WebSockets");
        match websockets {
            Some(t)
                if t.transfer_formats
                    .iter()
                    .any(|f| f == request.transfer_format) => {}
            _ => {
                return Err(ClientError::Negotiate(format!(
                    "the server does not offer WebSockets with the {} transfer format",
                    request.transfer_format
                )));
            }
        }
        let connection_id = response.connection_id;
        let connection_token = if response.negotiate_version.unwrap_or(0) >= 1 {
            response.connection_token
        } else {
            connection_id.clone()
        }
        .filter(|token| !token.is_empty())
        .ok_or_else(|| ClientError::Negotiate("the response has no connection token".into()))?;
        return Ok(Negotiated {
            url,
            access_token,
            connection_id,
            connection_token,
            stateful_reconnect: request.stateful_reconnect
                && response.use_stateful_reconnect == Some(true),
        });
    }
    Err(ClientError::Negotiate(
        "Negotiate redirection limit exceeded.".to_owned(),
    ))
}

/// `POST path` to `url`'s host with an empty body: the status and the body.
async fn post(
    url: &HubUrl,
    path: &str,
    headers: &[(HeaderName, HeaderValue)],
    access_token: Option<&str>,
) -> Result<(u16, Bytes), ClientError> {
    let http = |e: &dyn std::fmt::Display| ClientError::Http(e.to_string());
    let stream = TcpStream::connect(url.host_port())
        .await
        .map_err(|e| http(&e))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| http(&e))?;
    let connection = tokio::spawn(connection);
    let mut builder = Request::post(path)
        .header(header::HOST, url.authority())
        .header(header::CONTENT_LENGTH, "0");
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    if let Some(token) = access_token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = builder.body(Empty::<Bytes>::new()).map_err(|e| http(&e))?;
    let response = sender.send_request(request).await.map_err(|e| http(&e))?;
    let status = response.status().as_u16();
    let body = Limited::new(response.into_body(), MAX_RESPONSE)
        .collect()
        .await
        .map_err(|e| http(&*e))?
        .to_bytes();
    drop(sender);
    connection.abort();
    Ok((status, body))
}
