//! The server's WebSocket framing (RFC 6455), byte by byte on a raw socket.
//!
//! The close handshake (section 5.5.1): a client's Close frame is answered with one (the Java
//! client's `stop()` reported `EOFException` when the server just dropped the socket), and a
//! server that closes first waits for the client's Close before it drops the socket, as ASP.NET
//! does (its close timeout is 5 s). Then pings, fragmented messages, messages split across
//! reads or sharing one, every length encoding, and the frames a client may not send, each
//! answered with the Close status code the RFC gives.
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

/// A whole client frame, masked.
fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    raw_frame(0x80 | opcode, payload, true)
}

/// A client frame with the first byte (FIN, reserved bits, opcode) as given, masked or not.
fn raw_frame(first: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mask_bit = if masked { 0x80 } else { 0 };
    let mut frame = vec![first];
    match payload.len() {
        len @ 0..126 => frame.push(mask_bit | len as u8),
        len @ 126..=0xFFFF => {
            frame.push(mask_bit | 126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            frame.push(mask_bit | 127);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    if !masked {
        frame.extend_from_slice(payload);
        return frame;
    }
    let mask = [0x3c, 0xa5, 0x00, 0x71];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
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
    let mut stream = raw_websocket(server.addr).await;
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

/// An Echo invocation's text.
fn echo_invocation(id: u32, text: &str) -> String {
    format!(r#"{{"type":1,"invocationId":"{id}","target":"Echo","arguments":["{text}"]}}"#)
        + "\u{1e}"
}

/// The Completion of [`echo_invocation`].
fn echo_completion(id: u32, text: &str) -> (u8, Vec<u8>) {
    let completion = format!(r#"{{"type":3,"invocationId":"{id}","result":"{text}"}}"#) + "\u{1e}";
    (1, completion.into_bytes())
}

#[tokio::test]
async fn pings_are_answered_with_their_payload() {
    let server = serve(CloseHub, HubOptions::default()).await;
    let mut stream = raw_client(&server).await;
    stream
        .write_all(&client_frame(9, b"are you there"))
        .await
        .unwrap();
    assert_eq!(
        read_frame(&mut stream).await,
        Some((10, b"are you there".to_vec()))
    );
    // Unsolicited pongs (the .NET client's keep-alive) are ignored.
    let mut frames = client_frame(10, b"");
    frames.extend(client_frame(1, echo_invocation(1, "after").as_bytes()));
    stream.write_all(&frames).await.unwrap();
    assert_eq!(
        read_frame(&mut stream).await,
        Some(echo_completion(1, "after"))
    );
    server.stop().await;
}

#[tokio::test]
async fn a_fragmented_message_is_one_message_with_controls_between_its_frames() {
    let server = serve(CloseHub, HubOptions::default()).await;
    let mut stream = raw_client(&server).await;
    let text = echo_invocation(7, "in three parts");
    let (first, rest) = text.as_bytes().split_at(10);
    let (second, third) = rest.split_at(20);
    let mut frames = raw_frame(0x01, first, true);
    frames.extend(raw_frame(0x00, second, true));
    frames.extend(client_frame(9, b"p"));
    frames.extend(raw_frame(0x80, third, true));
    stream.write_all(&frames).await.unwrap();
    assert_eq!(read_frame(&mut stream).await, Some((10, b"p".to_vec())));
    assert_eq!(
        read_frame(&mut stream).await,
        Some(echo_completion(7, "in three parts"))
    );
    server.stop().await;
}

#[tokio::test]
async fn messages_split_across_reads_or_sharing_one_are_all_read() {
    let server = serve(CloseHub, HubOptions::default()).await;
    let mut stream = raw_client(&server).await;
    stream.set_nodelay(true).unwrap();
    // One byte per write, waiting for each to leave.
    for byte in client_frame(1, echo_invocation(1, "slowly").as_bytes()) {
        stream.write_all(&[byte]).await.unwrap();
        stream.flush().await.unwrap();
        tokio::task::yield_now().await;
    }
    assert_eq!(
        read_frame(&mut stream).await,
        Some(echo_completion(1, "slowly"))
    );
    // Fifty messages in one write, the last one cut in two.
    let mut frames = Vec::new();
    for id in 2..52 {
        frames.extend(client_frame(1, echo_invocation(id, "together").as_bytes()));
    }
    let cut = frames.len() - 5;
    stream.write_all(&frames[..cut]).await.unwrap();
    let expected: Vec<_> = (2..51).map(|id| echo_completion(id, "together")).collect();
    assert_eq!(read_messages(&mut stream, 49).await, expected);
    stream.write_all(&frames[cut..]).await.unwrap();
    assert_eq!(
        read_messages(&mut stream, 1).await,
        [echo_completion(51, "together")]
    );
    server.stop().await;
}

/// The next `count` hub messages, in text frames that may each carry several (the server joins
/// queued frames).
async fn read_messages(stream: &mut TcpStream, count: usize) -> Vec<(u8, Vec<u8>)> {
    let mut messages = Vec::new();
    while messages.len() < count {
        let (opcode, payload) = read_frame(stream).await.expect("a frame");
        assert_eq!(opcode, 1);
        messages.extend(
            payload
                .split_inclusive(|&b| b == 0x1e)
                .map(|m| (1, m.to_vec())),
        );
    }
    assert_eq!(messages.len(), count, "more messages than sent");
    messages
}

#[tokio::test]
async fn every_length_encoding_is_read_and_written() {
    let options = HubOptions::default().maximum_receive_message_size(Some(256 * 1024));
    let server = serve(CloseHub, options).await;
    let mut stream = raw_client(&server).await;
    for (id, len) in [(1, 100), (2, 30_000), (3, 100_000)] {
        let text = "x".repeat(len);
        stream
            .write_all(&client_frame(1, echo_invocation(id, &text).as_bytes()))
            .await
            .unwrap();
        assert_eq!(
            read_frame(&mut stream).await,
            Some(echo_completion(id, &text))
        );
    }
    server.stop().await;
}

/// Sends `frame` and expects the server's Close with `code`, then the end of the socket.
async fn expect_failure(frame: &[u8], code: u16) {
    let server = serve(CloseHub, HubOptions::default()).await;
    let mut stream = raw_client(&server).await;
    stream.write_all(frame).await.unwrap();
    loop {
        let (opcode, payload) = read_frame(&mut stream).await.expect("a Close frame");
        if opcode == 8 {
            assert_eq!(&payload[..2], &code.to_be_bytes(), "{frame:?}");
            break;
        }
    }
    expect_end(&mut stream).await;
    server.stop().await;
}

#[tokio::test]
async fn frames_a_client_may_not_send_fail_the_connection_with_their_status_code() {
    let invocation = echo_invocation(1, "x");
    // Unmasked.
    expect_failure(&raw_frame(0x81, invocation.as_bytes(), false), 1002).await;
    // A reserved bit, an unknown opcode.
    expect_failure(&raw_frame(0xC1, invocation.as_bytes(), true), 1002).await;
    expect_failure(&raw_frame(0x83, b"", true), 1002).await;
    // A continuation with nothing to continue; a new message inside a fragmented one.
    expect_failure(&raw_frame(0x80, invocation.as_bytes(), true), 1002).await;
    let mut interleaved = raw_frame(0x01, b"{", true);
    interleaved.extend(client_frame(1, invocation.as_bytes()));
    expect_failure(&interleaved, 1002).await;
    // A fragmented ping; a ping over 125 bytes.
    expect_failure(&raw_frame(0x09, b"", true), 1002).await;
    expect_failure(&client_frame(9, &[b'p'; 126]), 1002).await;
    // Text that is not UTF-8, whole or across fragments.
    expect_failure(&client_frame(1, b"\xff\x1e"), 1007).await;
    let mut split = raw_frame(0x01, &[0xE2, 0x82], true);
    split.extend(raw_frame(0x80, &[0x28, 0x1e], true));
    expect_failure(&split, 1007).await;
    // Close frames with a lone byte, a reserved code, a reason that is not UTF-8.
    expect_failure(&client_frame(8, &[3]), 1002).await;
    expect_failure(&client_frame(8, &close_payload(1005, "")), 1002).await;
    expect_failure(&client_frame(8, b"\x03\xe8\xc3\x28"), 1007).await;
}

#[tokio::test]
async fn a_utf8_character_split_between_fragments_is_text() {
    let server = serve(CloseHub, HubOptions::default()).await;
    let mut stream = raw_client(&server).await;
    let text = echo_invocation(1, "caf\u{e9} \u{1f600}");
    let bytes = text.as_bytes();
    let at = text.find('\u{1f600}').unwrap() + 2;
    let mut frames = raw_frame(0x01, &bytes[..at], true);
    frames.extend(raw_frame(0x80, &bytes[at..], true));
    stream.write_all(&frames).await.unwrap();
    assert_eq!(
        read_frame(&mut stream).await,
        Some(echo_completion(1, "caf\u{e9} \u{1f600}"))
    );
    server.stop().await;
}
