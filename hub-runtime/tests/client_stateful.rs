//! Stateful reconnect with the Rust client, through a TCP proxy that cuts its connections again
//! and again while numbered messages flow both ways (calls from the client, messages from the
//! server to it, group messages from another connection): each arrives exactly once and in
//! order. A cut longer than the window ends the connection cleanly.
#![allow(missing_docs, unreachable_pub)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hub_runtime::client::{ClientError, ConnectionEvent, ConnectionState, HubConnection};
use hub_runtime::prelude::*;
use hub_runtime::protocol::Protocol;
use hub_runtime::remote::CallError;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(15);

#[hub_runtime::client]
pub trait Numbers {
    async fn number(&self, source: String, n: u32);
}

/// Records the numbers each connection sends, and sends numbers on request.
#[derive(Default)]
pub struct Relay {
    noted: Arc<Mutex<HashMap<String, Vec<u32>>>>,
}

#[hub_runtime::hub(client = Numbers)]
impl Relay {
    pub fn note(&self, ctx: &Ctx<Self>, n: u32) {
        let mut noted = self.noted.lock().unwrap();
        noted
            .entry(ctx.connection_id().to_string())
            .or_default()
            .push(n);
    }

    pub async fn count(&self, ctx: &Ctx<Self>, from: u32, to: u32) {
        for n in from..to {
            ctx.clients().caller().number("server".to_owned(), n).await;
        }
    }

    pub async fn join(&self, ctx: &Ctx<Self>, group: String) -> Result<(), HubError> {
        ctx.groups()
            .add_to_group(ctx.connection_id(), &group)
            .await?;
        Ok(())
    }

    pub async fn shout(&self, ctx: &Ctx<Self>, group: String, n: u32) {
        ctx.clients()
            .group(&group)
            .number("group".to_owned(), n)
            .await;
    }
}

struct Recorder(mpsc::UnboundedSender<(String, u32)>);

impl Numbers for Recorder {
    async fn number(&self, source: String, n: u32) {
        let _ = self.0.send((source, n));
    }
}

/// A TCP proxy whose connections can be cut, and which can refuse new ones for a while.
struct Proxy {
    addr: SocketAddr,
    cut: watch::Sender<u64>,
    refuse: Arc<AtomicBool>,
    accepted: watch::Receiver<usize>,
}

impl Proxy {
    async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (cut, _) = watch::channel(0u64);
        let (count, accepted) = watch::channel(0usize);
        let refuse = Arc::new(AtomicBool::new(false));
        let cuts = cut.clone();
        let refusing = refuse.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if refusing.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                count.send_modify(|n| *n += 1);
                let mut cut = cuts.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Proxy {
            addr,
            cut,
            refuse,
            accepted,
        }
    }

    /// Cuts every connection through the proxy.
    fn cut(&self) {
        self.cut.send_modify(|n| *n += 1);
    }

    fn accepted(&self) -> usize {
        *self.accepted.borrow()
    }

    /// Waits until the proxy accepted more than `count` connections.
    async fn accepted_beyond(&mut self, count: usize) {
        timeout(WAIT, self.accepted.wait_for(|n| *n > count))
            .await
            .expect("the client reconnects through the proxy in time")
            .unwrap();
    }
}

struct Server {
    addr: SocketAddr,
    noted: Arc<Mutex<HashMap<String, Vec<u32>>>>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Graceful stop, bounded.
    async fn stop(self) {
        let _ = self.stop.send(());
        timeout(WAIT, self.task)
            .await
            .expect("the server stops")
            .unwrap();
    }
}

async fn serve(window: Duration) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let relay = Relay::default();
    let noted = relay.noted.clone();
    let options = HubOptions::default()
        .allow_stateful_reconnects(true)
        .client_timeout_interval(window);
    let router = HubRouter::new("/relay", relay).options(options);
    let context = router.context();
    let app = axum::Router::new().merge(router);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        hub_runtime::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
                context.shutdown().await;
            })
            .await
            .unwrap();
    });
    Server {
        addr,
        noted,
        stop,
        task,
    }
}

async fn client(
    addr: SocketAddr,
    protocol: Protocol,
    stateful: bool,
    window: Duration,
) -> (HubConnection, mpsc::UnboundedReceiver<(String, u32)>) {
    let (sender, numbers) = mpsc::unbounded_channel();
    let mut builder = HubConnection::builder(format!("http://{addr}/relay"))
        .protocol(protocol)
        .stateful_reconnect_window(window)
        .receiver::<NumbersProxy, _>(Recorder(sender));
    if stateful {
        builder = builder.with_stateful_reconnect();
    }
    let connection = builder.build();
    timeout(WAIT, connection.start()).await.unwrap().unwrap();
    (connection, numbers)
}

/// Receives until `expected` numbers of each source arrived; checks they are exactly 0..n,
/// in order, once each.
async fn expect_numbers(
    numbers: &mut mpsc::UnboundedReceiver<(String, u32)>,
    expected: &[(&str, u32)],
) {
    let mut seen: HashMap<String, Vec<u32>> = HashMap::new();
    let total: u32 = expected.iter().map(|(_, n)| n).sum();
    for _ in 0..total {
        let (source, n) = timeout(WAIT, numbers.recv())
            .await
            .expect("every number arrives in time")
            .unwrap();
        seen.entry(source).or_default().push(n);
    }
    for (source, count) in expected {
        let got = seen.remove(*source).unwrap_or_default();
        assert_eq!(
            got,
            (0..*count).collect::<Vec<_>>(),
            "numbers from {source}"
        );
    }
    assert!(seen.is_empty(), "unexpected numbers: {seen:?}");
    assert!(numbers.try_recv().is_err(), "a number arrived twice");
}

async fn through_cuts(protocol: Protocol) {
    let window = Duration::from_secs(10);
    let server = serve(window).await;
    let mut proxy = Proxy::start(server.addr).await;
    let (alice, mut numbers) = client(proxy.addr, protocol, true, window).await;
    let alice_id = alice.connection_id().unwrap();
    let alice_hub = RelayCaller::new(alice.clone());
    alice_hub.join("g".to_owned()).await.unwrap();
    // Bob talks to the server directly: his group messages reach Alice through the cuts.
    let (bob, _bob_numbers) = client(server.addr, protocol, false, window).await;
    let bob_hub = RelayCaller::new(bob.clone());

    const ROUNDS: u32 = 6;
    const PER_ROUND: u32 = 25;
    let mut events = alice.events();
    for round in 0..ROUNDS {
        let from = round * PER_ROUND;
        let to = from + PER_ROUND;
        // Numbers to the server, fire-and-forget and invoked, half before the cut.
        for n in from..from + PER_ROUND / 2 {
            alice_hub.note(n).send().await.unwrap();
        }
        // The server sends numbers while the cut happens; the call completes after it.
        let counting = alice_hub.count(from, to).into_future();
        for n in from..to {
            bob_hub.shout("g".to_owned(), n).send().await.unwrap();
        }
        let before = proxy.accepted();
        proxy.cut();
        for n in from + PER_ROUND / 2..to {
            alice_hub.note(n).send().await.unwrap();
        }
        proxy.accepted_beyond(before).await;
        timeout(WAIT, counting)
            .await
            .expect("the call completes after the reconnect")
            .unwrap();
    }
    // Bob's last shouts have been handled by the server once his own call returns.
    bob_hub.note(0).await.unwrap();
    let total = ROUNDS * PER_ROUND;
    expect_numbers(&mut numbers, &[("server", total), ("group", total)]).await;
    // Alice's notes: a call after them returns once the server handled them all.
    alice_hub.note(total).await.unwrap();
    let noted = server.noted.lock().unwrap().get(&alice_id).cloned();
    assert_eq!(noted, Some((0..=total).collect::<Vec<_>>()));
    // One connection all along: no reconnecting, no close.
    assert!(events.try_recv().is_err(), "{:?}", events.try_recv());
    assert_eq!(alice.connection_id(), Some(alice_id));
    assert_eq!(alice.state(), ConnectionState::Connected);

    alice.stop().await;
    bob.stop().await;
    server.stop().await;
}

#[tokio::test]
async fn every_message_arrives_once_and_in_order_through_cuts_json() {
    through_cuts(Protocol::Json).await;
}

#[tokio::test]
async fn every_message_arrives_once_and_in_order_through_cuts_messagepack() {
    through_cuts(Protocol::MessagePack).await;
}

#[tokio::test]
async fn a_cut_longer_than_the_window_ends_the_connection_cleanly() {
    let window = Duration::from_millis(500);
    let server = serve(window).await;
    let proxy = Proxy::start(server.addr).await;
    let (alice, _numbers) = client(proxy.addr, Protocol::Json, true, window).await;
    let alice_hub = RelayCaller::new(alice.clone());
    let mut events = alice.events();
    // A call waiting across the cut fails once the window has passed.
    let counting = alice_hub.count(0, 0).into_future();
    proxy.refuse.store(true, Ordering::SeqCst);
    proxy.cut();
    match timeout(WAIT, events.recv()).await.unwrap().unwrap() {
        ConnectionEvent::Closed {
            error: Some(ClientError::ConnectionLost(_)),
        } => {}
        other => panic!("expected Closed with the connection lost, got {other:?}"),
    }
    assert_eq!(alice.state(), ConnectionState::Disconnected);
    match timeout(WAIT, counting).await.unwrap() {
        Ok(()) | Err(CallError::ConnectionClosed(_)) => {}
        other => panic!("unexpected outcome {other:?}"),
    }
    assert_eq!(
        alice_hub.note(1).await,
        Err(CallError::NotConnected),
        "a closed connection refuses calls"
    );
    server.stop().await;
}
