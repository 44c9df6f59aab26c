//! SignalR over the two HTTP transports, Server-Sent Events and long polling, with the JSON hub
//! protocol: the load generator's client for servers that are not reached over WebSocket.
//!
//! A connection ([`HttpConn`]) holds two keep-alive HTTP/1.1 connections (hyper's low-level
//! client, its connection driver spawned on the current runtime), each on a socket from
//! [`open_socket`], bound to the source address the caller picks:
//!
//! - the send side: `POST {path}/negotiate?negotiateVersion=1` once, then one
//!   `POST {path}?id=TOKEN` (`text/plain;charset=UTF-8`) per [`HttpConn::send`];
//! - the receive side: one `GET {path}?id=TOKEN` with `Accept: text/event-stream` whose body is
//!   the event stream (Server-Sent Events), or consecutive `GET {path}?id=TOKEN` long polls.
//!
//! Long polling starts the way the ASP.NET Core client does: a first poll, which the server
//! answers at once and which starts the connection, then the handshake. The server sends no
//! Pings over long polling (the polls are the keep-alive, as in ASP.NET Core) and ends a
//! connection that has had no poll open for its client timeout (30 s by default), whatever the
//! client POSTs: a long-polling client must keep calling [`HttpConn::recv`].
//!
//! Server-Sent Events are parsed as the HTML standard says (lines ending in LF or CRLF; a lone CR
//! as line end is not supported): `data` fields joined by `\n`, comments and other fields
//! ignored, an event dispatched at a blank line, whatever the body's chunking.

// Not every mode of the load generator uses every item (`HttpConn::close`, `transport`).
#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Body, Bytes, Incoming};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpSocket, TcpStream};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The record separator ending every JSON hub protocol message.
const RS: char = '\u{1e}';
const HANDSHAKE: &str = "{\"protocol\":\"json\",\"version\":1}\u{1e}";
const TEXT_PLAIN: &str = "text/plain;charset=UTF-8";
/// How much of an unexpected response body an error message quotes.
const SNIPPET_CHARS: usize = 200;
/// How long reading the body of an error response may take.
const ERROR_BODY_TIMEOUT: Duration = Duration::from_secs(5);
/// Event stream bytes buffered without a complete line beyond which the stream is refused.
const MAX_SSE_BUFFER: usize = 16 << 20;

/// Which HTTP transport a connection uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpTransport {
    Sse,
    LongPolling,
}

impl HttpTransport {
    /// The name in the negotiate response's `availableTransports`.
    fn negotiate_name(self) -> &'static str {
        match self {
            HttpTransport::Sse => "ServerSentEvents",
            HttpTransport::LongPolling => "LongPolling",
        }
    }
}

/// One SignalR connection (JSON hub protocol, handshake done) over an HTTP transport.
pub struct HttpConn {
    transport: HttpTransport,
    /// `Host` of every request.
    host: HeaderValue,
    /// `{path}?id=TOKEN`: sends, the event stream, polls.
    uri: Uri,
    /// The keep-alive connection of the POSTs.
    post: SendRequest<Full<Bytes>>,
    receive: Receive,
    /// What arrived after the handshake response in the same event or poll; the next `recv`
    /// returns it.
    pending: Option<String>,
}

enum Receive {
    Sse {
        body: Incoming,
        parser: SseParser,
        /// Kept so the connection lives as long as its event stream.
        _sender: SendRequest<Empty<Bytes>>,
    },
    LongPolling(SendRequest<Empty<Bytes>>),
}

impl HttpConn {
    /// Negotiates (`POST {path}/negotiate?negotiateVersion=1`), opens the receive side
    /// (Server-Sent Events: the event stream; long polling: the first poll, which the server
    /// answers at once), sends the JSON handshake with a POST and waits for the handshake
    /// response (an error response is an `Err`). Both sockets come from [`open_socket`], bound
    /// to `source`.
    pub async fn connect(
        server: SocketAddr,
        path: &str,
        transport: HttpTransport,
        source: Ipv4Addr,
    ) -> Result<HttpConn, BoxError> {
        let host = HeaderValue::from_str(&server.to_string())?;
        // A query already in `path` stays in front of ours.
        let (base, query) = match path.split_once('?') {
            Some((base, query)) => (base, format!("{query}&")),
            None => (path, String::new()),
        };
        let base = base.trim_end_matches('/');

        let mut post = open_http1::<Full<Bytes>>(server, source).await?;
        let negotiate_uri = format!("{base}/negotiate?{query}negotiateVersion=1");
        let request = Request::builder()
            .method(Method::POST)
            .uri(negotiate_uri.as_str())
            .header(header::HOST, host.clone())
            .header(header::CONTENT_TYPE, HeaderValue::from_static(TEXT_PLAIN))
            .body(Full::default())?;
        let response = exchange(&mut post, request, "POST", &negotiate_uri).await?;
        let body = expect_ok(response, "POST", &negotiate_uri).await?;
        let token = negotiated_token(&body, transport)?;

        let base = if base.is_empty() { "/" } else { base };
        let uri: Uri = format!("{base}?{query}id={}", percent_encode(&token)).parse()?;

        let mut receiver = open_http1::<Empty<Bytes>>(server, source).await?;
        let mut pending = None;
        let receive = match transport {
            HttpTransport::Sse => {
                let request = Request::builder()
                    .method(Method::GET)
                    .uri(uri.clone())
                    .header(header::HOST, host.clone())
                    .header(
                        header::ACCEPT,
                        HeaderValue::from_static("text/event-stream"),
                    )
                    .header(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))
                    .body(Empty::new())?;
                let response = exchange(&mut receiver, request, "GET", &uri).await?;
                if response.status() != StatusCode::OK {
                    return Err(status_error(response, "GET (event stream)", &uri).await);
                }
                let content_type = response.headers().get(header::CONTENT_TYPE);
                if !content_type.is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream")) {
                    return Err(format!(
                        "GET {uri} (event stream): Content-Type {content_type:?}, \
                         not text/event-stream"
                    )
                    .into());
                }
                Receive::Sse {
                    body: response.into_body(),
                    parser: SseParser::default(),
                    _sender: receiver,
                }
            }
            HttpTransport::LongPolling => {
                let text = poll(&mut receiver, &uri, &host, "first poll").await?;
                if !text.is_empty() {
                    pending = Some(text);
                }
                Receive::LongPolling(receiver)
            }
        };

        let mut conn = HttpConn {
            transport,
            host,
            uri,
            post,
            receive,
            pending,
        };
        conn.send(HANDSHAKE).await?;
        let mut text = String::new();
        let end = loop {
            text.push_str(&conn.recv().await?);
            if let Some(end) = text.find(RS) {
                break end;
            }
        };
        check_handshake_response(&text[..end])?;
        let rest = &text[end + RS.len_utf8()..];
        if !rest.is_empty() {
            conn.pending = Some(rest.to_owned());
        }
        Ok(conn)
    }

    /// The transport this connection uses.
    pub fn transport(&self) -> HttpTransport {
        self.transport
    }

    /// Sends `text` (one or more complete records, each ending in `\x1e`) with one
    /// `POST {path}?id=TOKEN`; `Ok` once the server answered 200.
    pub async fn send(&mut self, text: &str) -> Result<(), BoxError> {
        let request = Request::builder()
            .method(Method::POST)
            .uri(self.uri.clone())
            .header(header::HOST, self.host.clone())
            .header(header::CONTENT_TYPE, HeaderValue::from_static(TEXT_PLAIN))
            .body(Full::new(Bytes::copy_from_slice(text.as_bytes())))?;
        let response = exchange(&mut self.post, request, "POST", &self.uri).await?;
        // Read the (empty) body to its end: the connection is then free for the next POST.
        expect_ok(response, "POST", &self.uri).await?;
        Ok(())
    }

    /// The next text the server sent: the data of the next event (Server-Sent Events) or the
    /// body of the next non-empty poll (long polling; a poll answered 200 with nothing is
    /// repeated, 204 means the server ended the connection and is an `Err`). It may hold
    /// several records.
    pub async fn recv(&mut self) -> Result<String, BoxError> {
        if let Some(text) = self.pending.take() {
            return Ok(text);
        }
        match &mut self.receive {
            Receive::Sse { body, parser, .. } => loop {
                if let Some(event) = parser.next_event()? {
                    if event.is_empty() {
                        continue;
                    }
                    return Ok(event);
                }
                match body.frame().await {
                    None => return Err("the server ended the event stream".into()),
                    Some(Err(e)) => return Err(format!("event stream: {e}").into()),
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            parser.push(&data)?;
                        }
                    }
                }
            },
            Receive::LongPolling(sender) => loop {
                let text = poll(sender, &self.uri, &self.host, "poll").await?;
                if !text.is_empty() {
                    return Ok(text);
                }
            },
        }
    }

    /// Ends the connection: long polling sends `DELETE {path}?id=TOKEN` (202 expected);
    /// Server-Sent Events close the event stream (dropping the connection does the same).
    pub async fn close(mut self) -> Result<(), BoxError> {
        if self.transport == HttpTransport::LongPolling {
            let request = Request::builder()
                .method(Method::DELETE)
                .uri(self.uri.clone())
                .header(header::HOST, self.host.clone())
                .body(Full::default())?;
            let response = exchange(&mut self.post, request, "DELETE", &self.uri).await?;
            if !response.status().is_success() {
                return Err(status_error(response, "DELETE", &self.uri).await);
            }
        }
        Ok(())
    }
}

/// Opens a TCP connection to `server` from `source` (the kernel picks the port at `connect`
/// time for the whole 4-tuple, `IP_BIND_ADDRESS_NO_PORT`, so each source address has its own
/// ~28k ports), `TCP_NODELAY`, closing with `SO_LINGER` 0 (no TIME_WAIT left behind). Every
/// socket of the load generator comes from here.
pub(crate) async fn open_socket(
    server: SocketAddr,
    source: Ipv4Addr,
) -> std::io::Result<TcpStream> {
    #[cfg(test)]
    tests::SOCKETS_OPENED.with(|n| n.set(n.get() + 1));
    let socket = TcpSocket::new_v4()?;
    socket.set_zero_linger()?;
    socket.set_nodelay(true)?;
    let on: libc::c_int = 1;
    // SAFETY: a valid socket descriptor and a pointer to an int of the size given.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    socket.bind(SocketAddr::new(source.into(), 0))?;
    socket.connect(server).await
}

/// An HTTP/1.1 connection on a socket from [`open_socket`], its driver spawned.
async fn open_http1<B>(server: SocketAddr, source: Ipv4Addr) -> Result<SendRequest<B>, BoxError>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let stream = open_socket(server, source)
        .await
        .map_err(|e| format!("connecting to {server} from {source}: {e}"))?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP/1.1 handshake with {server}: {e}"))?;
    // Its errors reach the requests in flight; it ends when the sender and the last response
    // body are dropped.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// Sends `request` once the connection is free, and waits for the response head.
async fn exchange<B>(
    sender: &mut SendRequest<B>,
    request: Request<B>,
    method: &str,
    uri: &(dyn std::fmt::Display + Sync),
) -> Result<Response<Incoming>, BoxError>
where
    B: Body + 'static,
{
    sender
        .ready()
        .await
        .map_err(|e| format!("{method} {uri}: connection unusable: {e}"))?;
    Ok(sender
        .send_request(request)
        .await
        .map_err(|e| format!("{method} {uri}: {e}"))?)
}

/// The body of a 200 response, or an error quoting the status and the body.
async fn expect_ok(
    response: Response<Incoming>,
    method: &str,
    uri: &(dyn std::fmt::Display + Sync),
) -> Result<Bytes, BoxError> {
    if response.status() != StatusCode::OK {
        return Err(status_error(response, method, uri).await);
    }
    Ok(response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("{method} {uri}: reading the body: {e}"))?
        .to_bytes())
}

/// An error naming the request, the status and the start of the body.
async fn status_error(
    response: Response<Incoming>,
    what: &str,
    uri: &(dyn std::fmt::Display + Sync),
) -> BoxError {
    let status = response.status();
    let body = tokio::time::timeout(ERROR_BODY_TIMEOUT, response.into_body().collect()).await;
    let body = match body {
        Ok(Ok(body)) => snippet(&body.to_bytes()),
        Ok(Err(e)) => format!("(body unreadable: {e})"),
        Err(_) => "(body not received in time)".to_owned(),
    };
    format!("{what} {uri}: {status}: {body}").into()
}

/// The start of `bytes` as text, for error messages.
fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(SNIPPET_CHARS).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    if out.is_empty() {
        out.push_str("(empty body)");
    }
    out
}

fn utf8(body: Bytes, what: &str) -> Result<String, BoxError> {
    String::from_utf8(Vec::from(body))
        .map_err(|e| format!("{what}: the body is not UTF-8: {}", snippet(e.as_bytes())).into())
}

/// One long poll: its body (empty when the poll timed out); 204 (the server ended the
/// connection) and other statuses are errors.
async fn poll(
    sender: &mut SendRequest<Empty<Bytes>>,
    uri: &Uri,
    host: &HeaderValue,
    what: &str,
) -> Result<String, BoxError> {
    let request = poll_request(uri, host)?;
    let response = exchange(sender, request, "GET", uri).await?;
    match response.status() {
        StatusCode::OK => {
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("GET {uri} ({what}): {e}"))?
                .to_bytes();
            utf8(body, what)
        }
        StatusCode::NO_CONTENT => Err(format!(
            "GET {uri} ({what}): 204 No Content, the server ended the connection"
        )
        .into()),
        _ => Err(status_error(response, &format!("GET ({what})"), uri).await),
    }
}

fn poll_request(uri: &Uri, host: &HeaderValue) -> Result<Request<Empty<Bytes>>, BoxError> {
    Ok(Request::builder()
        .method(Method::GET)
        .uri(uri.clone())
        .header(header::HOST, host.clone())
        .body(Empty::new())?)
}

/// The token to send as `id` from a negotiate response, once sure the server offers the
/// transport with text frames.
fn negotiated_token(body: &[u8], transport: HttpTransport) -> Result<String, BoxError> {
    let json: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        format!(
            "negotiate: the response is not JSON ({e}): {}",
            snippet(body)
        )
    })?;
    if let Some(error) = json.get("error") {
        return Err(format!("negotiate refused: {error}").into());
    }
    if let Some(url) = json.get("url") {
        return Err(
            format!("negotiate redirects to {url}, which this client does not follow").into(),
        );
    }
    let name = transport.negotiate_name();
    let offered = json
        .get("availableTransports")
        .and_then(|t| t.as_array())
        .is_some_and(|transports| {
            transports.iter().any(|t| {
                t.get("transport").and_then(|n| n.as_str()) == Some(name)
                    && t.get("transferFormats")
                        .and_then(|f| f.as_array())
                        .is_some_and(|f| f.iter().any(|f| f.as_str() == Some("Text")))
            })
        });
    if !offered {
        return Err(format!(
            "negotiate: the server does not offer {name} with text: {}",
            snippet(body)
        )
        .into());
    }
    // Version 1 servers name a secret token; version 0 ones use the connection id.
    let version = json
        .get("negotiateVersion")
        .and_then(|v| v.as_u64())
        .unwrap_or(0);
    let field = if version >= 1 {
        "connectionToken"
    } else {
        "connectionId"
    };
    match json.get(field).and_then(|t| t.as_str()) {
        Some(token) if !token.is_empty() => Ok(token.to_owned()),
        _ => Err(format!("negotiate: no {field} in the response: {}", snippet(body)).into()),
    }
}

/// Checks the handshake response record (without its separator): `{}`, or `{"error":...}`.
fn check_handshake_response(record: &str) -> Result<(), BoxError> {
    let json: serde_json::Value = serde_json::from_str(record).map_err(|e| {
        format!(
            "handshake response is not JSON ({e}): {}",
            snippet(record.as_bytes())
        )
    })?;
    if !json.is_object() {
        return Err(format!("handshake response is not an object: {record}").into());
    }
    if let Some(error) = json.get("error") {
        return Err(format!("handshake refused: {error}").into());
    }
    Ok(())
}

/// Percent-encodes everything but RFC 3986's unreserved characters, for a query value.
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for &b in value.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An event stream parser: bytes in as they arrive, the data of each complete event out.
#[derive(Default)]
struct SseParser {
    buf: Vec<u8>,
    /// Where the first line not parsed yet starts in `buf`.
    pos: usize,
    /// The data of the event being read.
    data: String,
    /// Whether the event being read had a `data` field (its data may still be empty).
    has_data: bool,
}

impl SseParser {
    /// Adds bytes of the stream.
    fn push(&mut self, chunk: &[u8]) -> Result<(), BoxError> {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        if self.buf.len() + chunk.len() > MAX_SSE_BUFFER {
            return Err(format!(
                "event stream: more than {MAX_SSE_BUFFER} bytes without a line end"
            )
            .into());
        }
        self.buf.extend_from_slice(chunk);
        Ok(())
    }

    /// The data of the next complete event, or `None` until more bytes arrive.
    fn next_event(&mut self) -> Result<Option<String>, BoxError> {
        while let Some(len) = self.buf[self.pos..].iter().position(|&b| b == b'\n') {
            let line = &self.buf[self.pos..self.pos + len];
            self.pos += len + 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                if !self.has_data {
                    continue;
                }
                self.has_data = false;
                return Ok(Some(std::mem::take(&mut self.data)));
            }
            if line[0] == b':' {
                continue;
            }
            let (field, value) = match line.iter().position(|&b| b == b':') {
                Some(colon) => {
                    let value = &line[colon + 1..];
                    (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
                }
                None => (line, &[][..]),
            };
            if field == b"data" {
                let value = std::str::from_utf8(value)
                    .map_err(|_| format!("event stream: data is not UTF-8: {}", snippet(value)))?;
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// Sockets [`open_socket`] opened on this thread (each test has its own).
        pub(super) static SOCKETS_OPENED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// Every event `chunks` yield, fed one chunk at a time.
    fn events(chunks: &[&[u8]]) -> Vec<String> {
        let mut parser = SseParser::default();
        let mut out = Vec::new();
        for chunk in chunks {
            parser.push(chunk).unwrap();
            while let Some(event) = parser.next_event().unwrap() {
                out.push(event);
            }
        }
        out
    }

    #[test]
    fn sse_one_event() {
        assert_eq!(events(&[b"data: {}\x1e\n\n"]), ["{}\x1e"]);
    }

    #[test]
    fn sse_several_events_in_one_chunk() {
        assert_eq!(
            events(&[b"data: a\n\ndata: b\n\ndata:c\n\n"]),
            ["a", "b", "c"]
        );
    }

    #[test]
    fn sse_event_split_across_chunks() {
        let stream: &[u8] = b"data: {\"type\":6}\x1e\r\n\r\ndata: second\r\n\r\n";
        // Every split point, including inside the CRLF pairs.
        for split in 0..=stream.len() {
            let (a, b) = stream.split_at(split);
            assert_eq!(
                events(&[a, b]),
                ["{\"type\":6}\x1e", "second"],
                "split at {split}"
            );
        }
        // One byte at a time.
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(events(&bytes), ["{\"type\":6}\x1e", "second"]);
    }

    #[test]
    fn sse_utf8_split_across_chunks() {
        let stream = "data: é€\n\n".as_bytes();
        let (a, b) = stream.split_at(8); // inside '€'
        assert_eq!(events(&[a, b]), ["é€"]);
    }

    #[test]
    fn sse_crlf_and_lf() {
        assert_eq!(events(&[b"data: a\r\n\r\ndata: b\n\n"]), ["a", "b"]);
        assert_eq!(events(&[b"data: a\r\n\ndata: b\n\r\n"]), ["a", "b"]);
    }

    #[test]
    fn sse_comments_and_other_fields_ignored() {
        assert_eq!(
            events(&[
                b":\r\n",
                b": keep-alive\n\nevent: x\nid: 7\nretry: 10\ndata: a\n:c\n\n"
            ]),
            ["a"]
        );
    }

    #[test]
    fn sse_data_lines_joined_with_newline() {
        assert_eq!(
            events(&[b"data: one\ndata:two\ndata:  three\n\n"]),
            ["one\ntwo\n three"]
        );
    }

    #[test]
    fn sse_empty_data_and_no_data() {
        // A blank line with no data field dispatches nothing; `data` alone is an empty event.
        assert_eq!(events(&[b"\n\nevent: x\n\ndata\n\n"]), [""]);
    }

    #[test]
    fn sse_incomplete_event_waits() {
        let mut parser = SseParser::default();
        parser.push(b"data: a\n").unwrap();
        assert_eq!(parser.next_event().unwrap(), None);
        parser.push(b"\r").unwrap();
        assert_eq!(parser.next_event().unwrap(), None);
        parser.push(b"\n").unwrap();
        assert_eq!(parser.next_event().unwrap().as_deref(), Some("a"));
        assert_eq!(parser.next_event().unwrap(), None);
    }

    #[test]
    fn sse_invalid_utf8_is_an_error() {
        let mut parser = SseParser::default();
        parser.push(b"data: \xff\n\n").unwrap();
        assert!(parser.next_event().is_err());
    }

    #[test]
    fn negotiate_response() {
        let body = br#"{"negotiateVersion":1,"connectionId":"c","connectionToken":"t","availableTransports":[{"transport":"WebSockets","transferFormats":["Text","Binary"]},{"transport":"ServerSentEvents","transferFormats":["Text"]}]}"#;
        assert_eq!(negotiated_token(body, HttpTransport::Sse).unwrap(), "t");
        let error = negotiated_token(body, HttpTransport::LongPolling).unwrap_err();
        assert!(error.to_string().contains("LongPolling"), "{error}");
        assert!(negotiated_token(br#"{"error":"no"}"#, HttpTransport::Sse).is_err());
        assert!(negotiated_token(b"<html>", HttpTransport::Sse).is_err());
    }

    #[test]
    fn handshake_response() {
        assert!(check_handshake_response("{}").is_ok());
        let error = check_handshake_response(r#"{"error":"bad"}"#).unwrap_err();
        assert!(error.to_string().contains("bad"), "{error}");
        assert!(check_handshake_response("nope").is_err());
    }

    /// The load generator spawns its connection tasks with `tokio::spawn`: the futures must be
    /// `Send`. Checked at compile time.
    #[test]
    fn futures_are_send() {
        fn assert_send<T: Send>(_: &T) {}
        async fn use_conn() {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 1));
            let connect = HttpConn::connect(addr, "/", HttpTransport::Sse, Ipv4Addr::LOCALHOST);
            assert_send(&connect);
            let Ok(mut conn) = connect.await else { return };
            assert_send(&conn.send(""));
            assert_send(&conn.recv());
            assert_send(&conn.close());
        }
        assert_send(&use_conn());
    }

    #[test]
    fn percent_encoding() {
        assert_eq!(percent_encode("aZ9-_.~"), "aZ9-_.~");
        assert_eq!(percent_encode("a+b/c="), "a%2Bb%2Fc%3D");
    }

    /// Against the bench hub server (`bench/target/release/hub-bench`, or `HUB_BENCH_BIN`).
    mod live {
        use super::*;
        use crate::test_server::start_server;

        const PATH: &str = "/hubs/chat";
        const SOURCE: Ipv4Addr = Ipv4Addr::LOCALHOST;
        const TIMEOUT: Duration = Duration::from_secs(60);

        /// Receives until a Completion arrives, and returns it (pings and other messages
        /// skipped).
        async fn completion(conn: &mut HttpConn) -> String {
            loop {
                let text = conn.recv().await.expect("recv");
                for record in text.split_terminator(RS) {
                    if record.contains("\"type\":3") {
                        return record.to_owned();
                    }
                }
            }
        }

        async fn echoes(transport: HttpTransport) {
            let server = start_server();
            let run = async {
                let mut conn = HttpConn::connect(server.addr, PATH, transport, SOURCE)
                    .await
                    .expect("connect");
                assert_eq!(conn.transport(), transport);
                for i in 0..200 {
                    conn.send(&format!(
                        "{{\"type\":1,\"invocationId\":\"{i}\",\"target\":\"Echo\",\"arguments\":[\"hi\"]}}{RS}"
                    ))
                    .await
                    .expect("send");
                    assert_eq!(
                        completion(&mut conn).await,
                        format!("{{\"type\":3,\"invocationId\":\"{i}\",\"result\":\"hi\"}}")
                    );
                }
                conn.close().await.expect("close");
                // Negotiate, handshake, 200 sends and the DELETE on one keep-alive connection;
                // the event stream or every poll on the other.
                assert_eq!(SOCKETS_OPENED.with(|n| n.get()), 2, "sockets opened");
            };
            tokio::time::timeout(TIMEOUT, run)
                .await
                .expect("200 echoes in time");
        }

        #[tokio::test]
        async fn echo_over_sse() {
            echoes(HttpTransport::Sse).await;
        }

        #[tokio::test]
        async fn echo_over_long_polling() {
            echoes(HttpTransport::LongPolling).await;
        }

        /// A broadcast from an SSE connection reaches it and a long-polling one; several records
        /// in one POST are all handled.
        #[tokio::test]
        async fn broadcast_across_transports() {
            let server = start_server();
            let run = async {
                let mut sse = HttpConn::connect(server.addr, PATH, HttpTransport::Sse, SOURCE)
                    .await
                    .expect("connect SSE");
                let mut poll =
                    HttpConn::connect(server.addr, PATH, HttpTransport::LongPolling, SOURCE)
                        .await
                        .expect("connect long polling");
                let message = r#"{"type":1,"target":"SendMessage","arguments":["u","m"]}"#;
                sse.send(&format!("{message}{RS}{message}{RS}"))
                    .await
                    .expect("send");
                let expected = r#"{"type":1,"target":"ReceiveMessage","arguments":["u","m"]}"#;
                for conn in [&mut sse, &mut poll] {
                    let mut received = 0;
                    while received < 2 {
                        let text = conn.recv().await.expect("recv");
                        received += text
                            .split_terminator(RS)
                            .filter(|record| *record == expected)
                            .count();
                    }
                }
            };
            tokio::time::timeout(TIMEOUT, run)
                .await
                .expect("broadcast in time");
        }

        #[tokio::test]
        async fn unknown_path_is_an_error() {
            let server = start_server();
            let error = tokio::time::timeout(
                TIMEOUT,
                HttpConn::connect(server.addr, "/nope", HttpTransport::Sse, SOURCE),
            )
            .await
            .expect("an answer in time")
            .err()
            .expect("an error");
            assert!(error.to_string().contains("404"), "{error}");
        }
    }
}
