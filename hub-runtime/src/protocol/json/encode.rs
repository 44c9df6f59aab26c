//! Writing JSON hub messages.

use serde::Serialize;

use super::scalar::write_value;
use super::string::write_str;
use crate::protocol::message::Close;

/// Writes JSON hub messages, each ended by the record separator.
///
/// Values are written with serde; a value that cannot be serialized (a map with non-string keys,
/// a failing `Serialize` impl) is an error and nothing half-written is returned.
#[derive(Debug, Default)]
pub(crate) struct JsonEncoder;

thread_local! {
    /// Where messages are written before they are copied out at their exact size.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A scratch buffer that grew beyond this is given back after use.
const KEEP_SCRATCH: usize = 64 << 10;

/// Writes one message with `write` into this thread's scratch buffer and returns an exactly
/// sized copy: one allocation per message, and bytes that become a shared frame without another
/// (a `Vec` whose capacity exceeds its length costs `Bytes` an extra allocation).
fn encode(
    write: impl FnOnce(&mut Vec<u8>) -> Result<(), serde_json::Error>,
) -> Result<Vec<u8>, serde_json::Error> {
    SCRATCH.with(|scratch| {
        // A `Serialize` impl that itself encodes a hub message gets a buffer of its own.
        let Ok(mut out) = scratch.try_borrow_mut() else {
            let mut out = Vec::with_capacity(64);
            write(&mut out)?;
            return Ok(out);
        };
        out.clear();
        let result = write(&mut out).map(|()| out.to_vec());
        if out.capacity() > KEEP_SCRATCH {
            *out = Vec::new();
        }
        result
    })
}

impl JsonEncoder {
    /// A fire-and-forget Invocation from the server: no `invocationId` at all (the JS client
    /// drops the connection on `"invocationId": null`).
    pub(crate) fn invocation<A: Serialize + ?Sized>(
        target: &str,
        arguments: &A,
    ) -> Result<Vec<u8>, serde_json::Error> {
        Self::invocation_message(None, target, arguments)
    }

    /// An Invocation from the server that expects a Completion (a client result).
    pub(crate) fn invocation_with_id<A: Serialize + ?Sized>(
        invocation_id: &str,
        target: &str,
        arguments: &A,
    ) -> Result<Vec<u8>, serde_json::Error> {
        Self::invocation_message(Some(invocation_id), target, arguments)
    }

    fn invocation_message<A: Serialize + ?Sized>(
        invocation_id: Option<&str>,
        target: &str,
        arguments: &A,
    ) -> Result<Vec<u8>, serde_json::Error> {
        encode(|out| {
            out.extend_from_slice(br#"{"type":1"#);
            if let Some(id) = invocation_id {
                out.extend_from_slice(br#","invocationId":"#);
                write_str(out, id);
            }
            out.extend_from_slice(br#","target":"#);
            write_str(out, target);
            out.extend_from_slice(br#","arguments":"#);
            serde_json::to_writer(&mut *out, arguments)?;
            out.extend_from_slice(b"}\x1e");
            Ok(())
        })
    }

    /// An Invocation (type 1) or a StreamInvocation (type 4) from a client, with the ids of the
    /// streams it uploads.
    #[cfg(feature = "client")]
    pub(crate) fn client_invocation<A: Serialize + ?Sized>(
        kind: u8,
        invocation_id: Option<&str>,
        target: &str,
        arguments: &A,
        stream_ids: &[String],
    ) -> Result<Vec<u8>, serde_json::Error> {
        encode(|out| {
            out.extend_from_slice(br#"{"type":"#);
            out.push(b'0' + kind);
            if let Some(id) = invocation_id {
                out.extend_from_slice(br#","invocationId":"#);
                write_str(out, id);
            }
            out.extend_from_slice(br#","target":"#);
            write_str(out, target);
            out.extend_from_slice(br#","arguments":"#);
            serde_json::to_writer(&mut *out, arguments)?;
            if !stream_ids.is_empty() {
                out.extend_from_slice(br#","streamIds":"#);
                serde_json::to_writer(&mut *out, stream_ids)?;
            }
            out.extend_from_slice(b"}\x1e");
            Ok(())
        })
    }

    /// A CancelInvocation.
    #[cfg(feature = "client")]
    pub(crate) fn cancel_invocation(invocation_id: &str) -> Vec<u8> {
        encode(|out| {
            out.extend_from_slice(br#"{"type":5,"invocationId":"#);
            write_str(out, invocation_id);
            out.extend_from_slice(b"}\x1e");
            Ok(())
        })
        .expect("a string always serializes")
    }

    /// A StreamItem.
    pub(crate) fn stream_item<T: Serialize + ?Sized>(
        invocation_id: &str,
        item: &T,
    ) -> Result<Vec<u8>, serde_json::Error> {
        encode(|out| {
            out.extend_from_slice(br#"{"type":2,"invocationId":"#);
            write_str(out, invocation_id);
            out.extend_from_slice(br#","item":"#);
            write_value(out, item)?;
            out.extend_from_slice(b"}\x1e");
            Ok(())
        })
    }

    /// A Completion with a result.
    pub(crate) fn completion_result<T: Serialize + ?Sized>(
        invocation_id: &str,
        result: &T,
    ) -> Result<Vec<u8>, serde_json::Error> {
        encode(|out| {
            Self::completion_head(out, invocation_id)?;
            out.extend_from_slice(br#","result":"#);
            write_value(out, result)?;
            out.extend_from_slice(b"}\x1e");
            Ok(())
        })
    }

    /// A Completion without result: a void method returned, or a stream ended.
    pub(crate) fn completion_void(invocation_id: &str) -> Vec<u8> {
        encode(|out| {
            Self::completion_head(out, invocation_id)?;
            out.extend_from_slice(b"}\x1e");
            Ok(())
        })
        .expect("a string always serializes")
    }

    /// A Completion with an error text.
    pub(crate) fn completion_error(invocation_id: &str, error: &str) -> Vec<u8> {
        encode(|out| {
            Self::completion_head(out, invocation_id)?;
            out.extend_from_slice(br#","error":"#);
            serde_json::to_writer(&mut *out, error)?;
            out.extend_from_slice(b"}\x1e");
            Ok(())
        })
        .expect("a string always serializes")
    }

    fn completion_head(out: &mut Vec<u8>, invocation_id: &str) -> Result<(), serde_json::Error> {
        out.extend_from_slice(br#"{"type":3,"invocationId":"#);
        write_str(out, invocation_id);
        Ok(())
    }

    /// A Ping.
    pub(crate) const PING: &'static str = "{\"type\":6}\u{1e}";

    /// An Ack (type 8) or a Sequence (type 9) message.
    pub(crate) fn sequence_message(kind: u8, sequence_id: u64) -> Vec<u8> {
        format!("{{\"type\":{kind},\"sequenceId\":{sequence_id}}}\u{1e}").into_bytes()
    }

    /// A Close message.
    pub(crate) fn close(close: &Close) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(br#"{"type":7"#);
        if let Some(error) = &close.error {
            out.extend_from_slice(br#","error":"#);
            serde_json::to_writer(&mut out, error).expect("a string always serializes");
        }
        if close.allow_reconnect {
            out.extend_from_slice(br#","allowReconnect":true"#);
        }
        out.extend_from_slice(b"}\x1e");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding() {
        assert_eq!(
            JsonEncoder::invocation("ReceiveMessage", &("a", "b\"")).unwrap(),
            b"{\"type\":1,\"target\":\"ReceiveMessage\",\"arguments\":[\"a\",\"b\\\"\"]}\x1e"
        );
        assert_eq!(
            JsonEncoder::invocation("Ping", &[(); 0]).unwrap(),
            b"{\"type\":1,\"target\":\"Ping\",\"arguments\":[]}\x1e"
        );
        assert_eq!(
            JsonEncoder::invocation_with_id("7", "Confirm", &("q",)).unwrap(),
            b"{\"type\":1,\"invocationId\":\"7\",\"target\":\"Confirm\",\"arguments\":[\"q\"]}\x1e"
        );
        assert_eq!(
            JsonEncoder::stream_item("3", &[1, 2]).unwrap(),
            b"{\"type\":2,\"invocationId\":\"3\",\"item\":[1,2]}\x1e"
        );
        assert_eq!(
            JsonEncoder::completion_result("1", &42).unwrap(),
            b"{\"type\":3,\"invocationId\":\"1\",\"result\":42}\x1e"
        );
        assert_eq!(
            JsonEncoder::completion_void("1"),
            b"{\"type\":3,\"invocationId\":\"1\"}\x1e"
        );
        assert_eq!(
            JsonEncoder::completion_error("1", "no"),
            b"{\"type\":3,\"invocationId\":\"1\",\"error\":\"no\"}\x1e"
        );
        assert_eq!(
            JsonEncoder::close(&Close {
                error: Some("x".into()),
                allow_reconnect: true
            }),
            b"{\"type\":7,\"error\":\"x\",\"allowReconnect\":true}\x1e"
        );
        assert_eq!(JsonEncoder::close(&Close::default()), b"{\"type\":7}\x1e");
        let map: std::collections::HashMap<(u8, u8), u8> = [((1, 2), 3)].into();
        assert!(JsonEncoder::invocation("X", &(map,)).is_err());
    }
}
