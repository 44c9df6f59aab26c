//! The HTTP transports over a real socket: long polling (JSON and MessagePack), Server-Sent
//! Events, the statuses of `POST`/`DELETE`/`GET {hub}?id=`, abandoned negotiations, transports and
//! protocols per hub, and CORS.
//!
//! Each test starts its own server on `127.0.0.1:0` with its own small hub and speaks raw
//! HTTP/1.1 over tokio `TcpStream`s (one connection per request, `Connection: close`), with the
//! small response reader of `support` that handles `Content-Length`, chunked and close-delimited
//! bodies, and a streaming reader for SSE. Every wait is bounded; where a poll timeout must not
//! be mistaken for an answer, the hub's `long_polling_timeout` is longer than the bound of the
//! wait.

#![allow(missing_docs, unreachable_pub)]

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hub_runtime::prelude::*;
use hub_runtime::protocol::Protocol;
use hub_runtime::{Cors, Transports};
use serde_json::{Value, json};
use support::*;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// A long-polling timeout no test waits for: a poll that returns within [`WAIT`] did not time out.
const LONG_POLL: Duration = Duration::from_secs(20);
const JSON_HANDSHAKE: &[u8] = HANDSHAKE.as_bytes();
const MSGPACK_HANDSHAKE: &[u8] = b"{\"protocol\":\"messagepack\",\"version\":1}\x1e";

// ---------------------------------------------------------------------------------------------
// Hub

pub struct TestHub {
    disconnected: mpsc::UnboundedSender<String>,
    release: Arc<Semaphore>,
}

/// The test's side of a [`TestHub`].
struct Hooks {
    /// The connection id of every connection whose `on_disconnected` ran.
    disconnected: mpsc::UnboundedReceiver<String>,
    /// A permit lets one `Hang` call return.
    release: Arc<Semaphore>,
}

impl Hooks {
    /// The id of the next connection whose `on_disconnected` ran; panics after [`WAIT`].
    async fn next_disconnected(&mut self) -> String {
        timeout(WAIT, self.disconnected.recv())
            .await
            .unwrap_or_else(|_| panic!("on_disconnected did not run within {WAIT:?}"))
            .expect("hub dropped")
    }
}

fn test_hub() -> (TestHub, Hooks) {
    let (tx, rx) = mpsc::unbounded_channel();
    let release = Arc::new(Semaphore::new(0));
    (
        TestHub {
            disconnected: tx,
            release: release.clone(),
        },
        Hooks {
            disconnected: rx,
            release,
        },
    )
}

#[hub_runtime::hub(client = Notes)]
impl TestHub {
    pub fn echo(&self, text: String) -> String {
        text
    }

    pub fn who_am_i(&self, ctx: &Ctx<Self>) -> String {
        ctx.connection_id().to_string()
    }

    /// Returns once the test adds a permit to `release`.
    pub async fn hang(&self) {
        self.release
            .acquire()
            .await
            .expect("semaphore closed")
            .forget();
    }

    async fn on_disconnected(&self, ctx: &Ctx<Self>) {
        let _ = self.disconnected.send(ctx.connection_id().to_string());
    }
}

// ---------------------------------------------------------------------------------------------
// Negotiate and long polling

struct Negotiated {
    addr: SocketAddr,
    /// The public connection id (`Context.ConnectionId`).
    id: String,
    /// The secret token, sent back as `id=`.
    token: String,
    response: Value,
}

async fn negotiate(addr: SocketAddr) -> Negotiated {
    let response = http(addr, "POST", "/hub/negotiate?negotiateVersion=1", &[], b"").await;
    assert_eq!(response.status, 200, "negotiate: {response:?}");
    let body: Value = serde_json::from_slice(&response.body).expect("negotiate JSON");
    Negotiated {
        addr,
        id: body["connectionId"]
            .as_str()
            .expect("connectionId")
            .to_owned(),
        token: body["connectionToken"]
            .as_str()
            .expect("connectionToken")
            .to_owned(),
        response: body,
    }
}

/// One JSON invocation record, as a long-polling POST body (or part of one).
fn invocation_record(id: &str, target: &str, arguments: Value) -> String {
    frame(&[invocation(id, target, arguments)])
}

impl Negotiated {
    fn target(&self) -> String {
        format!("{PATH}?id={}", self.token)
    }

    async fn get(&self, headers: &[(&str, &str)]) -> Response {
        http(self.addr, "GET", &self.target(), headers, b"").await
    }

    /// A long poll, answered within [`WAIT`].
    async fn poll(&self) -> Response {
        self.get(&[]).await
    }

    /// A long poll whose response is read by a task.
    async fn start_poll(&self) -> JoinHandle<Response> {
        start(self.addr, "GET", &self.target(), b"").await
    }

    async fn post(&self, body: &[u8]) -> Response {
        http(self.addr, "POST", &self.target(), &[], body).await
    }

    /// POSTs `body`; asserts 200 with an empty body.
    async fn send(&self, body: impl AsRef<[u8]>) {
        let response = self.post(body.as_ref()).await;
        assert_eq!(
            (response.status, response.text()),
            (200, String::new()),
            "POST: {response:?}"
        );
    }

    async fn delete(&self) -> Response {
        http(self.addr, "DELETE", &self.target(), &[], b"").await
    }

    /// Negotiates and makes the first poll: 200, empty, at once, not cached.
    async fn open_long_polling(addr: SocketAddr) -> Negotiated {
        let connection = negotiate(addr).await;
        let first = connection.poll().await;
        assert_eq!(first.status, 200, "first poll: {first:?}");
        assert!(first.body.is_empty(), "first poll has a body: {first:?}");
        first.assert_no_cache();
        connection
    }

    /// Long polling with the JSON handshake done (`{}` polled).
    async fn connect_long_polling(addr: SocketAddr) -> Negotiated {
        let connection = Negotiated::open_long_polling(addr).await;
        connection.send(JSON_HANDSHAKE).await;
        let handshake = connection.poll().await;
        assert_eq!(
            (handshake.status, handshake.text()),
            (200, "{}\u{1e}".to_owned()),
            "handshake poll: {handshake:?}"
        );
        connection
    }

    /// Polls (at most 10 times) until a JSON message matches `done`; every poll must be 200.
    async fn poll_until(&self, done: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut messages = Vec::new();
        for _ in 0..10 {
            let response = self.poll().await;
            assert_eq!(response.status, 200, "poll: {response:?}");
            let batch = response.json_messages();
            let found = batch.iter().any(&done);
            messages.extend(batch);
            if found {
                return messages;
            }
        }
        panic!("the expected message did not come in 10 polls; got {messages:?}");
    }
}

fn is_completion(id: &str) -> impl Fn(&Value) -> bool + '_ {
    move |m| m["type"] == 3 && m["invocationId"] == id
}

// ---------------------------------------------------------------------------------------------
// Server-Sent Events

struct Sse {
    conn: Conn,
    status: u16,
    headers: Vec<(String, String)>,
    chunked: bool,
    /// Body bytes received and not consumed.
    data: Vec<u8>,
    ended: bool,
}

impl Sse {
    /// `GET {hub}?id=` with `Accept: text/event-stream`; reads the status and headers.
    async fn open(connection: &Negotiated) -> Sse {
        let conn = Conn::send(
            connection.addr,
            "GET",
            &connection.target(),
            &[("Accept", "text/event-stream")],
            b"",
        )
        .await;
        let mut conn = conn;
        let (status, headers) = timeout(WAIT, conn.head())
            .await
            .expect("no SSE response head in time");
        let chunked = headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
        Sse {
            conn,
            status,
            headers,
            chunked,
            data: Vec::new(),
            ended: false,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Reads more of the body; false once it ended. Panics after [`WAIT`].
    async fn more(&mut self) -> bool {
        if self.ended {
            return false;
        }
        let read = async {
            if self.chunked {
                match self.conn.chunk().await {
                    Some(chunk) => {
                        self.data.extend_from_slice(&chunk);
                        true
                    }
                    None => false,
                }
            } else if self.conn.buf.is_empty() && !self.conn.fill().await {
                false
            } else {
                self.data.append(&mut self.conn.buf);
                true
            }
        };
        let more = timeout(WAIT, read)
            .await
            .unwrap_or_else(|_| panic!("no SSE data within {WAIT:?}; have {:?}", self.data));
        self.ended = !more;
        more
    }

    /// The first bytes of the stream, exactly `n` of them.
    async fn first_bytes(&mut self, n: usize) -> Vec<u8> {
        while self.data.len() < n {
            assert!(self.more().await, "the SSE stream ended: {:?}", self.data);
        }
        self.data.drain(..n).collect()
    }

    /// The next event, raw (its `data:` lines and the blank line); `None` once the stream ended.
    async fn next_event(&mut self) -> Option<Vec<u8>> {
        loop {
            if let Some(pos) = find(&self.data, b"\r\n\r\n") {
                return Some(self.data.drain(..pos + 4).collect());
            }
            if !self.more().await {
                assert!(
                    self.data.is_empty(),
                    "the SSE stream ended within an event: {:?}",
                    String::from_utf8_lossy(&self.data)
                );
                return None;
            }
        }
    }

    /// The payload of the next event that is not a Ping (its `data:` lines joined).
    async fn next_payload(&mut self) -> Option<String> {
        loop {
            let event = self.next_event().await?;
            let payload = event_payload(&event);
            if payload != "{\"type\":6}\u{1e}" {
                return Some(payload);
            }
        }
    }
}

fn event_payload(event: &[u8]) -> String {
    let text = std::str::from_utf8(event).expect("SSE event is not UTF-8");
    let lines: Vec<&str> = text
        .trim_end_matches("\r\n")
        .split("\r\n")
        .map(|line| {
            line.strip_prefix("data: ")
                .unwrap_or_else(|| panic!("not a data line {line:?} in {text:?}"))
        })
        .collect();
    lines.join("\n")
}

// ---------------------------------------------------------------------------------------------
// MessagePack by hand

/// A MessagePack hub message with its varint length prefix: [type, headers, ...].
fn msgpack_frame(message: &[u8]) -> Vec<u8> {
    let mut framed = Vec::new();
    let mut len = message.len();
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            framed.push(byte);
            break;
        }
        framed.push(byte | 0x80);
    }
    framed.extend_from_slice(message);
    framed
}

/// Splits length-prefixed messages.
fn msgpack_messages(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut messages = Vec::new();
    while !bytes.is_empty() {
        let mut len = 0usize;
        let mut shift = 0;
        loop {
            let byte = bytes[0];
            bytes = &bytes[1..];
            len |= ((byte & 0x7f) as usize) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
        }
        assert!(bytes.len() >= len, "a message longer than the body");
        messages.push(bytes[..len].to_vec());
        bytes = &bytes[len..];
    }
    messages
}

/// Decodes the MessagePack subset hub messages use into JSON (map keys as strings).
fn msgpack_decode(bytes: &[u8]) -> (Value, usize) {
    fn uint(bytes: &[u8], n: usize) -> u64 {
        bytes[..n].iter().fold(0, |acc, &b| (acc << 8) | b as u64)
    }
    fn seq(bytes: &[u8], count: usize, map: bool) -> (Value, usize) {
        let mut used = 0;
        if map {
            let mut object = serde_json::Map::new();
            for _ in 0..count {
                let (key, n) = msgpack_decode(&bytes[used..]);
                used += n;
                let (value, n) = msgpack_decode(&bytes[used..]);
                used += n;
                let key = key.as_str().map_or_else(|| key.to_string(), str::to_owned);
                object.insert(key, value);
            }
            (Value::Object(object), used)
        } else {
            let mut array = Vec::new();
            for _ in 0..count {
                let (value, n) = msgpack_decode(&bytes[used..]);
                used += n;
                array.push(value);
            }
            (Value::Array(array), used)
        }
    }
    fn string(bytes: &[u8], len: usize) -> Value {
        Value::String(String::from_utf8(bytes[..len].to_vec()).expect("msgpack str"))
    }
    let tag = bytes[0];
    let rest = &bytes[1..];
    match tag {
        0x00..=0x7f => (json!(tag), 1),
        0x80..=0x8f => {
            let (v, n) = seq(rest, (tag & 0x0f) as usize, true);
            (v, 1 + n)
        }
        0x90..=0x9f => {
            let (v, n) = seq(rest, (tag & 0x0f) as usize, false);
            (v, 1 + n)
        }
        0xa0..=0xbf => {
            let len = (tag & 0x1f) as usize;
            (string(rest, len), 1 + len)
        }
        0xc0 => (Value::Null, 1),
        0xc2 => (json!(false), 1),
        0xc3 => (json!(true), 1),
        0xcc => (json!(uint(rest, 1)), 2),
        0xcd => (json!(uint(rest, 2)), 3),
        0xce => (json!(uint(rest, 4)), 5),
        0xcf => (json!(uint(rest, 8)), 9),
        0xd0 => (json!(rest[0] as i8), 2),
        0xd9 => {
            let len = rest[0] as usize;
            (string(&rest[1..], len), 2 + len)
        }
        0xda => {
            let len = uint(rest, 2) as usize;
            (string(&rest[2..], len), 3 + len)
        }
        0xdc => {
            let (v, n) = seq(&rest[2..], uint(rest, 2) as usize, false);
            (v, 3 + n)
        }
        0xde => {
            let (v, n) = seq(&rest[2..], uint(rest, 2) as usize, true);
            (v, 3 + n)
        }
        0xe0..=0xff => (json!(tag as i8), 1),
        other => panic!("MessagePack tag {other:#x} not handled by this test decoder"),
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Long polling, JSON

mod long_polling {
    use super::*;

    /// A client may POST before its first poll (signalrcore sends its handshake first): the
    /// bytes are kept for the connection, as ASP.NET Core buffers them in its pipe.
    #[tokio::test]
    async fn handshake_posted_before_the_first_poll_is_kept() {
        let (hub, _hooks) = test_hub();
        let server = serve(hub, HubOptions::default().long_polling_timeout(LONG_POLL)).await;
        let connection = negotiate(server.addr).await;

        let early = format!(
            "{}{}",
            std::str::from_utf8(JSON_HANDSHAKE).unwrap(),
            invocation_record("1", "Echo", json!(["early"]))
        );
        connection.send(early).await;
        let first = connection.poll().await;
        assert_eq!(first.status, 200, "{first:?}");
        assert!(first.body.is_empty(), "the first poll returns at once");
        let messages = connection.poll_until(is_completion("1")).await;
        assert_eq!(messages[0], json!({}), "the handshake response comes first");
        assert_eq!(
            messages.last().unwrap(),
            &json!({"type": 3, "invocationId": "1", "result": "early"})
        );
        server.stop().await;
    }

    /// First poll at once; handshake; an Echo round trip; a poll replaced by a newer one gets
    /// 204; DELETE ends the connection (202), its pending poll gets 204, `on_disconnected` runs.
    #[tokio::test]
    async fn json_round_trip_replaced_poll_and_delete() {
        let (hub, mut hooks) = test_hub();
        let server = serve(hub, HubOptions::default().long_polling_timeout(LONG_POLL)).await;
        let connection = negotiate(server.addr).await;

        // The first poll returns 200 with an empty body at once (the poll timeout is 20 s).
        let first = connection.poll().await;
        assert_eq!(first.status, 200, "{first:?}");
        assert!(first.body.is_empty(), "first poll body {:?}", first.text());
        first.assert_no_cache();

        connection.send(JSON_HANDSHAKE).await;
        let handshake = connection.poll().await;
        assert_eq!(handshake.status, 200, "{handshake:?}");
        assert_eq!(handshake.text(), "{}\u{1e}");
        handshake.assert_no_cache();

        connection
            .send(invocation_record("1", "Echo", json!(["hi"])))
            .await;
        let completion = connection.poll().await;
        assert_eq!(completion.status, 200, "{completion:?}");
        assert_eq!(
            completion.header("content-type"),
            Some("application/octet-stream")
        );
        completion.assert_no_cache();
        assert_eq!(
            completion.json_messages(),
            vec![json!({"type": 3, "invocationId": "1", "result": "hi"})]
        );

        // The hub sees the public connection id, not the token.
        connection
            .send(invocation_record("2", "WhoAmI", json!([])))
            .await;
        let who = connection.poll_until(is_completion("2")).await;
        assert_eq!(who.last().unwrap()["result"], connection.id.as_str());

        // Two polls at once: the one that came second replaces the other, which returns 204
        // now; the newer one keeps waiting (nothing to send, the timeout is 20 s away).
        let mut a = connection.start_poll().await;
        let mut b = connection.start_poll().await;
        let (replaced, mut waiting) = timeout(WAIT, async {
            tokio::select! {
                r = &mut a => (r.unwrap(), b),
                r = &mut b => (r.unwrap(), a),
            }
        })
        .await
        .expect("neither of two concurrent polls returned");
        assert_eq!(replaced.status, 204, "replaced poll: {replaced:?}");
        assert!(replaced.body.is_empty());
        assert!(
            !waiting.is_finished(),
            "both concurrent polls returned: {:?}",
            (&mut waiting).await
        );

        // The waiting poll still gets what the server sends.
        server
            .context
            .clients()
            .client(&connection.id)
            .note("pushed".into())
            .await;
        let pushed = within(waiting).await;
        assert_eq!(pushed.status, 200, "{pushed:?}");
        assert_eq!(
            pushed.json_messages(),
            vec![json!({"type": 1, "target": "Note", "arguments": ["pushed"]})]
        );

        // DELETE: 202, and the poll waiting then returns 204.
        let pending = connection.start_poll().await;
        let deleted = connection.delete().await;
        assert_eq!(deleted.status, 202, "DELETE: {deleted:?}");
        let ended = within(pending).await;
        assert_eq!(ended.status, 204, "poll after DELETE: {ended:?}");
        assert_eq!(hooks.next_disconnected().await, connection.id);

        // The connection is gone.
        let gone = connection.poll().await;
        assert_eq!(
            (gone.status, gone.text()),
            (404, "No Connection with that ID".to_owned())
        );
        server.stop().await;
    }

    /// A client that stops polling while more than the poll buffer waits for it, then sends
    /// DELETE: the connection ends at once (the write waiting for room learns the client is
    /// gone), not after the client timeout.
    #[tokio::test]
    async fn delete_ends_a_connection_whose_output_waits_for_polls() {
        let (hub, mut hooks) = test_hub();
        let server = serve(hub, HubOptions::default().long_polling_timeout(LONG_POLL)).await;
        let connection = Negotiated::connect_long_polling(server.addr).await;
        // More than the 1 MiB poll buffer, then two calls read in turn: the second one's
        // Completion finds the buffer full and waits for a poll that never comes.
        let padding = "x".repeat(64 * 1024);
        for n in 0..20 {
            server
                .context
                .clients()
                .client(&connection.id)
                .item(n, padding.clone())
                .await;
        }
        connection
            .send(invocation_record("a", "Echo", json!(["a"])))
            .await;
        connection
            .send(invocation_record("b", "Echo", json!(["b"])))
            .await;
        let deleted = connection.delete().await;
        assert_eq!(deleted.status, 202, "DELETE: {deleted:?}");
        assert_eq!(hooks.next_disconnected().await, connection.id);
        server.stop().await;
    }

    /// A hub shutting down while no poll is open: the client's next poll is still served and
    /// carries the Close message (a 503 there would lose it), the one after is 204, and the
    /// shutdown then resolves. A negotiated connection that has not polled yet is refused (503).
    #[tokio::test]
    async fn shutdown_serves_the_poll_that_takes_the_close_message() {
        let (hub, _hooks) = test_hub();
        let server = serve(hub, HubOptions::default().long_polling_timeout(LONG_POLL)).await;
        let connection = Negotiated::connect_long_polling(server.addr).await;
        let late = negotiate(server.addr).await;

        let context = server.context.clone();
        let shutdown = tokio::spawn(async move { context.shutdown().await });
        // The shutdown has begun once negotiation is refused.
        timeout(WAIT, async {
            while http(
                server.addr,
                "POST",
                "/hub/negotiate?negotiateVersion=1",
                &[],
                b"",
            )
            .await
            .status
                != 503
            {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("negotiation still accepted during the shutdown");

        let last = connection.poll().await;
        assert_eq!(last.status, 200, "poll during the shutdown: {last:?}");
        assert_eq!(
            last.json_messages(),
            vec![json!({"type": 7, "allowReconnect": true})]
        );
        let after = connection.poll().await;
        assert_eq!(after.status, 204, "poll after the Close: {after:?}");
        let refused = late.poll().await;
        assert_eq!(
            refused.status, 503,
            "a new connection during the shutdown: {refused:?}"
        );
        timeout(WAIT, shutdown)
            .await
            .expect("shutdown did not resolve")
            .expect("shutdown task");
        server.stop().await;
    }

    /// An idle poll returns 200 empty after `long_polling_timeout`; messages written while no
    /// poll is open wait for the next one.
    #[tokio::test]
    async fn idle_poll_times_out_and_polling_resumes() {
        let (hub, _hooks) = test_hub();
        let server = serve(hub, HubOptions::default().long_polling_timeout(ms(200))).await;
        let connection = Negotiated::connect_long_polling(server.addr).await;

        for _ in 0..3 {
            let started = Instant::now();
            let idle = connection.poll().await;
            let elapsed = started.elapsed();
            assert_eq!(idle.status, 200, "{idle:?}");
            assert!(idle.body.is_empty(), "idle poll body {:?}", idle.text());
            idle.assert_no_cache();
            assert!(elapsed >= ms(180), "idle poll returned after {elapsed:?}");
        }

        // Sent between polls: buffered for the next one.
        connection
            .send(invocation_record("1", "Echo", json!(["between polls"])))
            .await;
        server
            .context
            .clients()
            .client(&connection.id)
            .note("also between polls".into())
            .await;
        let messages = connection.poll_until(|m| m["target"] == "Note").await;
        assert_eq!(
            messages,
            vec![
                json!({"type": 3, "invocationId": "1", "result": "between polls"}),
                json!({"type": 1, "target": "Note", "arguments": ["also between polls"]}),
            ]
        );

        // And while a poll waits.
        let pending = connection.start_poll().await;
        connection
            .send(invocation_record("2", "Echo", json!(["during a poll"])))
            .await;
        let mut messages = within(pending).await.json_messages();
        if messages.is_empty() {
            // That poll timed out first: the Completion is in the next one.
            messages = connection.poll_until(is_completion("2")).await;
        }
        assert_eq!(
            messages,
            vec![json!({"type": 3, "invocationId": "2", "result": "during a poll"})]
        );
        server.stop().await;
    }

    /// With `client_timeout_interval(300ms)`, a long-polling client that stops polling is
    /// disconnected (it learns why from its next poll, then gets 204), while one that keeps
    /// polling (200 ms polls) is not, and still receives what is sent to it after a second.
    #[tokio::test]
    async fn client_that_stops_polling_is_disconnected_and_one_that_polls_is_not() {
        let (hub, mut hooks) = test_hub();
        let server = serve(
            hub,
            HubOptions::default()
                .long_polling_timeout(ms(200))
                .client_timeout_interval(ms(300)),
        )
        .await;

        // The keeper polls without pause from its first poll on.
        let keeper = Negotiated::open_long_polling(server.addr).await;
        let handshake = keeper.start_poll().await;
        keeper.send(JSON_HANDSHAKE).await;
        let mut messages = within(handshake).await.json_messages();
        let keeper_started = Instant::now();
        let (notes_tx, mut notes) = mpsc::unbounded_channel::<()>();
        let keeper_id = keeper.id.clone();
        let keeper_task = tokio::spawn(async move {
            let mut polls = 0;
            // At most 25 polls: at 200 ms each, the one second and the note fit well within.
            while polls < 25 {
                let response = keeper.poll().await;
                polls += 1;
                assert_eq!(response.status, 200, "keeper poll {polls}: {response:?}");
                messages.extend(response.json_messages());
                if messages.iter().any(|m| m["target"] == "Note") {
                    return messages;
                }
                if keeper_started.elapsed() >= Duration::from_secs(1) {
                    let _ = notes_tx.send(());
                }
            }
            panic!("the note did not come in {polls} polls: {messages:?}");
        });

        // The stopper polls its handshake response, then stops.
        let stopper = Negotiated::connect_long_polling(server.addr).await;
        let stopped = Instant::now();
        assert_eq!(hooks.next_disconnected().await, stopper.id);
        let elapsed = stopped.elapsed();
        assert!(elapsed >= ms(250), "disconnected after only {elapsed:?}");
        // Its next poll gets the Close message, the one after that 204.
        let close = stopper.poll().await;
        assert_eq!(close.status, 200, "{close:?}");
        assert_eq!(
            close.json_messages(),
            vec![
                json!({"type": 7, "error": "Connection closed with an error.", "allowReconnect": true})
            ]
        );
        assert_eq!(stopper.poll().await.status, 204);

        // After a second of polling, the keeper is still there.
        timeout(WAIT, notes.recv())
            .await
            .expect("the keeper did not poll for a second")
            .expect("the keeper's task ended");
        server
            .context
            .clients()
            .client(&keeper_id)
            .note("still here".into())
            .await;
        let messages = timeout(WAIT, keeper_task)
            .await
            .expect("the keeper's task hung")
            .expect("the keeper was disconnected");
        assert_eq!(
            messages,
            vec![
                json!({}),
                json!({"type": 1, "target": "Note", "arguments": ["still here"]})
            ]
        );
        assert!(
            hooks.disconnected.try_recv().is_err(),
            "the polling client was disconnected"
        );
        server.stop().await;
    }

    /// The client timeout counts from the client's last poll, including its first one: a client
    /// that sends its handshake and starts its poll loop 150 ms after its first poll (half the
    /// 300 ms client timeout) keeps its connection, however long the hub has been running.
    #[tokio::test]
    async fn pause_after_the_first_poll_shorter_than_the_client_timeout_is_tolerated() {
        let (hub, mut hooks) = test_hub();
        let server = serve(
            hub,
            HubOptions::default()
                .long_polling_timeout(ms(200))
                .client_timeout_interval(ms(300)),
        )
        .await;

        // A first client that stops polling: once it was disconnected, the hub is older than the
        // client timeout and its heartbeat runs, as on any server in production.
        let early = Negotiated::connect_long_polling(server.addr).await;
        assert_eq!(hooks.next_disconnected().await, early.id);

        let late = Negotiated::open_long_polling(server.addr).await;
        late.send(JSON_HANDSHAKE).await;
        // The client's pause (this is its behaviour under test, not a wait for an event).
        tokio::time::sleep(ms(150)).await;
        let handshake = late.poll().await;
        assert_eq!(
            (handshake.status, handshake.text()),
            (200, "{}\u{1e}".to_owned()),
            "a client that paused 150 ms after its first poll (client timeout 300 ms) was disconnected"
        );
        late.send(invocation_record("1", "Echo", json!(["alive"])))
            .await;
        let messages = late.poll_until(is_completion("1")).await;
        assert_eq!(
            messages,
            vec![json!({"type": 3, "invocationId": "1", "result": "alive"})]
        );
        assert!(hooks.disconnected.try_recv().is_err());
        server.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Long polling, MessagePack

#[cfg(feature = "messagepack")]
mod long_polling_messagepack {
    use super::*;

    #[tokio::test]
    async fn binary_invocation_and_completion() {
        let (hub, _hooks) = test_hub();
        let server = serve(hub, HubOptions::default().long_polling_timeout(LONG_POLL)).await;
        let connection = Negotiated::open_long_polling(server.addr).await;
        connection.send(MSGPACK_HANDSHAKE).await;
        // The handshake response is JSON text whatever the protocol.
        let handshake = connection.poll().await;
        assert_eq!(
            (handshake.status, handshake.text()),
            (200, "{}\u{1e}".to_owned())
        );

        // [1, {}, "1", "Echo", ["hi"]]
        let invocation = [
            0x95, 0x01, 0x80, 0xa1, b'1', 0xa4, b'E', b'c', b'h', b'o', 0x91, 0xa2, b'h', b'i',
        ];
        let framed = msgpack_frame(&invocation);
        assert_eq!(framed[0], 14);
        let response = http(
            server.addr,
            "POST",
            &connection.target(),
            &[("Content-Type", "application/octet-stream")],
            &framed,
        )
        .await;
        assert_eq!(response.status, 200, "{response:?}");

        let completion = connection.poll().await;
        assert_eq!(completion.status, 200, "{completion:?}");
        assert_eq!(
            completion.header("content-type"),
            Some("application/octet-stream")
        );
        let messages = msgpack_messages(&completion.body);
        assert_eq!(messages.len(), 1, "body {:x?}", completion.body);
        let (value, used) = msgpack_decode(&messages[0]);
        assert_eq!(
            used,
            messages[0].len(),
            "trailing bytes in {:x?}",
            messages[0]
        );
        assert_eq!(value, json!([3, {}, "1", 3, "hi"]));
        // Exactly: length 9, fixarray 5, 3, empty map, "1", result kind 3, "hi".
        assert_eq!(
            completion.body,
            [0x09, 0x95, 0x03, 0x80, 0xa1, b'1', 0x03, 0xa2, b'h', b'i']
        );
        server.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Server-Sent Events

mod server_sent_events {
    use super::*;

    #[tokio::test]
    async fn json_round_trip() {
        let (hub, _hooks) = test_hub();
        let server = serve(hub, HubOptions::default()).await;
        let connection = negotiate(server.addr).await;
        let mut sse = Sse::open(&connection).await;
        assert_eq!(sse.status, 200, "headers {:?}", sse.headers);
        assert_eq!(sse.header("content-type"), Some("text/event-stream"));
        let cache_control = sse.header("cache-control").unwrap_or_default();
        assert!(cache_control.contains("no-cache"), "{cache_control:?}");
        assert_eq!(sse.header("pragma"), Some("no-cache"));
        assert_eq!(sse.header("content-encoding"), Some("identity"));
        // The comment that tells the client the stream is open, before any handshake.
        assert_eq!(sse.first_bytes(3).await, b":\r\n");

        connection.send(JSON_HANDSHAKE).await;
        assert_eq!(
            sse.next_event().await.expect("stream ended"),
            b"data: {}\x1e\r\n\r\n"
        );

        connection
            .send(invocation_record("1", "Echo", json!(["hi"])))
            .await;
        let event = sse.next_event().await.expect("stream ended");
        assert!(event.starts_with(b"data: "), "{event:?}");
        assert_eq!(
            json_records(event_payload(&event).as_bytes()),
            vec![json!({"type": 3, "invocationId": "1", "result": "hi"})]
        );

        // A text with a line break: one `data:` line per line; the client joins them.
        connection
            .send(invocation_record("2", "Echo", json!(["two\nlines"])))
            .await;
        let payload = sse.next_payload().await.expect("stream ended");
        assert_eq!(
            json_records(payload.as_bytes()),
            vec![json!({"type": 3, "invocationId": "2", "result": "two\nlines"})]
        );

        server
            .context
            .clients()
            .client(&connection.id)
            .note("pushed".into())
            .await;
        let payload = sse.next_payload().await.expect("stream ended");
        assert_eq!(
            json_records(payload.as_bytes()),
            vec![json!({"type": 1, "target": "Note", "arguments": ["pushed"]})]
        );
        server.stop().await;
    }

    #[cfg(feature = "messagepack")]
    #[tokio::test]
    async fn messagepack_is_refused_on_sse() {
        let (hub, mut hooks) = test_hub();
        let server = serve(hub, HubOptions::default()).await;
        let connection = negotiate(server.addr).await;
        let mut sse = Sse::open(&connection).await;
        assert_eq!(sse.status, 200);
        assert_eq!(sse.first_bytes(3).await, b":\r\n");
        connection.send(MSGPACK_HANDSHAKE).await;
        let payload = sse.next_payload().await.expect("stream ended");
        assert_eq!(
            json_records(payload.as_bytes()),
            vec![
                json!({"error": "Cannot use the 'messagepack' protocol on the current transport. The transport does not support 'Binary' transfer format."})
            ]
        );
        // Then the stream ends, and the connection is gone.
        assert_eq!(sse.next_event().await, None, "the SSE stream did not end");
        let post = connection.post(JSON_HANDSHAKE).await;
        assert_eq!(
            (post.status, post.text()),
            (404, "No Connection with that ID".to_owned())
        );
        // A refused handshake never connected.
        assert!(hooks.disconnected.try_recv().is_err());
        server.stop().await;
    }

    /// Dropping the SSE response ends the connection: with a 100 ms keep-alive and a 10 s
    /// client timeout (beyond the wait), nothing but the dropped stream can end it in time.
    /// Another SSE connection that stays open is untouched.
    #[tokio::test]
    async fn dropping_the_response_ends_the_connection() {
        let (hub, mut hooks) = test_hub();
        let server = serve(
            hub,
            HubOptions::default()
                .keep_alive_interval(ms(100))
                .client_timeout_interval(Duration::from_secs(10)),
        )
        .await;

        let staying = negotiate(server.addr).await;
        let mut staying_sse = Sse::open(&staying).await;
        assert_eq!(staying_sse.first_bytes(3).await, b":\r\n");
        staying.send(JSON_HANDSHAKE).await;
        assert_eq!(
            staying_sse.next_payload().await.expect("stream ended"),
            "{}\u{1e}"
        );

        let leaving = negotiate(server.addr).await;
        let mut leaving_sse = Sse::open(&leaving).await;
        assert_eq!(leaving_sse.first_bytes(3).await, b":\r\n");
        leaving.send(JSON_HANDSHAKE).await;
        assert_eq!(
            leaving_sse.next_payload().await.expect("stream ended"),
            "{}\u{1e}"
        );
        leaving
            .send(invocation_record("1", "Echo", json!(["before"])))
            .await;
        assert_eq!(
            json_records(leaving_sse.next_payload().await.unwrap().as_bytes()),
            vec![json!({"type": 3, "invocationId": "1", "result": "before"})]
        );

        let dropped = Instant::now();
        drop(leaving_sse);
        assert_eq!(hooks.next_disconnected().await, leaving.id);
        let elapsed = dropped.elapsed();
        assert!(elapsed < WAIT, "took {elapsed:?}");
        // Its token is gone.
        let post = leaving.post(b"{\"type\":6}\x1e").await;
        assert_eq!(post.status, 404, "{post:?}");

        // The other stream still works (pings aside).
        staying
            .send(invocation_record("2", "Echo", json!(["after"])))
            .await;
        assert_eq!(
            json_records(staying_sse.next_payload().await.unwrap().as_bytes()),
            vec![json!({"type": 3, "invocationId": "2", "result": "after"})]
        );
        assert!(hooks.disconnected.try_recv().is_err());
        server.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Statuses

mod statuses {
    use super::*;

    #[tokio::test]
    async fn missing_and_unknown_ids() {
        let (hub, _hooks) = test_hub();
        let server = serve(hub, HubOptions::default()).await;
        let addr = server.addr;
        for method in ["POST", "DELETE", "GET"] {
            let response = http(addr, method, PATH, &[], b"").await;
            assert_eq!(
                (response.status, response.text()),
                (400, "Connection ID required".to_owned()),
                "{method} without id"
            );
            let response = http(addr, method, "/hub?id=unknown", &[], b"").await;
            assert_eq!(
                (response.status, response.text()),
                (404, "No Connection with that ID".to_owned()),
                "{method} with an unknown id"
            );
        }
        let sse = http(
            addr,
            "GET",
            "/hub?id=unknown",
            &[("Accept", "text/event-stream")],
            b"",
        )
        .await;
        assert_eq!(
            (sse.status, sse.text()),
            (404, "No Connection with that ID".to_owned())
        );
        server.stop().await;
    }

    #[tokio::test]
    async fn other_methods_are_not_allowed() {
        let (hub, _hooks) = test_hub();
        let server = serve(hub, HubOptions::default()).await;
        let connection = negotiate(server.addr).await;
        for method in ["PUT", "PATCH"] {
            let response = http(server.addr, method, &connection.target(), &[], b"{}").await;
            assert_eq!(response.status, 405, "{method}: {response:?}");
            assert_eq!(
                response.header("allow"),
                Some("GET,HEAD,POST,DELETE"),
                "{method}: {response:?}"
            );
        }
        server.stop().await;
    }

    #[tokio::test]
    async fn websocket_connection_refuses_http_requests() {
        let (hub, mut hooks) = test_hub();
        let server = serve(hub, HubOptions::default()).await;
        let connection = negotiate(server.addr).await;
        let url = format!("ws://{}{}", server.addr, connection.target());
        let (mut ws, _) = timeout(WAIT, tokio_tungstenite::connect_async(url.clone()))
            .await
            .expect("WebSocket connect timed out")
            .expect("WebSocket connect failed");

        let post = connection.post(b"{\"type\":6}\x1e").await;
        assert_eq!(post.status, 405, "POST on a WebSocket connection: {post:?}");
        let poll = connection.poll().await;
        assert_eq!(
            (poll.status, poll.text()),
            (400, "Cannot change transports mid-connection".to_owned())
        );
        let delete = connection.delete().await;
        assert_eq!(
            delete.status, 400,
            "DELETE on a WebSocket connection: {delete:?}"
        );
        // A second WebSocket for the same id.
        match timeout(WAIT, tokio_tungstenite::connect_async(url))
            .await
            .expect("second WebSocket connect timed out")
        {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 409)
            }
            Err(other) => panic!("expected 409 for a second WebSocket, got {other}"),
            Ok(_) => panic!("a second WebSocket for one id was accepted"),
        }

        // The WebSocket still works.
        use futures_util::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::Message;
        ws.send(Message::text("{\"protocol\":\"json\",\"version\":1}\u{1e}"))
            .await
            .unwrap();
        let reply = timeout(WAIT, ws.next()).await.expect("no handshake reply");
        assert_eq!(reply.unwrap().unwrap(), Message::text("{}\u{1e}"));
        ws.close(None).await.unwrap();
        assert_eq!(hooks.next_disconnected().await, connection.id);
        server.stop().await;
    }

    #[tokio::test]
    async fn sse_connection_refuses_delete_and_other_transports() {
        let (hub, _hooks) = test_hub();
        let server = serve(hub, HubOptions::default()).await;
        let connection = negotiate(server.addr).await;
        let mut sse = Sse::open(&connection).await;
        assert_eq!(sse.status, 200);
        assert_eq!(sse.first_bytes(3).await, b":\r\n");

        let delete = connection.delete().await;
        assert_eq!(
            delete.status, 400,
            "DELETE on an SSE connection: {delete:?}"
        );
        let poll = connection.poll().await;
        assert_eq!(
            (poll.status, poll.text()),
            (400, "Cannot change transports mid-connection".to_owned())
        );
        let second = connection.get(&[("Accept", "text/event-stream")]).await;
        assert_eq!(second.status, 409, "second SSE stream: {second:?}");
        match timeout(
            WAIT,
            tokio_tungstenite::connect_async(format!(
                "ws://{}{}",
                server.addr,
                connection.target()
            )),
        )
        .await
        .expect("WebSocket connect timed out")
        {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 400)
            }
            Err(other) => panic!("expected 400 for a WebSocket on an SSE id, got {other}"),
            Ok(_) => panic!("a WebSocket took over an SSE connection"),
        }

        // The SSE connection is unharmed.
        connection.send(JSON_HANDSHAKE).await;
        assert_eq!(sse.next_payload().await.unwrap(), "{}\u{1e}");
        server.stop().await;
    }

    /// Two POSTs at once get 409 for one of them. Made deterministic: `Hang` holds the only
    /// invocation slot and 70 Echo calls wait behind it (more than the 64 that may wait), so the
    /// connection stops taking POST bodies; after four more bodies its queue is full, and of two
    /// POSTs sent then, one waits for room and the other is refused at once.
    #[tokio::test]
    async fn concurrent_posts_conflict() {
        let (hub, hooks) = test_hub();
        let server = serve(hub, HubOptions::default().long_polling_timeout(LONG_POLL)).await;
        let connection = Negotiated::connect_long_polling(server.addr).await;

        let mut calls = invocation_record("hang", "Hang", json!([]));
        for i in 0..70 {
            calls.push_str(&invocation_record(&format!("e{i}"), "Echo", json!(["x"])));
        }
        connection.send(&calls).await;
        const PING: &[u8] = b"{\"type\":6}\x1e";
        for _ in 0..4 {
            connection.send(PING).await;
        }

        let mut a = start(server.addr, "POST", &connection.target(), PING).await;
        let mut b = start(server.addr, "POST", &connection.target(), PING).await;
        let (first, waiting) = timeout(WAIT, async {
            tokio::select! {
                r = &mut a => (r.unwrap(), b),
                r = &mut b => (r.unwrap(), a),
            }
        })
        .await
        .expect("neither of two concurrent POSTs returned");
        assert_eq!(first.status, 409, "concurrent POST: {first:?}");
        assert!(!waiting.is_finished(), "both concurrent POSTs returned");

        // Once Hang returns, everything drains: the waiting POST is accepted, and every call
        // completes in order.
        hooks.release.add_permits(1);
        let accepted = within(waiting).await;
        assert_eq!(accepted.status, 200, "{accepted:?}");
        let messages = connection.poll_until(is_completion("e69")).await;
        let ids: Vec<&str> = messages
            .iter()
            .map(|m| m["invocationId"].as_str().unwrap())
            .collect();
        let expected: Vec<String> = std::iter::once("hang".to_owned())
            .chain((0..70).map(|i| format!("e{i}")))
            .collect();
        assert_eq!(ids, expected);
        server.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Abandoned negotiation

mod negotiate_timeout {
    use super::*;

    /// DELETE tells a pending token (400: no long-polling transport) from an unknown one (404)
    /// without connecting it, so it is what this test polls with.
    #[tokio::test]
    async fn abandoned_negotiation_is_forgotten_and_a_connected_one_is_not() {
        let (hub, _hooks) = test_hub();
        let server = serve(
            hub,
            HubOptions::default()
                .negotiate_timeout(ms(200))
                .long_polling_timeout(LONG_POLL),
        )
        .await;
        let negotiated_at = Instant::now();
        let abandoned = negotiate(server.addr).await;
        // Connected at once: the negotiate timeout does not apply to it.
        let connected = Negotiated::connect_long_polling(server.addr).await;

        assert_eq!(
            abandoned.delete().await.status,
            400,
            "pending token unknown"
        );
        let deadline = Instant::now() + WAIT;
        loop {
            let status = abandoned.delete().await.status;
            if status == 404 {
                break;
            }
            assert_eq!(status, 400);
            assert!(
                Instant::now() < deadline,
                "the abandoned negotiation was not forgotten within {WAIT:?}"
            );
            tokio::time::sleep(ms(20)).await;
        }
        let elapsed = negotiated_at.elapsed();
        assert!(elapsed >= ms(180), "forgotten after only {elapsed:?}");

        let poll = abandoned.poll().await;
        assert_eq!(
            (poll.status, poll.text()),
            (404, "No Connection with that ID".to_owned())
        );
        match timeout(
            WAIT,
            tokio_tungstenite::connect_async(format!("ws://{}{}", server.addr, abandoned.target())),
        )
        .await
        .expect("WebSocket connect timed out")
        {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 404)
            }
            Err(other) => panic!("expected 404, got {other}"),
            Ok(_) => panic!("a WebSocket connected with a forgotten token"),
        }

        connected
            .send(invocation_record("1", "Echo", json!(["still connected"])))
            .await;
        let messages = connected.poll_until(is_completion("1")).await;
        assert_eq!(messages[0]["result"], "still connected");
        server.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Transports and protocols per hub

mod per_hub {
    use super::*;

    #[tokio::test]
    async fn long_polling_only() {
        let (hub, _hooks) = test_hub();
        let server = serve(
            hub,
            HubOptions::default()
                .long_polling_timeout(LONG_POLL)
                .transports(Transports {
                    web_sockets: false,
                    server_sent_events: false,
                    long_polling: true,
                }),
        )
        .await;
        let connection = negotiate(server.addr).await;
        assert_eq!(
            connection.response["availableTransports"],
            json!([{"transport": "LongPolling", "transferFormats": ["Text", "Binary"]}])
        );

        for url in [
            format!("ws://{}{}", server.addr, connection.target()),
            format!("ws://{}{PATH}", server.addr),
        ] {
            match timeout(WAIT, tokio_tungstenite::connect_async(url.clone()))
                .await
                .expect("WebSocket connect timed out")
            {
                Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                    assert_eq!(response.status(), 404, "{url}")
                }
                Err(other) => panic!("expected 404 for {url}, got {other}"),
                Ok(_) => panic!("a WebSocket was accepted with WebSockets off: {url}"),
            }
        }

        let sse = connection.get(&[("Accept", "text/event-stream")]).await;
        assert_eq!(
            (sse.status, sse.text()),
            (
                404,
                "ServerSentEvents transport not supported by this end point type".to_owned()
            )
        );

        // The refusals did not use up the token: long polling works.
        let first = connection.poll().await;
        assert_eq!((first.status, first.body.len()), (200, 0), "{first:?}");
        connection.send(JSON_HANDSHAKE).await;
        assert_eq!(connection.poll().await.text(), "{}\u{1e}");
        server.stop().await;
    }

    #[tokio::test]
    async fn json_only_refuses_messagepack() {
        let (hub, _hooks) = test_hub();
        let server = serve(
            hub,
            HubOptions::default()
                .long_polling_timeout(LONG_POLL)
                .protocols([Protocol::Json]),
        )
        .await;
        let connection = Negotiated::open_long_polling(server.addr).await;
        connection.send(MSGPACK_HANDSHAKE).await;
        let refused = connection.poll().await;
        assert_eq!(refused.status, 200, "{refused:?}");
        assert_eq!(
            refused.json_messages(),
            vec![json!({"error": "The protocol 'messagepack' is not supported."})]
        );
        // The connection ended.
        assert_eq!(connection.poll().await.status, 204);

        // JSON still works.
        let json = Negotiated::connect_long_polling(server.addr).await;
        json.send(invocation_record("1", "Echo", json!(["json"])))
            .await;
        assert_eq!(
            json.poll_until(is_completion("1")).await[0]["result"],
            "json"
        );
        server.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 7. CORS

mod cors {
    use super::*;

    const ALLOWED: &str = "http://allowed.test";

    fn preflight_headers(origin: &str) -> [(&str, &str); 3] {
        [
            ("Origin", origin),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "x-signalr-user-agent, authorization, x-requested-with",
            ),
        ]
    }

    fn assert_allowed(response: &Response, origin: &str) {
        assert_eq!(
            response.header("access-control-allow-origin"),
            Some(origin),
            "{response:?}"
        );
        assert_eq!(
            response.header("access-control-allow-credentials"),
            Some("true"),
            "{response:?}"
        );
    }

    fn assert_never_wildcard(response: &Response) {
        for (name, value) in &response.headers {
            if name.eq_ignore_ascii_case("access-control-allow-origin") {
                assert_ne!(value, "*", "a wildcard origin with credentials");
            }
        }
    }

    #[tokio::test]
    async fn allowed_origin_is_echoed_with_credentials() {
        let (hub, _hooks) = test_hub();
        let server = serve(
            hub,
            HubOptions::default()
                .long_polling_timeout(LONG_POLL)
                .cors(Cors::allow_origins([ALLOWED])),
        )
        .await;
        let addr = server.addr;

        let preflight = http(
            addr,
            "OPTIONS",
            "/hub/negotiate?negotiateVersion=1",
            &preflight_headers(ALLOWED),
            b"",
        )
        .await;
        assert!((200..300).contains(&preflight.status), "{preflight:?}");
        assert_allowed(&preflight, ALLOWED);
        let allow_headers = preflight
            .header("access-control-allow-headers")
            .unwrap_or_default()
            .to_ascii_lowercase();
        for wanted in ["x-signalr-user-agent", "authorization", "x-requested-with"] {
            assert!(
                allow_headers.contains(wanted),
                "Access-Control-Allow-Headers {allow_headers:?} lacks {wanted}"
            );
        }
        let allow_methods = preflight
            .header("access-control-allow-methods")
            .unwrap_or_default();
        assert!(allow_methods.contains("POST"), "{allow_methods:?}");

        let negotiated = http(
            addr,
            "POST",
            "/hub/negotiate?negotiateVersion=1",
            &[("Origin", ALLOWED)],
            b"",
        )
        .await;
        assert_eq!(negotiated.status, 200);
        assert_allowed(&negotiated, ALLOWED);
        let body: Value = serde_json::from_slice(&negotiated.body).unwrap();
        let token = body["connectionToken"].as_str().unwrap();

        // The transport requests too: preflight of the hub path, the polls and the POSTs.
        let target = format!("{PATH}?id={token}");
        let preflight = http(addr, "OPTIONS", &target, &preflight_headers(ALLOWED), b"").await;
        assert!((200..300).contains(&preflight.status), "{preflight:?}");
        assert_allowed(&preflight, ALLOWED);
        let first = http(addr, "GET", &target, &[("Origin", ALLOWED)], b"").await;
        assert_eq!(first.status, 200);
        assert_allowed(&first, ALLOWED);
        let post = http(
            addr,
            "POST",
            &target,
            &[("Origin", ALLOWED)],
            JSON_HANDSHAKE,
        )
        .await;
        assert_eq!(post.status, 200);
        assert_allowed(&post, ALLOWED);

        // Another origin is not allowed: no `Access-Control-Allow-Origin` (the browser then
        // refuses the response, whatever else is there).
        for origin in ["http://evil.test", "http://allowed.test:8080", "null"] {
            let preflight = http(
                addr,
                "OPTIONS",
                "/hub/negotiate?negotiateVersion=1",
                &preflight_headers(origin),
                b"",
            )
            .await;
            assert_eq!(preflight.header("access-control-allow-origin"), None);
            let negotiated = http(
                addr,
                "POST",
                "/hub/negotiate?negotiateVersion=1",
                &[("Origin", origin)],
                b"",
            )
            .await;
            assert_eq!(negotiated.header("access-control-allow-origin"), None);
            assert_never_wildcard(&preflight);
            assert_never_wildcard(&negotiated);
        }
        server.stop().await;
    }

    /// Any origin is allowed without credentials: a page on any origin may call the hub, but
    /// never with its visitor's cookies (`*` cannot be combined with credentials).
    #[tokio::test]
    async fn any_origin_is_allowed_without_credentials() {
        let (hub, _hooks) = test_hub();
        let server = serve(hub, HubOptions::default().cors(Cors::allow_any_origin())).await;
        let origin = "http://anywhere.test";
        let preflight = http(
            server.addr,
            "OPTIONS",
            "/hub/negotiate?negotiateVersion=1",
            &preflight_headers(origin),
            b"",
        )
        .await;
        assert!((200..300).contains(&preflight.status), "{preflight:?}");
        let negotiated = http(
            server.addr,
            "POST",
            "/hub/negotiate?negotiateVersion=1",
            &[("Origin", origin)],
            b"",
        )
        .await;
        for response in [&preflight, &negotiated] {
            assert_eq!(
                response.header("access-control-allow-origin"),
                Some("*"),
                "{response:?}"
            );
            assert_eq!(
                response.header("access-control-allow-credentials"),
                None,
                "credentials with any origin: {response:?}"
            );
        }
        server.stop().await;
    }

    /// With CORS configured, a WebSocket upgrade from a page of another origin is refused (403),
    /// one from an allowed origin or without `Origin` (a non-browser client) is not.
    #[tokio::test]
    async fn websocket_upgrades_are_checked_against_the_allowed_origins() {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let (hub, _hooks) = test_hub();
        let server = serve(
            hub,
            HubOptions::default().cors(Cors::allow_origins([ALLOWED])),
        )
        .await;
        let upgrade = |origin: Option<&'static str>| {
            let mut request = format!("ws://{}{PATH}", server.addr)
                .into_client_request()
                .unwrap();
            if let Some(origin) = origin {
                request
                    .headers_mut()
                    .insert("origin", origin.parse().unwrap());
            }
            async move {
                match tokio_tungstenite::connect_async(request).await {
                    Ok(_) => 101,
                    Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                        response.status().as_u16()
                    }
                    Err(other) => panic!("{other}"),
                }
            }
        };
        assert_eq!(upgrade(Some("http://evil.test")).await, 403);
        assert_eq!(upgrade(Some(ALLOWED)).await, 101);
        assert_eq!(upgrade(None).await, 101);
        server.stop().await;
    }

    #[tokio::test]
    async fn no_cors_options_no_cors_headers() {
        let (hub, _hooks) = test_hub();
        let server = serve(hub, HubOptions::default()).await;
        let preflight = http(
            server.addr,
            "OPTIONS",
            "/hub/negotiate?negotiateVersion=1",
            &preflight_headers(ALLOWED),
            b"",
        )
        .await;
        preflight.assert_no_cors();
        let negotiated = http(
            server.addr,
            "POST",
            "/hub/negotiate?negotiateVersion=1",
            &[("Origin", ALLOWED)],
            b"",
        )
        .await;
        assert_eq!(negotiated.status, 200);
        negotiated.assert_no_cors();
        server.stop().await;
    }
}
