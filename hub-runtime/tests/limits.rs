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

/// The same while the client goes on writing the rest of its message after the server gave up
/// on it: the Close message must not be destroyed by a reset.
#[tokio::test]
async fn a_frame_beyond_the_limit_written_slowly_gets_the_close_message() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = serve(PlainHub, HubOptions::default()).await;
    for _ in 0..3 {
        let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let request = format!(
            "GET /hub HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            server.addr
        );
        tcp.write_all(request.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            tcp.read_exact(&mut byte).await.unwrap();
            head.push(byte[0]);
        }
        let masked = |payload: &[u8], opcode: u8| {
            let mut frame = vec![0x80 | opcode];
            let len = payload.len();
            if len < 126 {
                frame.push(0x80 | len as u8);
            } else if len < 65536 {
                frame.push(0x80 | 126);
                frame.extend((len as u16).to_be_bytes());
            } else {
                frame.push(0x80 | 127);
                frame.extend((len as u64).to_be_bytes());
            }
            frame.extend([0, 0, 0, 0]);
            frame.extend(payload);
            frame
        };
        tcp.write_all(&masked(HANDSHAKE.as_bytes(), 1))
            .await
            .unwrap();
        // A 1 MB text frame, written in 64 KiB pieces while the server's answer is read.
        let frame = masked(&vec![b'x'; 1 << 20], 1);
        let (mut read, mut write) = tcp.into_split();
        let writer = tokio::spawn(async move {
            for piece in frame.chunks(64 << 10) {
                if write.write_all(piece).await.is_err() {
                    return;
                }
                tokio::task::yield_now().await;
            }
        });
        let mut received = Vec::new();
        let mut buffer = vec![0u8; 4096];
        let outcome = tokio::time::timeout(WAIT, async {
            loop {
                match read.read(&mut buffer).await {
                    Ok(0) => return Ok(()),
                    Ok(n) => received.extend_from_slice(&buffer[..n]),
                    Err(error) => return Err(error),
                }
            }
        })
        .await
        .expect("the server neither closed nor reset");
        writer.abort();
        let text = String::from_utf8_lossy(&received);
        assert!(
            text.contains("\"type\":7"),
            "no Close message before the end ({outcome:?}): {text:?}"
        );
    }
    server.stop().await;
}

/// The handshake's 4 KiB limit holds whether or not its separator has arrived: a long
/// handshake that does end in one is refused too.
#[tokio::test]
async fn a_handshake_over_four_kib_is_refused_even_when_complete() {
    let server = serve(PlainHub, HubOptions::default()).await;
    let padding = " ".repeat(60_000);
    let mut client = Client::open(server.addr, "").await;
    client
        .send_text(format!(
            "{{\"protocol\":\"json\",{padding}\"version\":1}}\u{1e}"
        ))
        .await;
    assert_eq!(
        client.next().await,
        json!({"error": "Handshake was canceled."})
    );
    client.expect_closed().await;
    // Just under the limit is still a handshake.
    let padding = " ".repeat(4000);
    let mut client = Client::open(server.addr, "").await;
    client
        .send_text(format!(
            "{{\"protocol\":\"json\",{padding}\"version\":1}}\u{1e}"
        ))
        .await;
    assert_eq!(client.next().await, json!({}));
    client.ready().await;
    server.stop().await;
}
