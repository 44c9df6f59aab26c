//! Helpers shared by the integration tests `runtime.rs`, `streams.rs` and `http_transports.rs`:
//! a hub server on `127.0.0.1:0`, a raw JSON hub protocol client over a WebSocket, constructors
//! of JSON hub messages, and a raw HTTP/1.1 client.
//!
//! Every wait is bounded by [`WAIT`].

// Each test file declares `mod support;`, so this module is compiled into every test binary on
// its own, and no binary uses all of it (`runtime.rs` sends no streams, `http_transports.rs`
// opens no WebSocket, ...): what one binary leaves unused is not dead code.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hub_runtime::Hub;
use hub_runtime::prelude::*;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The bound of every single wait.
pub const WAIT: Duration = Duration::from_secs(3);
/// The record separator that ends every JSON hub message.
pub const RS: char = '\u{1e}';
/// [`RS`] as a byte, for bodies read as bytes.
const RS_BYTE: u8 = RS as u8;
pub const HANDSHAKE: &str = "{\"protocol\":\"json\",\"version\":1}\u{1e}";
pub const PATH: &str = "/hub";

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// What the server may call on the test clients.
#[hub_runtime::client]
pub trait Notes {
    async fn note(&self, text: String);
    async fn item(&self, n: u64, padding: String);
}

// ---------------------------------------------------------------------------------------------
// Server

pub struct Server<H: Hub> {
    pub addr: SocketAddr,
    pub context: HubContext<H>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

/// Serves `hub` at [`PATH`] on `127.0.0.1:0`.
pub async fn serve<H: Hub>(hub: H, options: HubOptions) -> Server<H> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    serve_on(listener, hub, options)
}

/// Serves `hub` at [`PATH`] on `listener`.
pub fn serve_on<H: Hub>(listener: TcpListener, hub: H, options: HubOptions) -> Server<H> {
    let router = HubRouter::new(PATH, hub).options(options);
    let context = router.context();
    let app = axum::Router::new().merge(router);
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown_context = context.clone();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
                shutdown_context.shutdown().await;
            })
            .await
            .unwrap();
    });
    Server {
        addr,
        context,
        stop: Some(stop),
        task,
    }
}

impl<H: Hub> Server<H> {
    /// Graceful stop: hub shutdown, then axum's. Bounded.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match timeout(WAIT, &mut self.task).await {
            Ok(result) => result.expect("server task failed"),
            Err(_) => {
                self.task.abort();
                panic!("the server did not stop within {WAIT:?}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// JSON hub messages

pub fn invocation(id: &str, target: &str, arguments: Value) -> Value {
    json!({"type": 1, "invocationId": id, "target": target, "arguments": arguments})
}

pub fn send_only(target: &str, arguments: Value) -> Value {
    json!({"type": 1, "target": target, "arguments": arguments})
}

pub fn stream_invocation(id: &str, target: &str, arguments: Value) -> Value {
    json!({"type": 4, "invocationId": id, "target": target, "arguments": arguments})
}

pub fn upload_invocation(id: &str, target: &str, arguments: Value, streams: &[&str]) -> Value {
    json!({
        "type": 1, "invocationId": id, "target": target,
        "arguments": arguments, "streamIds": streams
    })
}

pub fn stream_item(id: &str, item: Value) -> Value {
    json!({"type": 2, "invocationId": id, "item": item})
}

pub fn cancel(id: &str) -> Value {
    json!({"type": 5, "invocationId": id})
}

pub fn completion(id: &str) -> Value {
    json!({"type": 3, "invocationId": id})
}

pub fn result(id: &str, value: Value) -> Value {
    json!({"type": 3, "invocationId": id, "result": value})
}

pub fn error(id: &str, text: &str) -> Value {
    json!({"type": 3, "invocationId": id, "error": text})
}

/// The messages as JSON records, each ended by [`RS`].
pub fn frame(messages: &[Value]) -> String {
    messages.iter().map(|m| format!("{m}{RS}")).collect()
}

/// What [`Notes::note`] sends.
pub fn note(text: &str) -> Value {
    json!({"type": 1, "target": "Note", "arguments": [text]})
}

// ---------------------------------------------------------------------------------------------
// WebSocket client

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A raw JSON hub protocol client.
pub struct Client {
    pub ws: Ws,
    /// Messages already read from a frame but not yet consumed.
    pending: VecDeque<Value>,
    closed: bool,
}

impl Client {
    pub fn new(ws: Ws) -> Client {
        Client {
            ws,
            pending: VecDeque::new(),
            closed: false,
        }
    }

    /// Opens the WebSocket (`query` is appended to the hub path, `""` for none), without
    /// handshake.
    pub async fn open(addr: SocketAddr, query: &str) -> Client {
        let url = format!("ws://{addr}{PATH}{query}");
        let (ws, _) = timeout(WAIT, tokio_tungstenite::connect_async(url))
            .await
            .expect("WebSocket connect timed out")
            .expect("WebSocket connect failed");
        Client::new(ws)
    }

    /// Opens and completes the JSON handshake.
    pub async fn connect(addr: SocketAddr, query: &str) -> Client {
        let mut client = Client::open(addr, query).await;
        client.handshake().await;
        client
    }

    pub async fn handshake(&mut self) {
        self.send_text(HANDSHAKE).await;
        assert_eq!(self.next().await, json!({}), "handshake response");
    }

    /// Connects and makes one Echo round trip: afterwards the connection is surely registered
    /// with the hub (the handshake response goes out before that) and `on_connected` finished.
    pub async fn connect_ready(addr: SocketAddr, query: &str) -> Client {
        let mut client = Client::connect(addr, query).await;
        client.ready().await;
        client
    }

    /// One Echo round trip (the hub must have `Echo`).
    pub async fn ready(&mut self) {
        let done = self.invoke("ready", "Echo", json!(["ready"])).await;
        assert_eq!(done, result("ready", json!("ready")));
    }

    pub async fn send_text(&mut self, text: impl Into<String>) {
        let text: String = text.into();
        timeout(WAIT, self.ws.send(Message::text(text)))
            .await
            .expect("send timed out")
            .expect("send failed");
    }

    pub async fn send(&mut self, message: Value) {
        self.send_text(format!("{message}{RS}")).await;
    }

    /// Several messages in one WebSocket frame.
    pub async fn send_all(&mut self, messages: &[Value]) {
        self.send_text(frame(messages)).await;
    }

    /// The next hub message, or `None` once the connection ended. Panics after [`WAIT`].
    pub async fn event(&mut self) -> Option<Value> {
        loop {
            if let Some(message) = self.pending.pop_front() {
                return Some(message);
            }
            if self.closed {
                return None;
            }
            let next = timeout(WAIT, self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("no message within {WAIT:?}"));
            match next {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => self.closed = true,
                Some(Ok(Message::Text(text))) => {
                    let text = text.as_str();
                    assert!(
                        text.ends_with(RS),
                        "a text frame that does not end with the record separator: {text:?}"
                    );
                    for record in text.split(RS).filter(|r| !r.is_empty()) {
                        let value = serde_json::from_str(record)
                            .unwrap_or_else(|e| panic!("invalid JSON {record:?}: {e}"));
                        self.pending.push_back(value);
                    }
                }
                Some(Ok(Message::Binary(bytes))) => panic!("unexpected binary frame {bytes:?}"),
                Some(Ok(_)) => {}
            }
        }
    }

    /// The next hub message; panics if the connection ended.
    pub async fn next(&mut self) -> Value {
        self.event()
            .await
            .expect("the connection ended while a message was expected")
    }

    /// The next hub message that is not a Ping.
    pub async fn next_non_ping(&mut self) -> Value {
        loop {
            let message = self.next().await;
            if message != json!({"type": 6}) {
                return message;
            }
        }
    }

    /// Sends an invocation and returns its Completion, which must be the next message (pings
    /// aside).
    pub async fn invoke(&mut self, id: &str, target: &str, arguments: Value) -> Value {
        self.send(invocation(id, target, arguments)).await;
        let message = self.next_non_ping().await;
        assert_eq!(
            (message["type"].as_i64(), message["invocationId"].as_str()),
            (Some(3), Some(id)),
            "expected the Completion of {id}, got {message}"
        );
        message
    }

    /// Asserts that the connection ends (WebSocket close or EOF) with no further hub message.
    pub async fn expect_closed(&mut self) {
        if let Some(message) = self.event().await {
            panic!("expected the connection to end, got {message}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP/1.1: one connection per request (`Connection: close`); `Content-Length`, chunked and
// close-delimited bodies.

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The JSON hub messages of the body (records ended by 0x1E).
    pub fn json_messages(&self) -> Vec<Value> {
        json_records(&self.body)
    }

    pub fn assert_no_cache(&self) {
        let cache_control = self.header("cache-control").unwrap_or_default();
        assert!(
            cache_control.contains("no-cache"),
            "Cache-Control {cache_control:?} in {self:?}"
        );
        assert_eq!(self.header("pragma"), Some("no-cache"), "{self:?}");
    }

    pub fn assert_no_cors(&self) {
        let cors: Vec<_> = self
            .headers
            .iter()
            .filter(|(n, _)| n.to_ascii_lowercase().starts_with("access-control-"))
            .collect();
        assert!(cors.is_empty(), "unexpected CORS headers {cors:?}");
    }
}

/// The JSON hub messages in `bytes` (records ended by [`RS`]).
pub fn json_records(bytes: &[u8]) -> Vec<Value> {
    assert!(
        bytes.is_empty() || bytes.ends_with(&[RS_BYTE]),
        "a JSON body that does not end with the record separator: {:?}",
        String::from_utf8_lossy(bytes)
    );
    bytes
        .split(|&b| b == RS_BYTE)
        .filter(|record| !record.is_empty())
        .map(|record| {
            serde_json::from_slice(record).unwrap_or_else(|e| {
                panic!("invalid JSON {:?}: {e}", String::from_utf8_lossy(record))
            })
        })
        .collect()
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One HTTP/1.1 exchange on its own TCP connection.
pub struct Conn {
    stream: TcpStream,
    /// Bytes read but not consumed.
    pub buf: Vec<u8>,
}

impl Conn {
    /// Connects and writes the request (`Connection: close`).
    pub async fn send(
        addr: SocketAddr,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Conn {
        let write = async {
            let mut stream = TcpStream::connect(addr).await.expect("connect failed");
            let mut request =
                format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
            if method != "GET" || !body.is_empty() {
                request.push_str(&format!("Content-Length: {}\r\n", body.len()));
            }
            for (name, value) in headers {
                request.push_str(&format!("{name}: {value}\r\n"));
            }
            request.push_str("\r\n");
            let mut bytes = request.into_bytes();
            bytes.extend_from_slice(body);
            stream.write_all(&bytes).await.expect("write failed");
            stream
        };
        let stream = timeout(WAIT, write)
            .await
            .expect("sending a request timed out");
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    /// Reads more bytes; false at EOF (or a reset).
    pub async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk).await.unwrap_or(0);
        self.buf.extend_from_slice(&chunk[..n]);
        n > 0
    }

    async fn line(&mut self) -> Vec<u8> {
        loop {
            if let Some(pos) = find(&self.buf, b"\r\n") {
                let line = self.buf[..pos].to_vec();
                self.buf.drain(..pos + 2);
                return line;
            }
            assert!(
                self.fill().await,
                "the connection ended in a line: {:?}",
                String::from_utf8_lossy(&self.buf)
            );
        }
    }

    async fn take(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            assert!(self.fill().await, "the connection ended in a body");
        }
        self.buf.drain(..n).collect()
    }

    /// The status line and headers (skipping 1xx responses).
    pub async fn head(&mut self) -> (u16, Vec<(String, String)>) {
        loop {
            let status_line = String::from_utf8(self.line().await).expect("status line");
            let status: u16 = status_line
                .split(' ')
                .nth(1)
                .and_then(|code| code.parse().ok())
                .unwrap_or_else(|| panic!("not an HTTP response: {status_line:?}"));
            let mut headers = Vec::new();
            loop {
                let line = String::from_utf8(self.line().await).expect("header line");
                if line.is_empty() {
                    break;
                }
                let (name, value) = line.split_once(':').expect("header without a colon");
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
            }
            if !(100..200).contains(&status) {
                return (status, headers);
            }
        }
    }

    /// The next chunk of a chunked body; `None` after the last one (and the trailers).
    pub async fn chunk(&mut self) -> Option<Vec<u8>> {
        let size_line = String::from_utf8(self.line().await).expect("chunk size");
        let size = usize::from_str_radix(size_line.split(';').next().unwrap().trim(), 16)
            .unwrap_or_else(|_| panic!("bad chunk size {size_line:?}"));
        if size == 0 {
            while !self.line().await.is_empty() {}
            return None;
        }
        let data = self.take(size).await;
        assert!(self.line().await.is_empty(), "no CRLF after a chunk");
        Some(data)
    }

    /// The whole response to a request with this method.
    pub async fn response(mut self, method: &str) -> Response {
        let (status, headers) = self.head().await;
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let body = if method == "HEAD" || status == 204 || status == 304 {
            Vec::new()
        } else if header("transfer-encoding").is_some_and(|te| te.contains("chunked")) {
            let mut body = Vec::new();
            while let Some(chunk) = self.chunk().await {
                body.extend_from_slice(&chunk);
            }
            body
        } else if let Some(length) = header("content-length") {
            self.take(length.parse().expect("content-length")).await
        } else {
            while self.fill().await {}
            std::mem::take(&mut self.buf)
        };
        Response {
            status,
            headers,
            body,
        }
    }
}

/// One request, its whole response within [`WAIT`].
pub async fn http(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let conn = Conn::send(addr, method, target, headers, body).await;
    timeout(WAIT, conn.response(method))
        .await
        .unwrap_or_else(|_| panic!("no response to {method} {target} within {WAIT:?}"))
}

/// The status of a bodiless request.
pub async fn http_status(addr: SocketAddr, method: &str, target: &str) -> u16 {
    http(addr, method, target, &[], b"").await.status
}

/// Writes the request now; the response is read by a task (await it with [`within`]).
pub async fn start(
    addr: SocketAddr,
    method: &'static str,
    target: &str,
    body: &[u8],
) -> JoinHandle<Response> {
    let conn = Conn::send(addr, method, target, &[], body).await;
    tokio::spawn(conn.response(method))
}

pub async fn within(pending: JoinHandle<Response>) -> Response {
    timeout(WAIT, pending)
        .await
        .unwrap_or_else(|_| panic!("no response within {WAIT:?}"))
        .expect("response task failed")
}

/// A raw TCP socket to the hub at [`PATH`], upgraded to a WebSocket (the 101 read), for tests
/// that write frames byte by byte.
pub async fn raw_websocket(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {PATH} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    stream
}
