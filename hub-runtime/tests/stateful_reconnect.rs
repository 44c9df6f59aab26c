//! Stateful reconnect on a raw WebSocket: negotiate offers it only when asked and allowed, a
//! lost socket (no Close frame) is replaced by the client's next one with the same token (the
//! server sends Sequence and what was not acknowledged, then carries on), acknowledgements, and
//! the end of the connection when the client does not come back within the window.
#![allow(missing_docs, unreachable_pub)]

mod support;

use std::time::Duration;

use hub_runtime::prelude::*;
use serde_json::{Value, json};
use support::*;

pub struct Hub;

#[hub_runtime::hub(client = Notes)]
impl Hub {
    pub fn echo(&self, text: String) -> String {
        text
    }

    pub async fn tell(&self, ctx: &Ctx<Self>, text: String) {
        ctx.clients().caller().note(text).await;
    }

    pub async fn many(&self, ctx: &Ctx<Self>, count: u32) {
        for n in 0..count {
            ctx.clients().caller().note(format!("{n:04}")).await;
        }
    }
}

const HANDSHAKE_V2: &str = "{\"protocol\":\"json\",\"version\":2}\u{1e}";

fn options(window: Duration) -> HubOptions {
    HubOptions::default()
        .allow_stateful_reconnects(true)
        .client_timeout_interval(window)
}

async fn negotiate(server: &Server<Hub>, ask: bool) -> Value {
    let query = if ask {
        "&useStatefulReconnect=true"
    } else {
        ""
    };
    let response = http(
        server.addr,
        "POST",
        &format!("{PATH}/negotiate?negotiateVersion=1{query}"),
        &[],
        b"",
    )
    .await;
    assert_eq!(response.status, 200);
    serde_json::from_slice(&response.body).unwrap()
}

/// A connection token negotiated with stateful reconnect.
async fn stateful_token(server: &Server<Hub>) -> String {
    let negotiated = negotiate(server, true).await;
    negotiated["connectionToken"].as_str().unwrap().to_owned()
}

/// Opens a socket for `token` and, the first time, does the version 2 handshake.
async fn open(server: &Server<Hub>, token: &str, handshake: bool) -> Client {
    let mut client = Client::open(server.addr, &format!("?id={token}")).await;
    if handshake {
        client.send_text(HANDSHAKE_V2).await;
        assert_eq!(client.next().await, json!({}));
        // The client's first message: it counts from here on.
        client.send(json!({"type": 6})).await;
    }
    client
}

#[tokio::test]
async fn negotiate_offers_it_only_when_asked_and_allowed() {
    let allowed = serve(Hub, options(Duration::from_secs(30))).await;
    assert_eq!(
        negotiate(&allowed, true).await["useStatefulReconnect"],
        json!(true)
    );
    assert!(
        negotiate(&allowed, false)
            .await
            .get("useStatefulReconnect")
            .is_none()
    );
    let refused = serve(Hub, HubOptions::default()).await;
    assert!(
        negotiate(&refused, true)
            .await
            .get("useStatefulReconnect")
            .is_none()
    );
    allowed.stop().await;
    refused.stop().await;
}

#[tokio::test]
async fn a_new_socket_takes_over_and_gets_what_was_not_acknowledged() {
    let server = serve(Hub, options(Duration::from_secs(30))).await;
    let token = stateful_token(&server).await;
    let mut first = open(&server, &token, true).await;
    first.send(invocation("1", "Tell", json!(["one"]))).await;
    assert_eq!(first.next_non_ping().await, note("one"));
    assert_eq!(first.next_non_ping().await, completion("1"));
    // Acknowledge the first message only.
    first.send(json!({"type": 8, "sequenceId": 1})).await;
    first
        .send(json!({"type": 1, "target": "Tell", "arguments": ["two"]}))
        .await;
    assert_eq!(first.next_non_ping().await, note("two"));

    // The socket goes without a Close frame; the client comes back with the same token.
    drop(first);
    let mut second = open(&server, &token, false).await;
    // Sequence 2: the message after the acknowledged one, then what was not acknowledged.
    assert_eq!(
        second.next_non_ping().await,
        json!({"type": 9, "sequenceId": 2})
    );
    assert_eq!(second.next_non_ping().await, completion("1"));
    assert_eq!(second.next_non_ping().await, note("two"));
    // The client says where its messages start: it sends its second message again (a
    // duplicate, dropped) and a new one.
    second.send(json!({"type": 9, "sequenceId": 2})).await;
    second
        .send(json!({"type": 1, "target": "Tell", "arguments": ["two"]}))
        .await;
    second
        .send(json!({"type": 1, "target": "Tell", "arguments": ["three"]}))
        .await;
    assert_eq!(second.next_non_ping().await, note("three"));
    // Acknowledged about once a second: the three messages that count.
    loop {
        let message = second.next().await;
        if message["type"] == 8 {
            assert_eq!(message, json!({"type": 8, "sequenceId": 3}));
            break;
        }
        assert_eq!(message, json!({"type": 6}), "only pings meanwhile");
    }
    assert_eq!(server.context.connection_count(), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_sequence_ahead_of_what_arrived_is_a_protocol_error() {
    let server = serve(Hub, options(Duration::from_secs(30))).await;
    let token = stateful_token(&server).await;
    let mut client = open(&server, &token, true).await;
    client.send(json!({"type": 9, "sequenceId": 5})).await;
    let close = client.next_non_ping().await;
    assert_eq!(close["type"], 7);
    // The detail (`Sequence ID greater than amount of messages we've received.`) goes to
    // clients only with detailed errors, as every protocol error's.
    assert_eq!(close["error"], "Connection closed with an error.");
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_does_not_come_back_within_the_window_is_gone() {
    let server = serve(Hub, options(Duration::from_millis(300))).await;
    let token = stateful_token(&server).await;
    let mut client = open(&server, &token, true).await;
    client.ready().await;
    drop(client);
    let gone = async {
        while server.context.connection_count() > 0 {
            tokio::time::sleep(ms(20)).await;
        }
    };
    tokio::time::timeout(WAIT, gone)
        .await
        .expect("the connection ended after the window");
    // Its token is forgotten.
    assert_eq!(
        http_status(server.addr, "GET", &format!("{PATH}?id={token}")).await,
        404
    );
    server.stop().await;
}

#[tokio::test]
async fn what_was_not_acknowledged_is_bounded_by_the_buffer_size() {
    let options = options(Duration::from_secs(30)).stateful_reconnect_buffer_size(300);
    let server = serve(Hub, options).await;
    let token = stateful_token(&server).await;
    let mut client = open(&server, &token, true).await;
    client.send(invocation("1", "Many", json!([40]))).await;
    // The server sends until more than 300 bytes are unacknowledged, then waits. (Nothing more
    // arrives: a later message would come within this wait.)
    let size = frame(&[note("0000")]).len();
    let mut received = Vec::new();
    while let Ok(message) = tokio::time::timeout(ms(300), client.next_non_ping()).await {
        received.push(message);
    }
    assert_eq!(
        received.len(),
        300 / size + 1,
        "{size} bytes a note: {received:?}"
    );
    // Each Ack lets more through, until all forty and the Completion came.
    let mut acked = 0;
    while received.last() != Some(&completion("1")) {
        if acked < received.len() {
            acked = received.len();
            client.send(json!({"type": 8, "sequenceId": acked})).await;
        }
        received.push(client.next_non_ping().await);
        assert!(received.len() <= 41, "{received:?}");
    }
    let notes: Vec<Value> = (0..40).map(|n| note(&format!("{n:04}"))).collect();
    assert_eq!(received[..40], notes[..]);
    server.stop().await;
}
