//! The raw baseline: axum 0.8 WebSocket on `/ws`, 4 KiB read buffer, no framework on top.
//!
//! Text messages, told apart by their first byte:
//! - `B…` is broadcast to every connection (the sender included);
//! - `J<group>` joins a group (one per connection), answered by `J`;
//! - `G<group> …` is sent to the group's members as it is;
//! - `S<count>` streams `count` items, each the text of a SignalR StreamItem
//!   (`{"type":2,"invocationId":"1","item":N}` + record separator), as fast as the socket takes
//!   them;
//! - anything else is echoed back.
//!
//! Prints `listening on http://ADDR` once bound.
//!
//! ```text
//! raw-server [--addr 127.0.0.1:0]
//! ```

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use futures_util::SinkExt;
use tokio::sync::broadcast;

/// Frames written per flush at most when draining broadcasts.
const MAX_BATCH: usize = 256;
/// Capacity of each broadcast channel.
const CHANNEL: usize = 1024;

/// What the connections share: the channel to everyone and one per group.
struct Shared {
    all: broadcast::Sender<Utf8Bytes>,
    groups: Mutex<HashMap<String, broadcast::Sender<Utf8Bytes>>>,
}

impl Shared {
    fn group(&self, name: &str) -> broadcast::Sender<Utf8Bytes> {
        let mut groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        groups
            .entry(name.to_owned())
            .or_insert_with(|| broadcast::channel(CHANNEL).0)
            .clone()
    }
}

#[tokio::main]
async fn main() {
    let addr = parse_addr();
    let shared = Arc::new(Shared {
        all: broadcast::channel(CHANNEL).0,
        groups: Mutex::default(),
    });
    let app = Router::new().route("/ws", get(upgrade)).with_state(shared);
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    println!(
        "listening on http://{}",
        listener.local_addr().expect("addr")
    );
    axum::serve(listener, app).await.expect("serve");
}

fn parse_addr() -> SocketAddr {
    let mut args = std::env::args().skip(1);
    let mut addr: SocketAddr = "127.0.0.1:0".parse().expect("default addr");
    while let Some(arg) = args.next() {
        if arg == "--addr" {
            addr = args
                .next()
                .and_then(|a| a.parse().ok())
                .expect("--addr HOST:PORT");
        }
    }
    addr
}

async fn upgrade(State(shared): State<Arc<Shared>>, ws: WebSocketUpgrade) -> Response {
    ws.read_buffer_size(4096)
        .on_upgrade(move |socket| run(socket, shared))
}

/// The receiver of the connection's group, boxed: idle connections (no group) pay one pointer.
type Group = Option<Box<broadcast::Receiver<Utf8Bytes>>>;

async fn next_in(group: &mut Group) -> Result<Utf8Bytes, broadcast::error::RecvError> {
    match group {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn run(mut socket: WebSocket, shared: Arc<Shared>) {
    let mut all = shared.all.subscribe();
    let mut group: Group = None;
    loop {
        let written = tokio::select! {
            message = socket.recv() => match message {
                Some(Ok(Message::Text(text))) => handle(&mut socket, &shared, &mut group, text).await,
                Some(Ok(Message::Binary(bytes))) => socket.send(Message::Binary(bytes)).await.is_ok(),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => true,
                Some(Ok(Message::Close(_)) | Err(_)) | None => false,
            },
            frame = all.recv() => match frame {
                Ok(frame) => write_batch(&mut socket, frame, &mut all).await,
                Err(broadcast::error::RecvError::Lagged(_)) => true,
                Err(broadcast::error::RecvError::Closed) => false,
            },
            frame = next_in(&mut group) => match (frame, group.as_deref_mut()) {
                (Ok(frame), Some(rx)) => write_batch(&mut socket, frame, rx).await,
                (Err(broadcast::error::RecvError::Lagged(_)), _) => true,
                _ => false,
            },
        };
        if !written {
            return;
        }
    }
}

/// Acts on one text message; `false` once the socket failed.
async fn handle(
    socket: &mut WebSocket,
    shared: &Shared,
    group: &mut Group,
    text: Utf8Bytes,
) -> bool {
    match text.as_str().as_bytes().first() {
        Some(b'B') => {
            let _ = shared.all.send(text);
            true
        }
        Some(b'J') => {
            *group = Some(Box::new(shared.group(&text.as_str()[1..]).subscribe()));
            socket.send(Message::text("J")).await.is_ok()
        }
        Some(b'G') => {
            let name = text.as_str()[1..].split(' ').next().unwrap_or("");
            let _ = shared.group(name).send(text);
            true
        }
        Some(b'S') => match text.as_str()[1..].trim().parse::<u64>() {
            Ok(count) => Box::pin(stream(socket, count)).await,
            Err(_) => socket.send(Message::Text(text)).await.is_ok(),
        },
        _ => socket.send(Message::Text(text)).await.is_ok(),
    }
}

/// Writes `first` and what else is queued in one flush.
async fn write_batch(
    socket: &mut WebSocket,
    first: Utf8Bytes,
    rx: &mut broadcast::Receiver<Utf8Bytes>,
) -> bool {
    if socket.feed(Message::Text(first)).await.is_err() {
        return false;
    }
    for _ in 1..MAX_BATCH {
        match rx.try_recv() {
            Ok(frame) => {
                if socket.feed(Message::Text(frame)).await.is_err() {
                    return false;
                }
            }
            Err(broadcast::error::TryRecvError::Lagged(_)) => continue,
            Err(_) => break,
        }
    }
    socket.flush().await.is_ok()
}

/// Writes `count` stream items; the socket flushes whenever its write buffer fills.
async fn stream(socket: &mut WebSocket, count: u64) -> bool {
    let mut item = String::with_capacity(64);
    for n in 0..count {
        item.clear();
        let _ = write!(
            item,
            "{{\"type\":2,\"invocationId\":\"1\",\"item\":{n}}}\u{1e}"
        );
        if socket.feed(Message::text(item.as_str())).await.is_err() {
            return false;
        }
    }
    socket.flush().await.is_ok()
}
