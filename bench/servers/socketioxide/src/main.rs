//! socketioxide with its defaults: `echo` answers its argument through the ack, `broadcast`
//! emits `message` with its argument to every socket (the sender included), `join` puts the
//! socket in the room named by its argument (then acks), `group` with `room, data` emits
//! `message` with `data` to the room's sockets.
//! Prints `listening on http://ADDR` once bound.
//!
//! ```text
//! socketioxide-server [--addr 127.0.0.1:0]
//! ```

use std::net::SocketAddr;

use serde_json::Value;
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, Data, SocketRef};

#[tokio::main]
async fn main() {
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
    let (layer, io) = SocketIo::new_layer();
    io.ns("/", async |socket: SocketRef| {
        socket.on("echo", async |Data::<Value>(data), ack: AckSender| {
            ack.send(&data).ok();
        });
        socket.on("broadcast", async |io: SocketIo, Data::<Value>(data)| {
            io.emit("message", &data).await.ok();
        });
        socket.on(
            "join",
            async |socket: SocketRef, Data::<String>(room), ack: AckSender| {
                socket.join(room);
                ack.send(&()).ok();
            },
        );
        socket.on(
            "group",
            async |io: SocketIo, Data::<(String, Value)>((room, data))| {
                io.to(room).emit("message", &data).await.ok();
            },
        );
    });
    let app = axum::Router::new().layer(layer);
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    println!(
        "listening on http://{}",
        listener.local_addr().expect("addr")
    );
    axum::serve(listener, app).await.expect("serve");
}
