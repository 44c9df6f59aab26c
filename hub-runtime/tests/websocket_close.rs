//! The WebSocket close handshake (RFC 6455 5.5.1), byte by byte on a raw socket: a client's
//! Close frame is answered with one (the Java client's `stop()` reported `EOFException` when
//! the server just dropped the socket), and a server that closes first waits for the client's
//! Close before it drops the socket, as ASP.NET does (its close timeout is 5 s).
#![allow(missing_docs, unreachable_pub)]

mod support;

use std::time::Duration;

use hub_runtime::prelude::*;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

pub struct CloseHub;

#[hub_runtime::hub]
impl CloseHub {
    pub fn echo(&self, text: String) -> String {
        text
    }

    /// Ends the caller's connection: the server closes first.
    pub fn leave(&self, ctx: &Ctx<Self>) {
        ctx.abort();
    }
}

/// A client frame (masked with a zero key).
fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126);
    let mut frame = vec![0x80 | opcode, 0x80 | payload.len() as u8, 0, 0, 0, 0];
    frame.extend_from_slice(payload);
    frame
}

/// A Close frame's payload: the code and the reason.
fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(reason.as_bytes());
    payload
}

/// One server frame: its opcode and payload.
async fn read_frame(stream: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 2];
    timeout(WAIT, stream.read_exact(&mut head))
        .await
        .expect("no frame in time")
        .ok()?;
    let mut len = u64::from(head[1] & 0x7f);
    if len == 126 {
        let mut bytes = [0u8; 2];
        stream.read_exact(&mut bytes).await.ok()?;
        len = u64::from(u16::from_be_bytes(bytes));
    } else if len == 127 {
        let mut bytes = [0u8; 8];
        stream.read_exact(&mut bytes).await.ok()?;
        len = u64::from_be_bytes(bytes);
    }
    let mut payload = vec![0u8; len as usize];
    stream.read_exact(&mut payload).await.ok()?;
    Some((head[0] & 0x0f, payload))
}

/// A raw WebSocket to the hub, with the JSON handshake done.
async fn raw_client(server: &Server<CloseHub>) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let request = format!(
        "GET {PATH} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        server.addr
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"));
    stream
        .write_all(&client_frame(1, HANDSHAKE.as_bytes()))
        .await
        .unwrap();
    assert_eq!(read_frame(&mut stream).await, Some((1, b"{}\x1e".to_vec())));
    stream
}

/// Reads until the server ends the connection.
async fn expect_end(stream: &mut TcpStream) {
    let mut rest = Vec::new();
    let read = timeout(WAIT, stream.read_to_end(&mut rest))
        .await
        .expect("the server did not end the connection");
    assert!(read.is_ok(), "{read:?}");
    assert!(rest.is_empty(), "more after the Close: {rest:?}");
}

#[tokio::test]
async fn a_clients_close_frame_is_answered_with_one() {
    let server = serve(CloseHub, HubOptions::default()).await;
    let mut stream = raw_client(&server).await;
    let payload = close_payload(1000, "HubConnection stopped.");
    stream.write_all(&client_frame(8, &payload)).await.unwrap();
    let (opcode, reply) = read_frame(&mut stream)
        .await
        .expect("the server dropped the socket without a Close frame");
    assert_eq!(opcode, 8, "a Close frame");
    assert_eq!(&reply[..2], &1000u16.to_be_bytes());
    expect_end(&mut stream).await;
    server.stop().await;
}

#[tokio::test]
async fn a_server_that_closes_first_waits_for_the_clients_close() {
    let server = serve(CloseHub, HubOptions::default()).await;
    let mut stream = raw_client(&server).await;
    let invocation = r#"{"type":1,"target":"Leave","arguments":[]}"#.to_owned() + "\u{1e}";
    stream
        .write_all(&client_frame(1, invocation.as_bytes()))
        .await
        .unwrap();
    // The Close message, then the server's Close frame.
    let (opcode, message) = read_frame(&mut stream).await.unwrap();
    assert_eq!((opcode, message), (1, b"{\"type\":7}\x1e".to_vec()));
    let (opcode, _) = read_frame(&mut stream).await.unwrap();
    assert_eq!(opcode, 8);
    // The client answers late: the socket is still open meanwhile.
    let mut byte = [0u8; 1];
    let early = timeout(Duration::from_millis(300), stream.read(&mut byte)).await;
    assert!(
        early.is_err(),
        "the socket ended before the client's Close: {early:?}"
    );
    stream
        .write_all(&client_frame(8, &close_payload(1000, "")))
        .await
        .unwrap();
    expect_end(&mut stream).await;
    server.stop().await;
}
