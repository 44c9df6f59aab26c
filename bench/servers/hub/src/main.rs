//! The hub the benchmarks drive: `/hubs/chat` with the chat example's `Echo`, `SendMessage`
//! (to all), `JoinGroup` and `SendToGroup`, but without the example's
//! `on_connected`/`on_disconnected` broadcasts, which make connecting N clients cost O(N²)
//! deliveries and would swamp the idle and broadcast scenarios; `EchoAsync`, the same echo as an
//! asynchronous method that yields once (most application methods are async); and `Count`, a
//! server stream.
//! Default `HubOptions` (every transport on). Prints `listening on http://ADDR` once bound.
//!
//! With `--redis URL` the hub runs on the Redis backplane (hub name `Bench.Hub`, a random
//! server name), so several of these processes on one Redis form a cluster.
//!
//! ```text
//! hub-bench [--addr 127.0.0.1:0] [--redis redis://127.0.0.1:6379/]
//! ```

use std::net::SocketAddr;

use futures_util::Stream;
use hub_runtime::prelude::*;
use hub_runtime::{RedisBackplane, RedisOptions};

/// What the server calls on clients.
#[hub_runtime::client]
pub trait BenchClient {
    /// A chat message from `user`.
    async fn receive_message(&self, user: String, message: String);
}

/// Echo, broadcast, groups and a stream.
pub struct BenchHub;

#[hub_runtime::hub(client = BenchClient)]
impl BenchHub {
    /// Sends a message to everybody (the caller included).
    pub async fn send_message(&self, ctx: &Ctx<Self>, user: String, message: String) {
        ctx.clients().all().receive_message(user, message).await;
    }

    /// Returns its argument.
    pub fn echo(&self, message: String) -> String {
        message
    }

    /// Returns its argument after yielding to the scheduler once: the echo of an asynchronous
    /// method that does not finish on its first poll.
    pub async fn echo_async(&self, message: String) -> String {
        tokio::task::yield_now().await;
        message
    }

    /// Adds the caller to a group.
    pub async fn join_group(&self, ctx: &Ctx<Self>, group: String) -> Result<(), HubError> {
        ctx.groups()
            .add_to_group(ctx.connection_id(), &group)
            .await?;
        Ok(())
    }

    /// Sends a message to the members of a group (the caller too if it is one).
    pub async fn send_to_group(&self, ctx: &Ctx<Self>, group: String, message: String) {
        ctx.clients()
            .group(&group)
            .receive_message(group.clone(), message)
            .await;
    }

    /// Streams `0..count` as fast as the connection takes it.
    pub fn count(&self, count: u64) -> impl Stream<Item = u64> + use<> {
        futures_util::stream::iter(0..count)
    }
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut addr: SocketAddr = "127.0.0.1:0".parse().expect("default addr");
    let mut redis = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => {
                addr = args
                    .next()
                    .and_then(|a| a.parse().ok())
                    .expect("--addr HOST:PORT");
            }
            "--redis" => redis = Some(args.next().expect("--redis URL")),
            _ => {}
        }
    }
    let mut hub = HubRouter::new("/hubs/chat", BenchHub);
    if let Some(url) = redis {
        let backplane = match RedisBackplane::connect(RedisOptions::new(url)).await {
            Ok(backplane) => backplane,
            Err(err) => {
                eprintln!("hub-bench: {err}");
                std::process::exit(1);
            }
        };
        hub = hub.lifetime_manager(backplane.hub("Bench.Hub"));
    }
    let app = axum::Router::new().merge(hub);
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    println!(
        "listening on http://{}",
        listener.local_addr().expect("addr")
    );
    axum::serve(listener, app).await.expect("serve");
}
