//! What one client can make the server do to others, and the limits that bound it: negotiate
//! versions, early data, pending negotiations, bursts, bookkeeping caps.
#![allow(missing_docs, unreachable_pub)]

mod support;

use hub_runtime::prelude::*;
use serde_json::{Value, json};
use support::*;

pub struct PlainHub;

#[hub_runtime::hub(client = Notes)]
impl PlainHub {
    pub fn echo(&self, text: String) -> String {
        text
    }
}

fn body(response: &Response) -> Value {
    serde_json::from_slice(&response.body).unwrap_or_else(|e| panic!("{e}: {}", response.text()))
}

/// Negative versions are refused as ASP.NET refuses them, and an app can refuse version 0 (whose
/// token is the public connection id).
#[tokio::test]
async fn negotiate_refuses_versions_below_the_minimum() {
    let server = serve(PlainHub, HubOptions::default()).await;
    let negative = http(
        server.addr,
        "POST",
        "/hub/negotiate?negotiateVersion=-1",
        &[],
        b"",
    )
    .await;
    assert_eq!(negative.status, 200);
    assert_eq!(
        body(&negative),
        json!({"error": "The client requested version '-1', but the server does not support this version."})
    );
    let zero = http(server.addr, "POST", "/hub/negotiate", &[], b"").await;
    assert_eq!(body(&zero)["negotiateVersion"], 0);
    let above = http(
        server.addr,
        "POST",
        "/hub/negotiate?negotiateVersion=7",
        &[],
        b"",
    )
    .await;
    assert_eq!(body(&above)["negotiateVersion"], 1);
    server.stop().await;

    let strict = serve(PlainHub, HubOptions::default().minimum_negotiate_version(1)).await;
    let implicit = http(strict.addr, "POST", "/hub/negotiate", &[], b"").await;
    assert_eq!(
        body(&implicit),
        json!({"error": "The client requested version '0', but the server does not support this version."})
    );
    let explicit = http(
        strict.addr,
        "POST",
        "/hub/negotiate?negotiateVersion=0",
        &[],
        b"",
    )
    .await;
    assert_eq!(body(&explicit), body(&implicit));
    let current = http(
        strict.addr,
        "POST",
        "/hub/negotiate?negotiateVersion=1",
        &[],
        b"",
    )
    .await;
    let current = body(&current);
    assert_eq!(current["negotiateVersion"], 1);
    assert_ne!(current["connectionToken"], current["connectionId"]);
    strict.stop().await;
}

/// A message over the WebSocket limit (twice the hub's, at least 64 KiB) still gets the Close
/// message with ASP.NET's size error before the socket ends: the server does not drop the
/// socket with the rest of that message unread (a reset would destroy the Close).
#[tokio::test]
async fn a_frame_beyond_the_websocket_limit_gets_the_close_message() {
    let server = serve(PlainHub, HubOptions::default()).await;
    for size in [70_000, 200_000, 1_000_000] {
        let mut client = Client::connect(server.addr, "").await;
        let big = format!(
            "{{\"type\":1,\"target\":\"Echo\",\"arguments\":[\"{}\"]}}\u{1e}",
            "x".repeat(size)
        );
        // The whole message may not be taken: the server stops reading it.
        let _ = tokio::time::timeout(WAIT, client.ws.send(Message::text(big))).await;
        assert_eq!(
            client.next().await,
            json!({
                "type": 7,
                "error": "Connection closed with an error.",
                "allowReconnect": true
            }),
            "{size} bytes"
        );
        client.expect_closed().await;
    }
    server.stop().await;
}

use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;
