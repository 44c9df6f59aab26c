//! The Rust client against servers that misbehave: negotiate answers it cannot use, refused or
//! malformed handshakes, malformed hub messages in JSON and MessagePack. Each ends with a clear
//! error (a failed start, or a close with the reason), never a panic. Also: negotiate redirects
//! and their access token.
#![allow(missing_docs)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use axum::{Json, Router};
use hub_runtime::client::{ClientError, ConnectionEvent, ConnectionState, HubConnection};
use hub_runtime::protocol::Protocol;
use hub_runtime::remote::CallError;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

/// What the fake server answers on its WebSocket: the handshake response, then (after the
/// client's first message) these frames.
#[derive(Clone, Default)]
struct Script {
    handshake: Vec<u8>,
    then: Vec<Vec<u8>>,
    binary: bool,
}

#[derive(Clone)]
struct Fake {
    addr: SocketAddr,
    /// Cancelled to stop the server.
    stop: tokio_util::sync::CancellationToken,
    script: Arc<Mutex<Script>>,
    /// The `Authorization` headers seen, by request.
    authorization: Arc<Mutex<Vec<String>>>,
}

impl Fake {
    async fn start() -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = Fake {
            addr: listener.local_addr().unwrap(),
            stop: tokio_util::sync::CancellationToken::new(),
            script: Arc::default(),
            authorization: Arc::default(),
        };
        let app = Router::new()
            .route("/{mode}/negotiate", post(negotiate))
            .route("/{mode}", any(socket))
            .with_state(fake.clone());
        let stop = fake.stop.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await;
        });
        fake
    }

    fn stop(&self) {
        self.stop.cancel();
    }

    fn script(&self, handshake: &[u8], then: Vec<Vec<u8>>, binary: bool) {
        *self.script.lock().unwrap() = Script {
            handshake: handshake.to_vec(),
            then,
            binary,
        };
    }

    fn url(&self, mode: &str) -> String {
        format!("http://{}/{mode}", self.addr)
    }

    fn record(&self, headers: &HeaderMap) {
        let value = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        self.authorization.lock().unwrap().push(value);
    }
}

async fn negotiate(
    State(fake): State<Fake>,
    Path(mode): Path<String>,
    headers: HeaderMap,
) -> Response {
    fake.record(&headers);
    let transports = json!([{"transport": "WebSockets", "transferFormats": ["Text", "Binary"]}]);
    match mode.as_str() {
        "redirect" => Json(json!({
            "url": format!("http://{}/hub", fake.addr),
            "accessToken": "secret",
        }))
        .into_response(),
        "loop" => Json(json!({"url": format!("http://{}/loop", fake.addr)})).into_response(),
        "nonsense" => "nonsense".into_response(),
        "refuse" => Json(json!({"error": "refused by the server"})).into_response(),
        "nows" => Json(json!({
            "negotiateVersion": 1, "connectionId": "c", "connectionToken": "t",
            "availableTransports": [{"transport": "LongPolling", "transferFormats": ["Text"]}],
        }))
        .into_response(),
        _ => Json(json!({
            "negotiateVersion": 1, "connectionId": "c1", "connectionToken": "t1",
            "availableTransports": transports,
        }))
        .into_response(),
    }
}

async fn socket(
    State(fake): State<Fake>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    fake.record(&headers);
    let script = fake.script.lock().unwrap().clone();
    upgrade.on_upgrade(move |socket| run_script(socket, script))
}

fn frame(bytes: Vec<u8>, binary: bool) -> Message {
    if binary {
        Message::Binary(bytes.into())
    } else {
        Message::Text(String::from_utf8_lossy(&bytes).into_owned().into())
    }
}

async fn run_script(mut socket: WebSocket, script: Script) {
    // The handshake request.
    if socket.recv().await.is_none() {
        return;
    }
    if script.handshake.is_empty() {
        // Closes without answering.
        let _ = socket.send(Message::Close(None)).await;
        return;
    }
    if socket
        .send(Message::Text(
            String::from_utf8_lossy(&script.handshake)
                .into_owned()
                .into(),
        ))
        .await
        .is_err()
    {
        return;
    }
    // The client's first message (its Ping), then the script.
    if socket.recv().await.is_none() {
        return;
    }
    for bytes in script.then {
        if socket.send(frame(bytes, script.binary)).await.is_err() {
            return;
        }
    }
    while let Some(Ok(_)) = socket.recv().await {}
}

#[tokio::test]
async fn negotiate_redirects_with_their_access_token() {
    let fake = Fake::start().await;
    fake.script(
        b"{}\x1e",
        vec![
            br#"{"type":1,"target":"hello","arguments":["world"]}"#
                .iter()
                .copied()
                .chain([0x1e])
                .collect(),
        ],
        false,
    );
    let (sender, mut hellos) = mpsc::unbounded_channel();
    let connection = HubConnection::builder(fake.url("redirect"))
        .access_token_provider(|| async { Some("first".to_owned()) })
        .on("Hello", move |arguments| {
            let sender = sender.clone();
            async move {
                let _ = sender.send(arguments.decode::<String>(0));
                Ok(None)
            }
        })
        .build();
    timeout(WAIT, connection.start()).await.unwrap().unwrap();
    assert_eq!(connection.connection_id().as_deref(), Some("c1"));
    // Case-insensitive handler names, as the official clients.
    assert_eq!(
        timeout(WAIT, hellos.recv()).await.unwrap().unwrap(),
        Ok("world".to_owned())
    );
    assert_eq!(
        *fake.authorization.lock().unwrap(),
        ["Bearer first", "Bearer secret", "Bearer secret"]
    );
    connection.stop().await;
    fake.stop();
}

#[tokio::test]
async fn negotiate_answers_it_cannot_use_fail_the_start() {
    let fake = Fake::start().await;
    for (mode, expected) in [
        ("nonsense", "the response is not a negotiate answer"),
        ("refuse", "refused by the server"),
        ("nows", "does not offer WebSockets"),
        ("loop", "Negotiate redirection limit exceeded."),
    ] {
        let connection = HubConnection::builder(fake.url(mode)).build();
        let failed = timeout(WAIT, connection.start()).await.unwrap();
        match &failed {
            Err(ClientError::Negotiate(text)) if text.contains(expected) => {}
            other => panic!("{mode}: {other:?}"),
        }
        assert_eq!(connection.state(), ConnectionState::Disconnected);
    }
    fake.stop();
}

#[tokio::test]
async fn refused_or_malformed_handshakes_fail_the_start() {
    let fake = Fake::start().await;
    let cases: [(&[u8], &str); 4] = [
        (
            br#"{"error":"The protocol 'json' is not supported."}"#,
            "The protocol 'json' is not supported.",
        ),
        (b"not json\x1e", "Expected a handshake response"),
        (b"[1,2]\x1e", "Expected a handshake response"),
        (b"", "before the handshake response"),
    ];
    for (handshake, expected) in cases {
        let mut response = handshake.to_vec();
        if handshake.starts_with(b"{\"error") {
            response.push(0x1e);
        }
        fake.script(&response, Vec::new(), false);
        let connection = HubConnection::builder(fake.url("hub")).build();
        let failed = timeout(WAIT, connection.start()).await.unwrap();
        match &failed {
            Err(ClientError::Handshake(text)) if text.contains(expected) => {}
            other => panic!("{expected}: {other:?}"),
        }
    }
    fake.stop();
}

/// Starts a client against a server that sends `then` after the handshake; returns how the
/// connection ended and how a call waiting meanwhile ended.
async fn served(fake: &Fake, protocol: Protocol, then: Vec<Vec<u8>>) -> ClientError {
    fake.script(b"{}\x1e", then, protocol == Protocol::MessagePack);
    let connection = HubConnection::builder(fake.url("hub"))
        .protocol(protocol)
        .build();
    let mut events = connection.events();
    timeout(WAIT, connection.start()).await.unwrap().unwrap();
    let error = match timeout(WAIT, events.recv()).await.unwrap().unwrap() {
        ConnectionEvent::Closed { error: Some(error) } => error,
        other => panic!("expected Closed with an error, got {other:?}"),
    };
    assert_eq!(connection.state(), ConnectionState::Disconnected);
    let late: Result<(), _> = connection.invoke("Anything", ()).await;
    assert_eq!(late, Err(CallError::NotConnected));
    error
}

#[tokio::test]
async fn malformed_json_messages_close_with_a_protocol_error() {
    let fake = Fake::start().await;
    let cases: [&[u8]; 6] = [
        b"{]\x1e",
        b"{\"type\":\"x\"}\x1e",
        b"{\"type\":3}\x1e",
        b"{\"type\":3,\"invocationId\":\"1\",\"result\":1,\"error\":\"e\"}\x1e",
        b"[1]\x1e",
        b"\"text\"\x1e",
    ];
    for case in cases {
        let error = served(&fake, Protocol::Json, vec![case.to_vec()]).await;
        assert!(
            matches!(error, ClientError::Protocol(_)),
            "{}: {error:?}",
            String::from_utf8_lossy(case)
        );
    }
    fake.stop();
}

#[tokio::test]
async fn malformed_messagepack_messages_close_with_a_protocol_error() {
    let fake = Fake::start().await;
    let cases: [&[u8]; 5] = [
        // A length prefix longer than five bytes.
        &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        // Not an array.
        &[0x01, 0xc0],
        // An array whose type is not a number.
        &[0x02, 0x91, 0xa0],
        // A Completion without its id.
        &[0x02, 0x91, 0x03],
        // Truncated inside the message.
        &[0x03, 0x93, 0x03, 0x80],
    ];
    for case in cases {
        let error = served(&fake, Protocol::MessagePack, vec![case.to_vec()]).await;
        assert!(
            matches!(error, ClientError::Protocol(_)),
            "{case:?}: {error:?}"
        );
    }
    fake.stop();
}

#[tokio::test]
async fn a_close_message_ends_the_connection_with_its_error() {
    let fake = Fake::start().await;
    let close = br#"{"type":7,"error":"bye"}"#.iter().copied().chain([0x1e]).collect();
    let error = served(&fake, Protocol::Json, vec![close]).await;
    assert_eq!(error, ClientError::ServerClosed(Some("bye".to_owned())));
    fake.stop();
}
