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
        let mut tcp = raw_websocket(server.addr).await;
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

/// Broadcasts to everyone, and counts who left.
pub struct ChatterHub {
    left: tokio::sync::mpsc::UnboundedSender<String>,
}

#[hub_runtime::hub(client = Notes)]
impl ChatterHub {
    pub fn echo(&self, text: String) -> String {
        text
    }

    pub fn who_am_i(&self, ctx: &Ctx<Self>) -> String {
        ctx.connection_id().to_string()
    }

    pub async fn say(&self, ctx: &Ctx<Self>, text: String) {
        ctx.clients().all().note(text).await;
    }

    async fn on_disconnected(&self, ctx: &Ctx<Self>) {
        let _ = self.left.send(ctx.connection_id().to_string());
    }
}

/// One WebSocket message carrying 1,200 fire-and-forget broadcasts (about 55 KB, within the
/// WebSocket limit) reaches every client that reads, in order: a burst is not a slow client.
/// (With a queue bounded by a frame count of 1,024, the sender and every bystander were
/// disconnected.)
#[tokio::test]
async fn a_burst_of_broadcasts_drops_no_client_that_reads() {
    let (left, mut gone) = tokio::sync::mpsc::unbounded_channel();
    let server = serve(ChatterHub { left }, HubOptions::default()).await;
    let mut sender = Client::connect_ready(server.addr, "").await;
    let mut bystanders = Vec::new();
    for _ in 0..3 {
        bystanders.push(Client::connect_ready(server.addr, "").await);
    }
    const BURST: usize = 1_200;
    let burst: Vec<Value> = (0..BURST)
        .map(|n| send_only("Say", json!([format!("m{n}")])))
        .collect();
    sender.send_all(&burst).await;
    for client in bystanders.iter_mut().chain(std::iter::once(&mut sender)) {
        for n in 0..BURST {
            assert_eq!(client.next_non_ping().await, note(&format!("m{n}")));
        }
    }
    sender.ready().await;
    assert!(gone.try_recv().is_err(), "a client that reads was dropped");
    assert_eq!(server.context.connection_count(), 4);
    server.stop().await;
}

/// A client whose writes make no progress for the slow-client timeout is disconnected, long
/// before its queue reaches the limit; a client that reads is not.
#[tokio::test]
async fn a_client_that_takes_nothing_is_dropped_after_the_slow_client_timeout() {
    let (left, mut gone) = tokio::sync::mpsc::unbounded_channel();
    let options = HubOptions::default()
        .outbound_buffer_limit(256 << 20)
        .slow_client_timeout(ms(300));
    let server = serve(ChatterHub { left }, options).await;
    let mut stalled = Client::connect_ready(server.addr, "").await;
    let mut reader = Client::connect_ready(server.addr, "").await;
    let clients = server.context.clients();
    clients.all().note("hello".into()).await;
    assert_eq!(reader.next_non_ping().await, note("hello"));
    assert_eq!(stalled.next_non_ping().await, note("hello"));
    let stalled_id = stalled.invoke("id", "WhoAmI", json!([])).await["result"].clone();
    // 16 KiB notes until the stalled client is gone: its socket buffers fill after a few MiB,
    // then its writes wait, and the heartbeat ends it. At most 64 MiB, read by the reader.
    let padding = "x".repeat(16 * 1024);
    let mut sent = 0;
    let dropped = loop {
        assert!(sent < 4096, "the stalled client was never dropped");
        clients.all().note(padding.clone()).await;
        sent += 1;
        assert_eq!(reader.next_non_ping().await, note(&padding));
        if let Ok(id) = gone.try_recv() {
            break id;
        }
    };
    assert_eq!(json!(dropped), stalled_id);
    assert_eq!(server.context.connection_count(), 1);
    reader.ready().await;
    server.stop().await;
}

/// The token negotiate answers with.
async fn negotiated(addr: std::net::SocketAddr) -> Response {
    http(addr, "POST", "/hub/negotiate?negotiateVersion=1", &[], b"").await
}

fn token(response: &Response) -> String {
    body(response)["connectionToken"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {}", response.text()))
        .to_owned()
}

/// Bytes POSTed before the transport connected are bounded per connection (64 KiB, 413 beyond)
/// and over all pending connections (503 beyond): negotiations that never connect cannot hold
/// the server's memory. (Each could buffer 1 MiB, without a total.)
#[tokio::test]
async fn early_data_is_bounded_per_connection_and_in_total() {
    let server = serve(
        PlainHub,
        HubOptions::default().max_pending_bytes(100 * 1024),
    )
    .await;
    let first = token(&negotiated(server.addr).await);
    let post = |token: &str, body: Vec<u8>| {
        let target = format!("/hub?id={token}");
        async move { http(server.addr, "POST", &target, &[], &body).await.status }
    };
    // A handshake and pings: 60 KiB the connection reads once its transport connects.
    let mut early = HANDSHAKE.as_bytes().to_vec();
    while early.len() < 60 * 1024 {
        early.extend_from_slice(b"{\"type\":6}\x1e");
    }
    assert_eq!(post(&first, early).await, 200);
    assert_eq!(
        post(&first, vec![b' '; 5 * 1024]).await,
        413,
        "over 64 KiB for one connection"
    );
    let second = token(&negotiated(server.addr).await);
    assert_eq!(post(&second, vec![b' '; 30 * 1024]).await, 200);
    assert_eq!(
        post(&second, vec![b' '; 20 * 1024]).await,
        503,
        "over 100 KiB in total"
    );
    // What the first connection sent early is read when it connects, then leaves the total.
    let mut client = Client::open(server.addr, &format!("?id={first}")).await;
    assert_eq!(
        client.next().await,
        json!({}),
        "the handshake it sent early"
    );
    client.ready().await;
    assert_eq!(post(&second, vec![b' '; 20 * 1024]).await, 200);
    server.stop().await;
}

/// At most so many negotiated connections wait for their transport; negotiate answers 503
/// beyond, and a slot frees when one connects or expires.
#[tokio::test]
async fn pending_negotiations_are_capped() {
    let server = serve(
        PlainHub,
        HubOptions::default()
            .max_pending_connections(3)
            .negotiate_timeout(ms(300)),
    )
    .await;
    let mut tokens = Vec::new();
    for _ in 0..3 {
        let response = negotiated(server.addr).await;
        assert_eq!(response.status, 200);
        tokens.push(token(&response));
    }
    assert_eq!(negotiated(server.addr).await.status, 503);
    let mut client = Client::connect(server.addr, &format!("?id={}", tokens[0])).await;
    client.ready().await;
    assert_eq!(negotiated(server.addr).await.status, 200);
    assert_eq!(negotiated(server.addr).await.status, 503);
    // The others expire after the negotiate timeout: their slots free again.
    let freed = tokio::time::timeout(WAIT, async {
        loop {
            let response = negotiated(server.addr).await;
            if response.status == 200 {
                return;
            }
            tokio::time::sleep(ms(50)).await;
        }
    })
    .await;
    assert!(freed.is_ok(), "no slot freed after the negotiate timeout");
    server.stop().await;
}

/// Streams, uploads and groups of one connection, each behind a per-connection cap.
pub struct CapsHub;

#[hub_runtime::hub(client = Notes)]
impl CapsHub {
    pub fn echo(&self, text: String) -> String {
        text
    }

    /// An endless stream.
    pub fn ticks(&self) -> impl futures_util::Stream<Item = u32> + use<> {
        futures_util::stream::pending()
    }

    /// Counts what two uploads send.
    pub async fn upload(&self, first: ClientStream<u32>, second: ClientStream<u32>) -> usize {
        use futures_util::StreamExt;
        first.count().await + second.count().await
    }

    pub async fn join(&self, ctx: &Ctx<Self>, group: String) -> Result<(), HubError> {
        ctx.groups()
            .add_to_group(ctx.connection_id(), &group)
            .await?;
        Ok(())
    }
}

#[tokio::test]
async fn per_connection_caps_refuse_with_clear_errors() {
    let options = HubOptions::default()
        .max_streams_per_connection(3)
        .max_uploads_per_connection(3)
        .max_groups_per_connection(2)
        .max_group_name_length(8);
    let server = serve(CapsHub, options).await;
    let mut client = Client::connect_ready(server.addr, "").await;

    for n in 0..3 {
        client
            .send(stream_invocation(&format!("s{n}"), "Ticks", json!([])))
            .await;
    }
    client
        .send(stream_invocation("s3", "Ticks", json!([])))
        .await;
    assert_eq!(
        client.next_non_ping().await,
        error(
            "s3",
            "Failed to invoke 'Ticks' because the connection has 3 streams running, the most allowed."
        )
    );
    client.send(cancel("s0")).await;
    assert_eq!(client.next_non_ping().await, completion("s0"));
    client
        .send(stream_invocation("s4", "Ticks", json!([])))
        .await;
    client.ready().await;

    // Two uploads fit the cap of 3; two more would not while the first two are open.
    client
        .send(upload_invocation("u1", "Upload", json!([]), &["a", "b"]))
        .await;
    client
        .send(upload_invocation("u2", "Upload", json!([]), &["c", "d"]))
        .await;
    assert_eq!(
        client.next_non_ping().await,
        error(
            "u2",
            "Failed to invoke 'Upload' because the connection would have more than 3 upload streams open."
        )
    );
    client.send_all(&[completion("a"), completion("b")]).await;
    assert_eq!(client.next_non_ping().await, result("u1", json!(0)));

    assert_eq!(
        client.invoke("g1", "Join", json!(["one"])).await,
        completion("g1")
    );
    assert_eq!(
        client.invoke("g2", "Join", json!(["two"])).await,
        completion("g2")
    );
    assert_eq!(
        client.invoke("g3", "Join", json!(["three"])).await,
        error(
            "g3",
            "An unexpected error occurred invoking 'Join' on the server. HubException: The connection is in 2 groups, the most allowed."
        )
    );
    // Joining a group it is in is no new group.
    assert_eq!(
        client.invoke("g4", "Join", json!(["one"])).await,
        completion("g4")
    );
    assert_eq!(
        client.invoke("g5", "Join", json!(["ninechars"])).await,
        error(
            "g5",
            "An unexpected error occurred invoking 'Join' on the server. HubException: The group name is 9 bytes long; at most 8 are allowed."
        )
    );
    server.stop().await;
}

/// Serves `hub` at [`PATH`] with [`hub_runtime::serve`] and `configure`.
async fn serve_protected(
    configure: impl FnOnce(hub_runtime::Serve) -> hub_runtime::Serve,
) -> (std::net::SocketAddr, HubContext<PlainHub>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hub = HubRouter::new(PATH, PlainHub);
    let context = hub.context();
    let served = configure(hub_runtime::serve(listener, axum::Router::new().merge(hub)));
    tokio::spawn(async move { served.await.unwrap() });
    (addr, context)
}

/// Reads until the server closes the connection; what it sent.
async fn read_to_end(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut received))
        .await
        .expect("the server did not close the connection");
    received
}

/// A client that never finishes its headers, or keeps a connection without a next request, is
/// closed after the header timeout (`axum::serve` has no timer: such connections were held).
#[tokio::test]
async fn the_serve_helper_times_out_headers_and_idle_connections() {
    use tokio::io::AsyncWriteExt;
    let (addr, _) = serve_protected(|serve| serve.header_read_timeout(ms(200))).await;
    let mut partial = tokio::net::TcpStream::connect(addr).await.unwrap();
    partial
        .write_all(b"GET /hub/negotiate HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    read_to_end(&mut partial).await;

    let mut kept = tokio::net::TcpStream::connect(addr).await.unwrap();
    kept.write_all(
        b"POST /hub/negotiate?negotiateVersion=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    )
    .await
    .unwrap();
    let answered = read_to_end(&mut kept).await;
    assert!(
        answered.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answered)
    );
}

/// Connections beyond the maximum are answered 503 and closed at once; WebSocket connections
/// count while open, and a slot frees when one closes.
#[tokio::test]
async fn the_serve_helper_answers_503_beyond_the_maximum_of_connections() {
    use tokio::io::AsyncWriteExt;
    let (addr, context) = serve_protected(|serve| serve.max_connections(2)).await;
    let mut first = Client::connect_ready(addr, "").await;
    let mut second = Client::connect_ready(addr, "").await;
    let mut third = tokio::net::TcpStream::connect(addr).await.unwrap();
    third
        .write_all(b"POST /hub/negotiate HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        .await
        .unwrap();
    let refused = read_to_end(&mut third).await;
    assert!(
        refused.starts_with(b"HTTP/1.1 503"),
        "{}",
        String::from_utf8_lossy(&refused)
    );
    second.ws.close(None).await.unwrap();
    second.expect_closed().await;
    first.ready().await;
    // The closed WebSocket's slot is free once its socket is: a new client gets in.
    let joined = tokio::time::timeout(WAIT, async {
        loop {
            let status = http_status(addr, "POST", "/hub/negotiate").await;
            if status == 200 {
                return;
            }
            assert_eq!(status, 503);
            tokio::time::sleep(ms(20)).await;
        }
    })
    .await;
    assert!(joined.is_ok(), "no slot freed after a WebSocket closed");
    assert_eq!(context.connection_count(), 1);
}
