//! Load generator for the benchmarks. One process drives up to `--conns` WebSocket connections
//! (the runner starts several processes beyond ~10k sockets: one process may hold at most
//! ~19,990 open files here) on a single-threaded tokio runtime, and speaks one of three
//! protocols:
//!
//! - `raw`: plain WebSocket text; the server echoes, a message starting with `B` is broadcast.
//! - `signalr`: the JSON hub protocol over a skipNegotiation WebSocket: handshake, `Echo`
//!   invocations with ids answered by Completions (`--echo-target EchoAsync` calls the bench
//!   hub's asynchronous echo instead), `SendMessage` broadcasts of `ReceiveMessage`.
//! - `signalr-msgpack`: the same over the MessagePack hub protocol (binary frames of
//!   length-prefixed MessagePack arrays).
//! - `signalr-sse`, `signalr-longpolling`: the JSON hub protocol over Server-Sent Events or long
//!   polling (negotiated; see `http.rs`); `echo` mode only.
//! - `socketio`: engine.io v4 over WebSocket (`/socket.io/?EIO=4&transport=websocket`): open
//!   packet, `40` connect, `42<id>["echo",..]` answered by `43<id>[..]`, `42["broadcast",..]`
//!   answered by `42["message",..]` to everyone; engine.io pings (`2`) answered with `3`.
//!
//! `--server` may list several addresses (`HOST:PORT,HOST:PORT`: nodes of one cluster):
//! connection i goes to address i mod their number, so connection 0 (the sender of the broadcast
//! and groups modes) is on the first, and `done` counts the deliveries of each address apart
//! (`delivered_by_server`).
//!
//! Client sockets bind to 127.0.0.1 … 127.0.0.8 in turn (`IP_BIND_ADDRESS_NO_PORT`, so the port is
//! picked per destination) and close with `SO_LINGER` 0, leaving no TIME_WAIT behind.
//!
//! Modes (every one bounded in time, `--max-seconds`):
//! - `idle`: connect, print `ready`, keep the connections alive until `stop` on stdin (or EOF).
//! - `echo`: closed loop, one outstanding echo per connection.
//! - `latency`: open loop at `--rate` echoes per second per connection, staggered starts.
//! - `broadcast`: connection 0 sends broadcasts, at most `--window` of them undelivered; every
//!   connection counts the deliveries it receives.
//! - `groups`: connection i joins group `g<i / --group-size>` as it connects; connection 0
//!   sends to the groups in turn, at most `--window` messages undelivered; every connection
//!   counts the deliveries it receives.
//! - `stream`: every connection starts one endless server stream and counts its items.
//! - `soak`, `burst`, `crowd`: numbered messages, every delivery checked (see `soak.rs`).
//!
//! Latency is measured from the actual send time embedded in the payload; in `latency` mode the
//! lateness of each send against its schedule is reported apart (`send_lag_us`), so a saturated
//! load generator (coordinated omission) shows instead of hiding.
//!
//! Output: JSON lines on stdout (`ready`, `measure_start`, `measure_end`, `done`).

mod http;
mod hubmsg;
mod soak;
#[cfg(test)]
mod test_server;

use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde_json::json;
use tokio::io::AsyncBufReadExt;
use tokio::net::TcpStream;
use tokio::sync::{Notify, Semaphore, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

type Ws = WebSocketStream<TcpStream>;
type BoxError = Box<dyn std::error::Error + Send + Sync>;

const RS: char = '\u{1e}';
/// Concurrent connection attempts at most.
const CONNECT_CONCURRENCY: usize = 128;
/// How long one connection attempt (TCP + upgrade + protocol handshake) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a group join may go unanswered before it is sent again, and how many times.
const JOIN_WAIT: Duration = Duration::from_secs(2);
const JOIN_ATTEMPTS: usize = 5;
/// SignalR servers close connections silent for 30 s: idle connections ping every 10 s.
const SIGNALR_PING_EVERY: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Proto {
    Raw,
    SignalR,
    SignalRMessagePack,
    SocketIo,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Idle,
    Echo,
    Latency,
    Broadcast,
    Groups,
    Stream,
    Soak,
    Burst,
    Crowd,
}

#[derive(Clone, Debug)]
struct Config {
    proto: Proto,
    /// `Some` for SignalR over an HTTP transport instead of a WebSocket.
    transport: Option<http::HttpTransport>,
    mode: Mode,
    /// The hub method the echo and latency modes invoke (`Echo`; `EchoAsync` is the bench hub's
    /// asynchronous echo). SignalR only.
    echo_target: String,
    /// The first of `servers`: the checking modes and the HTTP transports use this one alone.
    server: SocketAddr,
    /// Every address of `--server`; connection i goes to `servers[i % len]`.
    servers: Vec<SocketAddr>,
    path: String,
    conns: usize,
    src_offset: usize,
    src_count: usize,
    payload: usize,
    warmup: Duration,
    measure: Duration,
    rate: f64,
    window: u64,
    group_size: usize,
    max_seconds: u64,
    /// The checking modes' settings.
    check: soak::Settings,
}

fn usage() -> ! {
    eprintln!(
        "usage: loadgen --proto raw|signalr|signalr-msgpack|signalr-sse|signalr-longpolling|socketio \
         --server HOST:PORT[,HOST:PORT...] [--path P] \
         --mode idle|echo|latency|broadcast|groups|stream|soak|burst|crowd --conns N [--src-offset K] \
         [--src-count 8] [--payload BYTES] [--echo-target Echo|EchoAsync] [--warmup-ms MS] [--measure-ms MS] \
         [--rate PER_CONN_PER_S] [--window MESSAGES] [--group-size N] [--max-seconds S] \
         [soak: --total-conns N --broadcasters N --echo-every-ms MS --broadcast-every-ms MS \
         --group-every-ms MS --stream-every-ms MS --stream-items N --msgpack-every N --churn N \
         --churn-every-ms MS --report-every-ms MS --drain-ms MS] [burst: --burst INVOCATIONS]"
    );
    std::process::exit(2)
}

fn parse_args() -> Config {
    let mut config = Config {
        proto: Proto::Raw,
        transport: None,
        mode: Mode::Echo,
        echo_target: "Echo".into(),
        server: "127.0.0.1:0".parse().expect("addr"),
        servers: Vec::new(),
        path: String::new(),
        conns: 1,
        src_offset: 0,
        src_count: 8,
        payload: 32,
        warmup: Duration::from_secs(1),
        measure: Duration::from_secs(5),
        rate: 20.0,
        window: 16,
        group_size: 10,
        max_seconds: 600,
        check: soak::Settings::default(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--proto" => {
                config.proto = match value().as_str() {
                    "raw" => Proto::Raw,
                    "signalr" => Proto::SignalR,
                    "signalr-msgpack" => Proto::SignalRMessagePack,
                    "signalr-sse" => {
                        config.transport = Some(http::HttpTransport::Sse);
                        Proto::SignalR
                    }
                    "signalr-longpolling" => {
                        config.transport = Some(http::HttpTransport::LongPolling);
                        Proto::SignalR
                    }
                    "socketio" => Proto::SocketIo,
                    _ => usage(),
                }
            }
            "--mode" => {
                config.mode = match value().as_str() {
                    "idle" => Mode::Idle,
                    "echo" => Mode::Echo,
                    "latency" => Mode::Latency,
                    "broadcast" => Mode::Broadcast,
                    "groups" => Mode::Groups,
                    "stream" => Mode::Stream,
                    "soak" => Mode::Soak,
                    "burst" => Mode::Burst,
                    "crowd" => Mode::Crowd,
                    _ => usage(),
                }
            }
            "--server" => {
                config.servers = value()
                    .split(',')
                    .map(|addr| addr.parse().unwrap_or_else(|_| usage()))
                    .collect();
            }
            "--echo-target" => config.echo_target = value(),
            "--path" => config.path = value(),
            "--conns" => config.conns = value().parse().unwrap_or_else(|_| usage()),
            "--src-offset" => config.src_offset = value().parse().unwrap_or_else(|_| usage()),
            "--src-count" => config.src_count = value().parse().unwrap_or_else(|_| usage()),
            "--payload" => config.payload = value().parse().unwrap_or_else(|_| usage()),
            "--warmup-ms" => {
                config.warmup = Duration::from_millis(value().parse().unwrap_or_else(|_| usage()))
            }
            "--measure-ms" => {
                config.measure = Duration::from_millis(value().parse().unwrap_or_else(|_| usage()))
            }
            "--rate" => config.rate = value().parse().unwrap_or_else(|_| usage()),
            "--window" => config.window = value().parse().unwrap_or_else(|_| usage()),
            "--group-size" => config.group_size = value().parse().unwrap_or_else(|_| usage()),
            "--max-seconds" => config.max_seconds = value().parse().unwrap_or_else(|_| usage()),
            "--total-conns" => config.check.total = value().parse().unwrap_or_else(|_| usage()),
            "--broadcasters" => {
                config.check.broadcasters = value().parse().unwrap_or_else(|_| usage())
            }
            "--echo-every-ms" => config.check.echo_every = millis(value()),
            "--broadcast-every-ms" => config.check.broadcast_every = millis(value()),
            "--group-every-ms" => config.check.group_every = millis(value()),
            "--stream-every-ms" => config.check.stream_every = millis(value()),
            "--stream-items" => {
                config.check.stream_items = value().parse().unwrap_or_else(|_| usage())
            }
            "--msgpack-every" => {
                config.check.msgpack_every = value().parse().unwrap_or_else(|_| usage())
            }
            "--churn" => config.check.churn = value().parse().unwrap_or_else(|_| usage()),
            "--churn-every-ms" => config.check.churn_every = millis(value()),
            "--report-every-ms" => config.check.report_every = millis(value()),
            "--drain-ms" => config.check.drain = millis(value()),
            "--burst" => config.check.burst = value().parse().unwrap_or_else(|_| usage()),
            _ => usage(),
        }
    }
    if config.path.is_empty() {
        config.path = match config.proto {
            Proto::Raw => "/ws".into(),
            Proto::SignalR | Proto::SignalRMessagePack => "/hubs/chat".into(),
            Proto::SocketIo => "/socket.io/?EIO=4&transport=websocket".into(),
        };
    }
    match config.servers.first() {
        Some(&first) => config.server = first,
        None => config.servers.push(config.server),
    }
    if config.servers.len() > 1
        && (config.transport.is_some()
            || matches!(config.mode, Mode::Soak | Mode::Burst | Mode::Crowd))
    {
        eprintln!("loadgen: several servers are for the WebSocket benchmark modes only");
        usage();
    }
    config.payload = config.payload.max(MIN_PAYLOAD);
    config.src_count = config.src_count.clamp(1, 254);
    config.group_size = config.group_size.max(1);
    config.check.total = config.check.total.max(config.src_offset + config.conns);
    config.check.report_every = config.check.report_every.max(Duration::from_millis(100));
    if matches!(config.mode, Mode::Soak | Mode::Burst | Mode::Crowd)
        && !matches!(config.proto, Proto::SignalR | Proto::SignalRMessagePack)
    {
        eprintln!("loadgen: the soak, burst and crowd modes speak SignalR over WebSocket");
        usage();
    }
    if config.transport.is_some() && config.mode != Mode::Echo {
        eprintln!("loadgen: the HTTP transports run the echo mode only");
        usage();
    }
    if matches!(config.mode, Mode::Groups | Mode::Soak)
        && !config.conns.is_multiple_of(config.group_size)
    {
        eprintln!("loadgen: --conns must be a multiple of --group-size");
        usage();
    }
    config
}

fn millis(text: String) -> Duration {
    Duration::from_millis(text.parse().unwrap_or_else(|_| usage()))
}

fn emit(value: serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}

// ---------------------------------------------------------------------------------------------
// Payloads: `@` + 20-digit send time in ns since the process epoch, then filler.

const MIN_PAYLOAD: usize = 21;

fn payload(epoch: Instant, at: Instant, size: usize) -> String {
    let ns = at.saturating_duration_since(epoch).as_nanos() as u64;
    let mut text = format!("@{ns:020}");
    text.extend(std::iter::repeat_n('x', size.saturating_sub(text.len())));
    text
}

/// The send time embedded in a reply, if any.
fn sent_at(text: &str) -> Option<u64> {
    let at = text.find('@')?;
    text.get(at + 1..at + 21)?.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// Protocols.

/// What an incoming frame meant.
#[derive(Default)]
struct Incoming {
    /// Echo replies, with the send time of each.
    replies: Vec<Option<u64>>,
    /// Broadcast (or group) deliveries.
    deliveries: u64,
    /// Server stream items.
    items: u64,
    /// Something to send back at once (engine.io pong).
    answer: Option<&'static str>,
    /// The server ended the session.
    closed: bool,
}

/// An echo invocation of `target` (SignalR) with `payload`.
fn echo_request(proto: Proto, target: &str, id: u64, payload: &str) -> Message {
    match proto {
        Proto::Raw => Message::text(payload),
        Proto::SignalR => Message::text(format!(
            r#"{{"type":1,"invocationId":"{id}","target":"{target}","arguments":["{payload}"]}}{RS}"#
        )),
        Proto::SignalRMessagePack => Message::binary(msgpack_invocation(
            Some(&id.to_string()),
            target,
            &[payload],
        )),
        Proto::SocketIo => Message::text(format!(r#"42{id}["echo","{payload}"]"#)),
    }
}

fn broadcast_request(proto: Proto, payload: &str) -> Message {
    match proto {
        Proto::Raw => Message::text(format!("B{payload}")),
        Proto::SignalR => Message::text(format!(
            r#"{{"type":1,"target":"SendMessage","arguments":["bench","{payload}"]}}{RS}"#
        )),
        Proto::SignalRMessagePack => {
            Message::binary(msgpack_invocation(None, "SendMessage", &["bench", payload]))
        }
        Proto::SocketIo => Message::text(format!(r#"42["broadcast","{payload}"]"#)),
    }
}

/// Joins `group`; answered like an echo (a Completion, an ack, `J`).
fn join_request(proto: Proto, group: &str) -> Message {
    match proto {
        Proto::Raw => Message::text(format!("J{group}")),
        Proto::SignalR => Message::text(format!(
            r#"{{"type":1,"invocationId":"join","target":"JoinGroup","arguments":["{group}"]}}{RS}"#
        )),
        Proto::SignalRMessagePack => {
            Message::binary(msgpack_invocation(Some("join"), "JoinGroup", &[group]))
        }
        Proto::SocketIo => Message::text(format!(r#"420["join","{group}"]"#)),
    }
}

/// Sends `payload` to the members of `group`.
fn group_request(proto: Proto, group: &str, payload: &str) -> Message {
    match proto {
        Proto::Raw => Message::text(format!("G{group} {payload}")),
        Proto::SignalR => Message::text(format!(
            r#"{{"type":1,"target":"SendToGroup","arguments":["{group}","{payload}"]}}{RS}"#
        )),
        Proto::SignalRMessagePack => {
            Message::binary(msgpack_invocation(None, "SendToGroup", &[group, payload]))
        }
        Proto::SocketIo => Message::text(format!(r#"42["group","{group}","{payload}"]"#)),
    }
}

/// Starts an endless server stream (`count` items: more than any run takes).
fn stream_request(proto: Proto) -> Result<Message, BoxError> {
    const COUNT: u64 = 1 << 50;
    match proto {
        Proto::Raw => Ok(Message::text(format!("S{COUNT}"))),
        Proto::SignalR => Ok(Message::text(format!(
            r#"{{"type":4,"invocationId":"1","target":"Count","arguments":[{COUNT}]}}{RS}"#
        ))),
        Proto::SignalRMessagePack | Proto::SocketIo => {
            Err("the stream mode speaks raw and signalr only".into())
        }
    }
}

/// A SignalR keep-alive Ping in the connection's protocol.
fn ping_request(proto: Proto) -> Message {
    match proto {
        // [6], length-prefixed.
        Proto::SignalRMessagePack => Message::binary(vec![2u8, 0x91, 6]),
        _ => Message::text(format!(r#"{{"type":6}}{RS}"#)),
    }
}

/// A MessagePack hub Invocation, `[1, {}, id or nil, target, [arguments...], []]`, with its
/// varint length prefix.
fn msgpack_invocation(id: Option<&str>, target: &str, arguments: &[&str]) -> Vec<u8> {
    let arguments: Vec<hubmsg::Arg> = arguments.iter().map(|a| hubmsg::Arg::Str(a)).collect();
    hubmsg::msgpack_record(hubmsg::INVOCATION, id, target, &arguments)
}

/// The MessagePack hub messages of a binary frame: each one's type and bytes.
fn msgpack_messages(mut frame: &[u8]) -> Vec<(u8, &[u8])> {
    let mut messages = Vec::new();
    while !frame.is_empty() {
        let (mut len, mut shift, mut used) = (0usize, 0, 0);
        for &byte in frame.iter().take(5) {
            used += 1;
            len |= usize::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
        }
        let Some(message) = frame.get(used..used + len) else {
            break;
        };
        // A fixarray, then the type as a positive fixint.
        if let [0x90..=0x9f, kind, ..] = message {
            messages.push((*kind, message));
        }
        frame = &frame[used + len..];
    }
    messages
}

fn classify(proto: Proto, frame: &Frame) -> Incoming {
    let mut incoming = Incoming::default();
    let text = match frame {
        Frame::Text(text) => text.as_str(),
        Frame::Binary(bytes) => {
            if proto == Proto::SignalRMessagePack {
                for (kind, message) in msgpack_messages(bytes) {
                    match kind {
                        3 => incoming
                            .replies
                            .push(sent_at(&String::from_utf8_lossy(message))),
                        1 if contains(message, b"ReceiveMessage") => incoming.deliveries += 1,
                        2 => incoming.items += 1,
                        7 => incoming.closed = true,
                        _ => {}
                    }
                }
            }
            return incoming;
        }
    };
    match proto {
        Proto::Raw => match text.as_bytes().first() {
            Some(b'B' | b'G') => incoming.deliveries += 1,
            Some(b'{') if text.starts_with(r#"{"type":2"#) => incoming.items += 1,
            _ => incoming.replies.push(sent_at(text)),
        },
        Proto::SignalR | Proto::SignalRMessagePack => {
            for message in text.split(RS).filter(|m| !m.is_empty()) {
                if message.starts_with(r#"{"type":2,"#) {
                    incoming.items += 1;
                } else if message.contains(r#""type":3"#) {
                    incoming.replies.push(sent_at(message));
                } else if message.contains(r#""type":1"#) {
                    if message.contains("ReceiveMessage") {
                        incoming.deliveries += 1;
                    }
                } else if message.contains(r#""type":7"#) {
                    incoming.closed = true;
                }
            }
        }
        Proto::SocketIo => {
            if text == "2" {
                incoming.answer = Some("3");
            } else if let Some(rest) = text.strip_prefix("43") {
                incoming.replies.push(sent_at(rest));
            } else if text.starts_with(r#"42["message""#) {
                incoming.deliveries += 1;
            } else if text.starts_with("41") || text.starts_with('1') {
                incoming.closed = true;
            }
        }
    }
    incoming
}

/// The source address of connection `index`: 127.0.0.1 … 127.0.0.<src_count> in turn.
fn source_address(config: &Config, index: usize) -> Ipv4Addr {
    let global = config.src_offset + index;
    Ipv4Addr::new(127, 0, 0, 1 + (global % config.src_count) as u8)
}

/// Which of the servers connection `index` goes to.
fn server_index(config: &Config, index: usize) -> usize {
    (config.src_offset + index) % config.servers.len()
}

fn server_of(config: &Config, index: usize) -> SocketAddr {
    config.servers[server_index(config, index)]
}

async fn connect(config: &Config, index: usize) -> Result<Ws, BoxError> {
    let global = config.src_offset + index;
    let mut ws = open_ws(
        server_of(config, index),
        &config.path,
        config.proto,
        source_address(config, index),
    )
    .await?;
    if config.mode == Mode::Groups {
        let group = group_name(global / config.group_size);
        // socketioxide runs its (async) connect handler as a task of its own, after it sent the
        // connect packet: an event that arrives before that handler registered `join` is
        // dropped, so a join left unanswered is sent again (joining twice changes nothing).
        let mut joined = false;
        for _ in 0..JOIN_ATTEMPTS {
            ws.send(join_request(config.proto, &group)).await?;
            let answered = async {
                while read_one(&mut ws, config.proto).await?.replies.is_empty() {}
                Ok::<(), BoxError>(())
            };
            match tokio::time::timeout(JOIN_WAIT, answered).await {
                Ok(result) => {
                    result?;
                    joined = true;
                    break;
                }
                Err(_) => continue,
            }
        }
        if !joined {
            return Err(format!("{group}: no answer to {JOIN_ATTEMPTS} joins").into());
        }
    }
    Ok(ws)
}

/// Opens a WebSocket to `server` from `source` and completes the protocol's handshake.
async fn open_ws(
    server: SocketAddr,
    path: &str,
    proto: Proto,
    source: Ipv4Addr,
) -> Result<Ws, BoxError> {
    let stream = http::open_socket(server, source).await?;
    let url = format!("ws://{server}{path}");
    let ws_config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (mut ws, _) =
        tokio_tungstenite::client_async_with_config(url.as_str(), stream, Some(ws_config)).await?;
    match proto {
        Proto::Raw => {}
        Proto::SignalR | Proto::SignalRMessagePack => {
            let protocol = if proto == Proto::SignalR {
                "json"
            } else {
                "messagepack"
            };
            ws.send(Message::text(format!(
                r#"{{"protocol":"{protocol}","version":1}}{RS}"#
            )))
            .await?;
            loop {
                let text = next_text(&mut ws).await?;
                if text.starts_with("{}") {
                    break;
                }
                if text.contains("error") {
                    return Err(format!("handshake refused: {text}").into());
                }
            }
        }
        Proto::SocketIo => {
            loop {
                let text = next_text(&mut ws).await?;
                if text.starts_with('0') {
                    break;
                }
            }
            ws.send(Message::text("40")).await?;
            loop {
                let text = next_text(&mut ws).await?;
                if text.starts_with("40") {
                    break;
                }
                if text == "2" {
                    ws.send(Message::text("3")).await?;
                } else if text.starts_with("44") {
                    return Err(format!("connect refused: {text}").into());
                }
            }
        }
    }
    Ok(ws)
}

fn group_name(group: usize) -> String {
    format!("g{group}")
}

/// A data frame from the server.
enum Frame {
    Text(String),
    Binary(Vec<u8>),
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

async fn next_frame(ws: &mut Ws) -> Result<Frame, BoxError> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => return Ok(Frame::Text(text.as_str().to_owned())),
            Some(Ok(Message::Binary(bytes))) => return Ok(Frame::Binary(bytes.to_vec())),
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
            Some(Ok(Message::Close(_))) | None => return Err("closed by the server".into()),
            Some(Err(err)) => return Err(err.into()),
        }
    }
}

async fn next_text(ws: &mut Ws) -> Result<String, BoxError> {
    loop {
        if let Frame::Text(text) = next_frame(ws).await? {
            return Ok(text);
        }
    }
}

/// Reads one frame and handles what needs no decision (pongs). `Err` when the connection ended.
async fn read_one(ws: &mut Ws, proto: Proto) -> Result<Incoming, BoxError> {
    let frame = next_frame(ws).await?;
    let incoming = classify(proto, &frame);
    if let Some(answer) = incoming.answer {
        ws.send(Message::text(answer)).await?;
    }
    if incoming.closed {
        let shown = match &frame {
            Frame::Text(text) => text.clone(),
            Frame::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        };
        return Err(format!("closed by the server: {shown}").into());
    }
    Ok(incoming)
}

// ---------------------------------------------------------------------------------------------
// Shared state and the per-connection tasks.

struct Shared {
    config: Config,
    epoch: Instant,
    go: watch::Receiver<bool>,
    stop: AtomicBool,
    stopped: Notify,
    measuring: AtomicBool,
    completed: AtomicU64,
    delivered: AtomicU64,
    /// `delivered`, per server of `--server`.
    delivered_by_server: Vec<AtomicU64>,
    sent: AtomicU64,
    errors: AtomicU64,
    connected: AtomicU64,
    /// The sender waits until `delivered` reaches this.
    wake_at: AtomicU64,
    progress: Notify,
    first_error: std::sync::Mutex<Option<String>>,
    /// Round-trip latency (µs) of the measured window, all connections together: one histogram
    /// per connection would zero ~140 KB each, gigabytes at 20k connections.
    latency: std::sync::Mutex<Histogram<u64>>,
    /// How late sends were against their schedule (latency mode), µs.
    lag: std::sync::Mutex<Histogram<u64>>,
}

impl Shared {
    fn fail(&self, err: impl std::fmt::Display) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_error.lock().unwrap_or_else(|e| e.into_inner());
        if first.is_none() {
            *first = Some(err.to_string());
        }
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Counts `count` deliveries to a connection of server `server` (an index of `servers`).
    fn deliver(&self, server: usize, count: u64) {
        if count > 0 {
            self.delivered_by_server[server].fetch_add(count, Ordering::Relaxed);
            let now = self.delivered.fetch_add(count, Ordering::Relaxed) + count;
            if now >= self.wake_at.load(Ordering::Relaxed) {
                self.progress.notify_one();
            }
        }
    }
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds")
}

fn record(shared: &Shared, sent_ns: Option<u64>) {
    if let Some(sent_ns) = sent_ns
        && shared.measuring.load(Ordering::Relaxed)
    {
        let now = shared.epoch.elapsed().as_nanos() as u64;
        let micros = now.saturating_sub(sent_ns) / 1000;
        lock(&shared.latency).saturating_record(micros.max(1));
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `connect` (at most [`CONNECT_CONCURRENCY`] at a time, within [`CONNECT_TIMEOUT`]) and
/// counts the connection in; `None` (the failure counted) when it failed or the run is over.
async fn open<T>(
    shared: &Shared,
    permits: &Semaphore,
    connect: impl Future<Output = Result<T, BoxError>>,
) -> Option<T> {
    let _permit = permits.acquire().await;
    if shared.stopping() {
        return None;
    }
    match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
        Ok(Ok(connection)) => {
            shared.connected.fetch_add(1, Ordering::Relaxed);
            Some(connection)
        }
        Ok(Err(err)) => {
            shared.fail(format!("connect: {err}"));
            None
        }
        Err(_) => {
            shared.fail("connect: timed out");
            None
        }
    }
}

async fn connection_task(shared: Arc<Shared>, index: usize, permits: Arc<Semaphore>) {
    let config = &shared.config;
    if let Some(transport) = config.transport {
        return http_connection_task(&shared, index, permits, transport).await;
    }
    let Some(ws) = open(&shared, &permits, connect(config, index)).await else {
        return;
    };
    let result = match config.mode {
        Mode::Idle => idle(&shared, ws, index).await,
        Mode::Echo => echo(&shared, ws).await,
        Mode::Latency => latency(&shared, ws, index).await,
        Mode::Broadcast if index == 0 => {
            let proto = config.proto;
            broadcast_sender(&shared, ws, config.conns as u64, |payload, _| {
                broadcast_request(proto, payload)
            })
            .await
        }
        Mode::Groups if index == 0 && config.src_offset == 0 => {
            let (proto, groups) = (config.proto, config.conns / config.group_size);
            broadcast_sender(&shared, ws, config.group_size as u64, |payload, n| {
                group_request(proto, &group_name(n as usize % groups), payload)
            })
            .await
        }
        Mode::Broadcast | Mode::Groups => {
            subscriber(&shared, ws, server_index(config, index)).await
        }
        Mode::Stream => stream_reader(&shared, ws).await,
        Mode::Soak | Mode::Burst | Mode::Crowd => unreachable!("soak.rs runs these modes"),
    };
    if let Err(err) = result
        && !shared.stopping()
    {
        shared.fail(err);
    }
}

/// A SignalR connection over Server-Sent Events or long polling, in echo mode.
async fn http_connection_task(
    shared: &Shared,
    index: usize,
    permits: Arc<Semaphore>,
    transport: http::HttpTransport,
) {
    let config = &shared.config;
    let connect = http::HttpConn::connect(
        config.server,
        &config.path,
        transport,
        source_address(config, index),
    );
    let Some(conn) = open(shared, &permits, connect).await else {
        return;
    };
    if let Err(err) = echo_http(shared, conn).await
        && !shared.stopping()
    {
        shared.fail(err);
    }
}

/// The closed echo loop of [`echo`] over an HTTP transport: a POST per invocation, then events
/// or polls until its Completion.
async fn echo_http(shared: &Shared, mut conn: http::HttpConn) -> Result<(), BoxError> {
    let config = &shared.config;
    let mut go = shared.go.clone();
    go.wait_for(|go| *go).await.map_err(|_| "runner gone")?;
    let mut id = 0u64;
    while !shared.stopping() {
        id += 1;
        let payload = payload(shared.epoch, Instant::now(), config.payload);
        let target = &config.echo_target;
        conn.send(&format!(
            r#"{{"type":1,"invocationId":"{id}","target":"{target}","arguments":["{payload}"]}}{RS}"#
        ))
        .await?;
        loop {
            let incoming = classify(Proto::SignalR, &Frame::Text(conn.recv().await?));
            if incoming.closed {
                return Err("closed by the server".into());
            }
            if let Some(&sent_ns) = incoming.replies.first() {
                record(shared, sent_ns);
                shared.completed.fetch_add(1, Ordering::Relaxed);
                break;
            }
        }
    }
    conn.close().await
}

/// Reads (and answers pings) until the go signal.
async fn wait_go(shared: &Shared, ws: &mut Ws) -> Result<(), BoxError> {
    let mut go = shared.go.clone();
    loop {
        tokio::select! {
            changed = go.wait_for(|go| *go) => {
                changed.map_err(|_| "runner gone")?;
                return Ok(());
            }
            incoming = read_one(ws, shared.config.proto) => {
                incoming?;
            }
        }
    }
}

async fn idle(shared: &Shared, mut ws: Ws, index: usize) -> Result<(), BoxError> {
    let proto = shared.config.proto;
    // Spread the keep-alive pings over the interval.
    let offset = SIGNALR_PING_EVERY.mul_f64((index % 1000) as f64 / 1000.0);
    let mut ping =
        tokio::time::interval_at(tokio::time::Instant::now() + offset, SIGNALR_PING_EVERY);
    loop {
        tokio::select! {
            () = shared.stopped.notified() => return Ok(()),
            incoming = read_one(&mut ws, proto) => { incoming?; }
            _ = ping.tick(), if matches!(proto, Proto::SignalR | Proto::SignalRMessagePack) => {
                ws.send(ping_request(proto)).await?;
            }
        }
        if shared.stopping() {
            return Ok(());
        }
    }
}

async fn echo(shared: &Shared, mut ws: Ws) -> Result<(), BoxError> {
    let config = &shared.config;
    wait_go(shared, &mut ws).await?;
    let mut id = 0u64;
    while !shared.stopping() {
        id += 1;
        let text = echo_request(
            config.proto,
            &config.echo_target,
            id,
            &payload(shared.epoch, Instant::now(), config.payload),
        );
        ws.send(text).await?;
        loop {
            let incoming = read_one(&mut ws, config.proto).await?;
            if let Some(&sent_ns) = incoming.replies.first() {
                record(shared, sent_ns);
                shared.completed.fetch_add(1, Ordering::Relaxed);
                break;
            }
        }
    }
    Ok(())
}

async fn latency(shared: &Shared, mut ws: Ws, index: usize) -> Result<(), BoxError> {
    let config = &shared.config;
    wait_go(shared, &mut ws).await?;
    let period = Duration::from_secs_f64(1.0 / config.rate);
    // Staggered starts: connection i begins i/N of a period late.
    let stagger = period.mul_f64(index as f64 / config.conns.max(1) as f64);
    let mut next = Instant::now() + stagger;
    let mut id = 0u64;
    while !shared.stopping() {
        tokio::select! {
            () = tokio::time::sleep_until(next.into()) => {
                id += 1;
                // The actual send time goes in the payload (tokio's timer fires up to ~1 ms late,
                // the same for every server); how late it was is recorded apart, so a load
                // generator falling behind its schedule shows.
                let now = Instant::now();
                if shared.measuring.load(Ordering::Relaxed) {
                    lock(&shared.lag).saturating_record((now.saturating_duration_since(next).as_micros() as u64).max(1));
                }
                let request = echo_request(config.proto, &config.echo_target, id, &payload(shared.epoch, now, config.payload));
                ws.send(request).await?;
                next += period;
            }
            incoming = read_one(&mut ws, config.proto) => {
                for sent_ns in incoming?.replies {
                    record(shared, sent_ns);
                    shared.completed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
    Ok(())
}

async fn subscriber(shared: &Shared, mut ws: Ws, server: usize) -> Result<(), BoxError> {
    let proto = shared.config.proto;
    loop {
        tokio::select! {
            () = shared.stopped.notified() => return Ok(()),
            incoming = read_one(&mut ws, proto) => shared.deliver(server, incoming?.deliveries),
        }
        if shared.stopping() {
            return Ok(());
        }
    }
}

/// Starts one server stream after the go signal and counts its items.
async fn stream_reader(shared: &Shared, mut ws: Ws) -> Result<(), BoxError> {
    let proto = shared.config.proto;
    wait_go(shared, &mut ws).await?;
    ws.send(stream_request(proto)?).await?;
    loop {
        tokio::select! {
            () = shared.stopped.notified() => return Ok(()),
            incoming = read_one(&mut ws, proto) => {
                shared.completed.fetch_add(incoming?.items, Ordering::Relaxed);
            }
        }
        if shared.stopping() {
            return Ok(());
        }
    }
}

/// Connection 0 of a broadcast or groups run: sends (`request(payload, sequence number)`, each
/// delivered to `n` connections) while fewer than `window` messages are undelivered, and counts
/// its own deliveries like every subscriber.
async fn broadcast_sender(
    shared: &Shared,
    mut ws: Ws,
    n: u64,
    request: impl Fn(&str, u64) -> Message,
) -> Result<(), BoxError> {
    let config = &shared.config;
    wait_go(shared, &mut ws).await?;
    let window = config.window.max(1);
    // Deliveries given up on (lost to a stall) are credited here so the window moves on.
    let mut credited = 0u64;
    let mut last_progress = (Instant::now(), shared.delivered.load(Ordering::Relaxed));
    while !shared.stopping() {
        let sent = shared.sent.load(Ordering::Relaxed);
        let delivered = shared.delivered.load(Ordering::Relaxed) + credited;
        if sent * n < delivered + window * n {
            let text = request(&payload(shared.epoch, Instant::now(), config.payload), sent);
            ws.send(text).await?;
            shared.sent.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        // Wake when the oldest outstanding broadcast is fully delivered.
        shared.wake_at.store(
            ((sent + 1 - window) * n).saturating_sub(credited),
            Ordering::Relaxed,
        );
        tokio::select! {
            () = shared.progress.notified() => {}
            incoming = read_one(&mut ws, config.proto) => shared.deliver(0, incoming?.deliveries),
            () = tokio::time::sleep(Duration::from_millis(5)) => {}
        }
        let now = shared.delivered.load(Ordering::Relaxed);
        if now != last_progress.1 {
            last_progress = (Instant::now(), now);
        } else if last_progress.0.elapsed() > Duration::from_millis(500) {
            // Nothing arrived for a while: count the outstanding deliveries as lost.
            let outstanding = (sent * n).saturating_sub(now + credited);
            credited += outstanding;
            shared.fail(format!("broadcast stalled: {outstanding} deliveries lost"));
            last_progress = (Instant::now(), now);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------

fn main() {
    let config = parse_args();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    match config.mode {
        Mode::Soak => runtime.block_on(soak::soak(config)),
        Mode::Burst | Mode::Crowd => runtime.block_on(soak::regression(config)),
        _ => runtime.block_on(run(config)),
    }
    // Sockets close with SO_LINGER 0 as the process exits.
    std::process::exit(0);
}

async fn run(config: Config) {
    let deadline = Instant::now() + Duration::from_secs(config.max_seconds);
    let (go_tx, go_rx) = watch::channel(false);
    let shared = Arc::new(Shared {
        config: config.clone(),
        epoch: Instant::now(),
        go: go_rx,
        stop: AtomicBool::new(false),
        stopped: Notify::new(),
        measuring: AtomicBool::new(false),
        completed: AtomicU64::new(0),
        delivered: AtomicU64::new(0),
        delivered_by_server: config.servers.iter().map(|_| AtomicU64::new(0)).collect(),
        sent: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        connected: AtomicU64::new(0),
        wake_at: AtomicU64::new(u64::MAX),
        progress: Notify::new(),
        first_error: std::sync::Mutex::new(None),
        latency: std::sync::Mutex::new(new_histogram()),
        lag: std::sync::Mutex::new(new_histogram()),
    });
    let permits = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
    let started = Instant::now();
    let tasks: Vec<_> = (0..config.conns)
        .map(|i| tokio::spawn(connection_task(shared.clone(), i, permits.clone())))
        .collect();

    // Wait until every connection is up or failed.
    loop {
        let done = shared.connected.load(Ordering::Relaxed) + shared.errors.load(Ordering::Relaxed);
        if done >= config.conns as u64 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let connected = shared.connected.load(Ordering::Relaxed);
    emit(json!({
        "event": "ready",
        "connected": connected,
        "failed": shared.errors.load(Ordering::Relaxed),
        "connect_seconds": started.elapsed().as_secs_f64(),
        "first_error": shared.first_error.lock().unwrap().clone(),
    }));

    let mut result = json!({"event": "done", "connected": connected});
    if config.mode == Mode::Idle {
        // Hold until told to stop (a line `stop`, or stdin closing), or the deadline.
        let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
        let wait = tokio::time::sleep_until(deadline.into());
        tokio::pin!(wait);
        loop {
            tokio::select! {
                line = lines.next_line() => match line {
                    Ok(Some(line)) if line.trim() != "stop" => continue,
                    _ => break,
                },
                () = &mut wait => break,
            }
        }
    } else if connected > 0 {
        let _ = go_tx.send(true);
        tokio::time::sleep(
            config
                .warmup
                .min(deadline.saturating_duration_since(Instant::now())),
        )
        .await;
        let by_server = || -> Vec<u64> {
            shared
                .delivered_by_server
                .iter()
                .map(|d| d.load(Ordering::Relaxed))
                .collect()
        };
        let begin = (
            Instant::now(),
            shared.completed.load(Ordering::Relaxed),
            shared.delivered.load(Ordering::Relaxed),
            shared.sent.load(Ordering::Relaxed),
            by_server(),
        );
        shared.measuring.store(true, Ordering::Relaxed);
        emit(json!({"event": "measure_start"}));
        tokio::time::sleep(
            config
                .measure
                .min(deadline.saturating_duration_since(Instant::now())),
        )
        .await;
        let end = (
            Instant::now(),
            shared.completed.load(Ordering::Relaxed),
            shared.delivered.load(Ordering::Relaxed),
            shared.sent.load(Ordering::Relaxed),
            by_server(),
        );
        shared.measuring.store(false, Ordering::Relaxed);
        emit(json!({"event": "measure_end"}));
        let seconds = end.0.duration_since(begin.0).as_secs_f64();
        result["seconds"] = json!(seconds);
        result["completed"] = json!(end.1 - begin.1);
        result["delivered"] = json!(end.2 - begin.2);
        result["broadcasts"] = json!(end.3 - begin.3);
        result["delivered_by_server"] = json!(
            end.4
                .iter()
                .zip(&begin.4)
                .map(|(end, begin)| end - begin)
                .collect::<Vec<u64>>()
        );
    }
    shared.stop.store(true, Ordering::Relaxed);
    shared.stopped.notify_waiters();
    let _ = go_tx.send(true);

    // Let the connections see the stop (echo replies in flight) before reading the histograms.
    if matches!(config.mode, Mode::Echo | Mode::Latency) {
        let all = futures_util::future::join_all(tasks);
        let _ = tokio::time::timeout(Duration::from_secs(2), all).await;
    }
    let hist = lock(&shared.latency).clone();
    let lag = lock(&shared.lag).clone();
    if !hist.is_empty() {
        result["latency_us"] = json!({
            "count": hist.len(),
            "p50": hist.value_at_quantile(0.50),
            "p90": hist.value_at_quantile(0.90),
            "p99": hist.value_at_quantile(0.99),
            "p999": hist.value_at_quantile(0.999),
            "max": hist.max(),
            "mean": hist.mean(),
        });
    }
    if !lag.is_empty() {
        result["send_lag_us"] = json!({
            "p50": lag.value_at_quantile(0.50),
            "p99": lag.value_at_quantile(0.99),
            "max": lag.max(),
        });
    }
    result["errors"] = json!(shared.errors.load(Ordering::Relaxed));
    result["first_error"] = json!(shared.first_error.lock().unwrap().clone());
    emit(result);
}
