//! The Rust client against the streaming example, typed by the example's own definitions:
//! server streams (read to their end, and cancelled by dropping them), uploads from any
//! `Stream`, and client results answered by an implementation of `StreamingClient`, in JSON and
//! MessagePack.
#![allow(missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{StreamExt, stream};
use hub_runtime::client::HubConnection;
use hub_runtime::protocol::Protocol;
use hub_runtime::{HubContext, HubOptions};
use streaming::{StreamingClient, StreamingClientProxy, StreamingHub, StreamingHubCaller};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

/// Answers `Confirm` with whether the question ends with `?`, and reports each question.
struct Answers(mpsc::UnboundedSender<String>);

impl StreamingClient for Answers {
    async fn confirm(&self, question: String) -> bool {
        let answer = question.ends_with('?');
        let _ = self.0.send(question);
        answer
    }
}

struct Server {
    addr: SocketAddr,
    context: HubContext<StreamingHub>,
    producers: Arc<AtomicUsize>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

async fn serve() -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hub_value = StreamingHub::default();
    let producers = hub_value.producers();
    let hub = streaming::hub(hub_value, HubOptions::default());
    let context = hub.context();
    let app = streaming::app(hub, producers.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = context.clone();
    let task = tokio::spawn(async move {
        hub_runtime::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
                shutdown.shutdown().await;
            })
            .await
            .unwrap();
    });
    Server {
        addr,
        context,
        producers,
        stop,
        task,
    }
}

impl Server {
    async fn stop(self) {
        let _ = self.stop.send(());
        timeout(WAIT, self.task).await.unwrap().unwrap();
    }
}

async fn every_method(protocol: Protocol) {
    let server = serve().await;
    let (questions, mut asked) = mpsc::unbounded_channel();
    let connection = HubConnection::builder(format!("http://{}/hubs/streaming", server.addr))
        .protocol(protocol)
        .receiver::<StreamingClientProxy, _>(Answers(questions))
        .build();
    timeout(WAIT, connection.start()).await.unwrap().unwrap();
    let hub = StreamingHubCaller::new(connection.clone());

    // A server stream read to its end.
    let counted: Vec<u32> = timeout(
        WAIT,
        hub.stream_counter(5, 1)
            .await
            .unwrap()
            .map(Result::unwrap)
            .collect(),
    )
    .await
    .unwrap();
    assert_eq!(counted, [0, 1, 2, 3, 4]);

    // An endless stream: two quotes, then dropped, which cancels it on the server.
    let mut prices = hub
        .stream_stock_prices(vec!["ACME".to_owned()])
        .await
        .unwrap();
    for _ in 0..2 {
        let quote = timeout(WAIT, prices.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(quote.symbol, "ACME");
        assert!(quote.price >= 1.0);
    }
    assert_eq!(server.producers.load(Ordering::SeqCst), 1);
    drop(prices);

    // Uploads from any `Stream`; the server handles the CancelInvocation above before this call,
    // so once it answers the producer is gone.
    let words = stream::iter(["a", "b", "c"].map(String::from));
    assert_eq!(hub.upload_stream(words).await.unwrap(), 3);
    assert_eq!(server.producers.load(Ordering::SeqCst), 0);
    let parts = stream::iter(["con", "cat"].map(String::from));
    assert_eq!(hub.streaming_concat(parts).await.unwrap(), "concat");
    assert_eq!(hub.upload_stream(stream::empty()).await.unwrap(), 0);

    // A client result the hub asks for while the client waits for the hub's result.
    assert!(hub.ask_caller("ready?".to_owned()).await.unwrap());
    assert!(!hub.ask_caller("stop".to_owned()).await.unwrap());
    assert_eq!(asked.recv().await.unwrap(), "ready?");
    assert_eq!(asked.recv().await.unwrap(), "stop");

    // And one asked from outside the hub, through HubContext.
    let id = connection.connection_id().unwrap();
    let answer = server
        .context
        .clients()
        .client(&id)
        .confirm("from the server?".to_owned())
        .await;
    assert_eq!(answer, Ok(true));

    connection.stop().await;
    server.stop().await;
}

#[tokio::test]
async fn every_streaming_method_typed_over_json() {
    every_method(Protocol::Json).await;
}

#[tokio::test]
async fn every_streaming_method_typed_over_messagepack() {
    every_method(Protocol::MessagePack).await;
}

#[tokio::test]
async fn a_client_without_the_handler_fails_the_client_result() {
    let server = serve().await;
    let connection =
        HubConnection::builder(format!("http://{}/hubs/streaming", server.addr)).build();
    timeout(WAIT, connection.start()).await.unwrap().unwrap();
    let hub = StreamingHubCaller::new(connection.clone());
    let failed = hub.ask_caller("anyone?".to_owned()).await;
    assert!(
        matches!(&failed, Err(hub_runtime::remote::CallError::Hub(text)) if text.contains("Client didn't provide a result.")),
        "{failed:?}"
    );
    connection.stop().await;
    server.stop().await;
}
