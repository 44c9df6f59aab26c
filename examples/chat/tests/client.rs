//! The Rust client against the chat example, typed by the example's own definitions: every hub
//! method through `ChatHubCaller`, every client method through an implementation of
//! `ChatClient`, in JSON and MessagePack; and automatic reconnect after a server restart.
#![allow(missing_docs)]

use std::net::SocketAddr;
use std::time::Duration;

use chat::{ChatClient, ChatClientProxy, ChatHub, ChatHubCaller, Notification};
use hub_runtime::client::{
    ClientError, ConnectionEvent, ConnectionState, DefaultRetryPolicy, HubConnection,
};
use hub_runtime::protocol::Protocol;
use hub_runtime::remote::CallError;
use hub_runtime::{HubContext, HubOptions};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// The longest any one wait of these tests takes.
const WAIT: Duration = Duration::from_secs(10);

/// What the hub called on a client.
#[derive(Debug, Clone, PartialEq)]
enum Received {
    Message(String, String),
    Joined(String, String),
    Left(String, String),
    Connected(String),
    Disconnected(String),
    Notification(Notification),
}

/// A `ChatClient` that reports every call.
struct Recorder(mpsc::UnboundedSender<Received>);

impl ChatClient for Recorder {
    async fn receive_message(&self, user: String, message: String) {
        let _ = self.0.send(Received::Message(user, message));
    }
    async fn user_joined(&self, connection_id: String, group_name: String) {
        let _ = self.0.send(Received::Joined(connection_id, group_name));
    }
    async fn user_left(&self, connection_id: String, group_name: String) {
        let _ = self.0.send(Received::Left(connection_id, group_name));
    }
    async fn user_connected(&self, connection_id: String) {
        let _ = self.0.send(Received::Connected(connection_id));
    }
    async fn user_disconnected(&self, connection_id: String) {
        let _ = self.0.send(Received::Disconnected(connection_id));
    }
    async fn receive_notification(&self, notification: Notification) {
        let _ = self.0.send(Received::Notification(notification));
    }
}

/// The chat example served on `listener` until stopped.
struct Server {
    addr: SocketAddr,
    context: HubContext<ChatHub>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Server {
    async fn start() -> Server {
        Server::on(TcpListener::bind("127.0.0.1:0").await.unwrap())
    }

    fn on(listener: TcpListener) -> Server {
        let hub = chat::hub(HubOptions::default());
        let context = hub.context();
        let app = chat::app(hub);
        let addr = listener.local_addr().unwrap();
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
            stop: Some(stop),
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/hubs/chat", self.addr)
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        timeout(WAIT, &mut self.task)
            .await
            .expect("the server stops")
            .unwrap();
    }
}

/// A started client of `url` with its recorder's receiver.
async fn client(
    url: &str,
    protocol: Protocol,
) -> (HubConnection, mpsc::UnboundedReceiver<Received>) {
    let (sender, received) = mpsc::unbounded_channel();
    let connection = HubConnection::builder(url)
        .protocol(protocol)
        .receiver::<ChatClientProxy, _>(Recorder(sender))
        .build();
    timeout(WAIT, connection.start())
        .await
        .expect("start in time")
        .expect("the client connects");
    (connection, received)
}

/// The next call the hub made on a client, skipping others' connects and disconnects.
async fn next(received: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    loop {
        let call = timeout(WAIT, received.recv())
            .await
            .expect("a call from the hub in time")
            .expect("the recorder lives");
        if !matches!(call, Received::Connected(_) | Received::Disconnected(_)) {
            return call;
        }
    }
}

/// Waits for the `Connected` call announcing `id`, skipping everything before.
async fn connected(received: &mut mpsc::UnboundedReceiver<Received>, id: &str) {
    for _ in 0..100 {
        let call = timeout(WAIT, received.recv()).await.unwrap().unwrap();
        if call == Received::Connected(id.to_owned()) {
            return;
        }
    }
    panic!("no UserConnected for {id}");
}

async fn every_method(protocol: Protocol) {
    let server = Server::start().await;
    let (alice, mut alice_sees) = client(&server.url(), protocol).await;
    let alice_id = alice.connection_id().expect("negotiated id");
    connected(&mut alice_sees, &alice_id).await;
    let (bob, mut bob_sees) = client(&server.url(), protocol).await;
    let bob_id = bob.connection_id().expect("negotiated id");
    connected(&mut bob_sees, &bob_id).await;
    connected(&mut alice_sees, &bob_id).await;
    let alice_hub = ChatHubCaller::new(alice.clone());
    let bob_hub = ChatHubCaller::new(bob.clone());

    // Echo: a result.
    let echoed: String = alice_hub.echo("hello".to_owned()).await.unwrap();
    assert_eq!(echoed, "hello");

    // SendMessage: everybody, the caller included.
    alice_hub
        .send_message("alice".to_owned(), "to all".to_owned())
        .await
        .unwrap();
    let expected = Received::Message("alice".into(), "to all".into());
    assert_eq!(next(&mut alice_sees).await, expected);
    assert_eq!(next(&mut bob_sees).await, expected);

    // Broadcast: others only (Alice's next call shows she did not get it).
    bob_hub.broadcast("from bob".to_owned()).await.unwrap();
    assert_eq!(
        next(&mut alice_sees).await,
        Received::Message(bob_id.clone(), "from bob".into())
    );

    // Whisper: one connection.
    alice_hub
        .whisper(bob_id.clone(), "psst".to_owned())
        .await
        .unwrap();
    assert_eq!(
        next(&mut bob_sees).await,
        Received::Message(alice_id.clone(), "psst".into())
    );

    // Groups: join, a group message, leave.
    alice_hub.join_group("room".to_owned()).await.unwrap();
    assert_eq!(
        next(&mut alice_sees).await,
        Received::Joined(alice_id.clone(), "room".into())
    );
    bob_hub
        .send_message_to_group("room".to_owned(), "bob".to_owned(), "in room".to_owned())
        .await
        .unwrap();
    assert_eq!(
        next(&mut alice_sees).await,
        Received::Message("bob".into(), "in room".into())
    );
    bob_hub.join_group("room".to_owned()).await.unwrap();
    let joined = Received::Joined(bob_id.clone(), "room".into());
    assert_eq!(next(&mut alice_sees).await, joined);
    assert_eq!(next(&mut bob_sees).await, joined);
    alice_hub.leave_group("room".to_owned()).await.unwrap();
    assert_eq!(
        next(&mut bob_sees).await,
        Received::Left(alice_id.clone(), "room".into())
    );

    // Send without waiting: the message still arrives.
    alice_hub
        .send_message("alice".to_owned(), "sent".to_owned())
        .send()
        .await
        .unwrap();
    let sent = Received::Message("alice".into(), "sent".into());
    assert_eq!(next(&mut alice_sees).await, sent);
    assert_eq!(next(&mut bob_sees).await, sent);

    // ReceiveNotification, from the server side through HubContext.
    let notification = Notification {
        message: "maintenance".into(),
        timestamp: "2030-01-01T00:00:00Z".into(),
    };
    server
        .context
        .clients()
        .all()
        .receive_notification(notification.clone())
        .await;
    assert_eq!(
        next(&mut alice_sees).await,
        Received::Notification(notification.clone())
    );
    assert_eq!(
        next(&mut bob_sees).await,
        Received::Notification(notification)
    );

    // UserDisconnected reaches the others when a client stops.
    let mut events = bob.events();
    bob.stop().await;
    assert_eq!(
        timeout(WAIT, events.recv()).await.unwrap().unwrap(),
        ConnectionEvent::Closed { error: None }
    );
    assert_eq!(bob.state(), ConnectionState::Disconnected);
    let mut saw = false;
    for _ in 0..10 {
        if timeout(WAIT, alice_sees.recv()).await.unwrap().unwrap()
            == Received::Disconnected(bob_id.clone())
        {
            saw = true;
            break;
        }
    }
    assert!(saw, "UserDisconnected for {bob_id}");
    assert_eq!(
        bob_hub.echo("late".to_owned()).await,
        Err(CallError::NotConnected)
    );

    alice.stop().await;
    server.stop().await;
}

#[tokio::test]
async fn every_chat_method_typed_over_json() {
    every_method(Protocol::Json).await;
}

#[tokio::test]
async fn every_chat_method_typed_over_messagepack() {
    every_method(Protocol::MessagePack).await;
}

#[tokio::test]
async fn hub_errors_and_untyped_calls() {
    let server = Server::start().await;
    let (connection, _received) = client(&server.url(), Protocol::Json).await;
    let missing: Result<(), _> = connection.invoke("NoSuchMethod", ()).await;
    assert_eq!(
        missing,
        Err(CallError::Hub(
            "Failed to invoke 'NoSuchMethod' due to an error on the server. HubException: Method does not exist.".into()
        ))
    );
    let wrong: Result<String, _> = connection.invoke("Echo", (1, 2)).await;
    assert!(
        matches!(&wrong, Err(CallError::Hub(text)) if text.starts_with("Failed to invoke 'Echo'")),
        "{wrong:?}"
    );
    // Case-insensitive, as on the server.
    let echoed: String = connection.invoke("echo", ("x",)).await.unwrap();
    assert_eq!(echoed, "x");
    // A result that does not decode into the expected type.
    let number: Result<u32, _> = connection.invoke("Echo", ("x",)).await;
    assert!(matches!(number, Err(CallError::Decode(_))), "{number:?}");
    connection.stop().await;
    server.stop().await;
}

#[tokio::test]
async fn a_second_start_is_refused_and_a_bad_url_fails_clearly() {
    let server = Server::start().await;
    let (connection, _received) = client(&server.url(), Protocol::Json).await;
    assert_eq!(connection.start().await, Err(ClientError::AlreadyStarted));
    connection.stop().await;
    // Stopped, it starts again (as a new connection).
    timeout(WAIT, connection.start()).await.unwrap().unwrap();
    connection.stop().await;
    let unknown = HubConnection::builder(format!("http://{}/hubs/none", server.addr)).build();
    let refused = timeout(WAIT, unknown.start()).await.unwrap();
    assert!(matches!(refused, Err(ClientError::Http(_))), "{refused:?}");
    assert_eq!(unknown.state(), ConnectionState::Disconnected);
    server.stop().await;
}

#[tokio::test]
async fn automatic_reconnect_after_a_server_restart_is_a_new_connection() {
    let server = Server::start().await;
    let addr = server.addr;
    let (sender, _received) = mpsc::unbounded_channel();
    // Tries every 50 ms for up to 10 s.
    let connection = HubConnection::builder(server.url())
        .receiver::<ChatClientProxy, _>(Recorder(sender))
        .with_retry_policy(DefaultRetryPolicy::new(vec![
            Duration::from_millis(50);
            200
        ]))
        .build();
    timeout(WAIT, connection.start()).await.unwrap().unwrap();
    let first_id = connection.connection_id().unwrap();
    let mut events = connection.events();

    // A graceful shutdown sends Close with allowReconnect: the client reconnects.
    server.stop().await;
    match timeout(WAIT, events.recv()).await.unwrap().unwrap() {
        ConnectionEvent::Reconnecting { error } => {
            assert!(error.is_some());
        }
        other => panic!("expected Reconnecting, got {other:?}"),
    }
    assert_eq!(connection.state(), ConnectionState::Reconnecting);
    let hub = ChatHubCaller::new(connection.clone());
    assert_eq!(
        hub.echo("meanwhile".to_owned()).await,
        Err(CallError::NotConnected)
    );

    let restarted = Server::on(TcpListener::bind(addr).await.unwrap());
    let second_id = match timeout(WAIT, events.recv()).await.unwrap().unwrap() {
        ConnectionEvent::Reconnected { connection_id } => connection_id.unwrap(),
        other => panic!("expected Reconnected, got {other:?}"),
    };
    assert_ne!(second_id, first_id);
    assert_eq!(connection.connection_id(), Some(second_id));
    assert_eq!(connection.state(), ConnectionState::Connected);
    assert_eq!(hub.echo("back".to_owned()).await.unwrap(), "back");

    connection.stop().await;
    assert_eq!(
        timeout(WAIT, events.recv()).await.unwrap().unwrap(),
        ConnectionEvent::Closed { error: None }
    );
    restarted.stop().await;
}

#[tokio::test]
async fn without_automatic_reconnect_a_server_shutdown_closes_the_connection() {
    let server = Server::start().await;
    let (connection, _received) = client(&server.url(), Protocol::Json).await;
    let mut events = connection.events();
    server.stop().await;
    match timeout(WAIT, events.recv()).await.unwrap() {
        Ok(ConnectionEvent::Closed { error: Some(_) }) => {}
        other => panic!("expected Closed with an error, got {other:?}"),
    }
    assert_eq!(connection.state(), ConnectionState::Disconnected);
    let _: broadcast::Receiver<_> = connection.events();
}
