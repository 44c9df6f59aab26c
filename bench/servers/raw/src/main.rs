//! The raw baseline: axum 0.8 WebSocket on `/ws`, 4 KiB read buffer, no framework on top.
//!
//! A text message starting with `B` is broadcast to every connection (the sender included);
//! anything else is echoed back. Prints `listening on http://ADDR` once bound.
//!
//! ```text
//! raw-server [--addr 127.0.0.1:0]
//! ```

use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use futures_util::SinkExt;
use tokio::sync::broadcast;

/// Frames written per flush at most when draining broadcasts.
const MAX_BATCH: usize = 256;

#[tokio::main]
async fn main() {
    let addr = parse_addr();
    let (tx, _) = broadcast::channel::<Utf8Bytes>(1024);
    let app = Router::new().route("/ws", get(upgrade)).with_state(tx);
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

async fn upgrade(State(tx): State<broadcast::Sender<Utf8Bytes>>, ws: WebSocketUpgrade) -> Response {
    ws.read_buffer_size(4096)
        .on_upgrade(move |socket| run(socket, tx))
}

async fn run(mut socket: WebSocket, tx: broadcast::Sender<Utf8Bytes>) {
    let mut rx = tx.subscribe();
    loop {
        tokio::select! {
            message = socket.recv() => match message {
                Some(Ok(Message::Text(text))) => {
                    if text.as_str().starts_with('B') {
                        let _ = tx.send(text);
                    } else if socket.send(Message::Text(text)).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Binary(bytes))) => {
                    if socket.send(Message::Binary(bytes)).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
            },
            frame = rx.recv() => match frame {
                Ok(frame) => {
                    // Write what is queued in one flush.
                    if socket.feed(Message::Text(frame)).await.is_err() {
                        return;
                    }
                    for _ in 1..MAX_BATCH {
                        match rx.try_recv() {
                            Ok(frame) => {
                                if socket.feed(Message::Text(frame)).await.is_err() {
                                    return;
                                }
                            }
                            Err(broadcast::error::TryRecvError::Lagged(_)) => continue,
                            Err(_) => break,
                        }
                    }
                    if socket.flush().await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}
