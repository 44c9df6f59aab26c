//! Writing MessagePack hub messages, values the way the official clients read them.

use serde::Serialize;

use super::framing::framed;
use crate::protocol::forms::writing_messagepack;
use crate::protocol::message::Close;

/// Writes a value: structs as maps, the human-readable forms of types that have two (UUIDs,
/// addresses), but bytes and dates of [`Binary`](crate::protocol::Binary) and
/// [`Timestamp`](crate::protocol::Timestamp) as bin and timestamps.
fn write_value<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), String> {
    let mut ser = rmp_serde::Serializer::new(out)
        .with_struct_map()
        .with_human_readable();
    writing_messagepack(|| value.serialize(&mut ser)).map_err(|e| e.to_string())
}

fn write_str(out: &mut Vec<u8>, text: &str) {
    rmp::encode::write_str(out, text).expect("writing to a Vec cannot fail");
}

fn write_head(out: &mut Vec<u8>, len: u32, kind: u8) {
    rmp::encode::write_array_len(out, len).expect("writing to a Vec cannot fail");
    rmp::encode::write_uint(out, u64::from(kind)).expect("writing to a Vec cannot fail");
}

fn write_empty_headers(out: &mut Vec<u8>) {
    rmp::encode::write_map_len(out, 0).expect("writing to a Vec cannot fail");
}

/// Writes MessagePack hub messages, each with its length prefix.
#[derive(Debug, Default)]
pub(crate) struct MessagePackEncoder;

impl MessagePackEncoder {
    /// An Invocation from the server; `invocation_id` only for a client result.
    pub(crate) fn invocation<A: Serialize + ?Sized>(
        invocation_id: Option<&str>,
        target: &str,
        arguments: &A,
    ) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(64);
        write_head(&mut out, 6, 1);
        write_empty_headers(&mut out);
        match invocation_id {
            Some(id) => write_str(&mut out, id),
            None => rmp::encode::write_nil(&mut out).expect("writing to a Vec cannot fail"),
        }
        write_str(&mut out, target);
        write_value(&mut out, arguments)?;
        rmp::encode::write_array_len(&mut out, 0).expect("writing to a Vec cannot fail");
        Ok(framed(out))
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
    ) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(64);
        write_head(&mut out, 6, kind);
        write_empty_headers(&mut out);
        match invocation_id {
            Some(id) => write_str(&mut out, id),
            None => rmp::encode::write_nil(&mut out).expect("writing to a Vec cannot fail"),
        }
        write_str(&mut out, target);
        write_value(&mut out, arguments)?;
        let count = u32::try_from(stream_ids.len()).map_err(|_| "too many streams".to_owned())?;
        rmp::encode::write_array_len(&mut out, count).expect("writing to a Vec cannot fail");
        for id in stream_ids {
            write_str(&mut out, id);
        }
        Ok(framed(out))
    }

    /// A CancelInvocation.
    #[cfg(feature = "client")]
    pub(crate) fn cancel_invocation(invocation_id: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(24);
        write_head(&mut out, 3, 5);
        write_empty_headers(&mut out);
        write_str(&mut out, invocation_id);
        framed(out)
    }

    /// A StreamItem.
    pub(crate) fn stream_item<T: Serialize + ?Sized>(
        invocation_id: &str,
        item: &T,
    ) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(48);
        write_head(&mut out, 4, 2);
        write_empty_headers(&mut out);
        write_str(&mut out, invocation_id);
        write_value(&mut out, item)?;
        Ok(framed(out))
    }

    /// A Completion with a result.
    pub(crate) fn completion_result<T: Serialize + ?Sized>(
        invocation_id: &str,
        result: &T,
    ) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(48);
        write_head(&mut out, 5, 3);
        write_empty_headers(&mut out);
        write_str(&mut out, invocation_id);
        rmp::encode::write_uint(&mut out, 3).expect("writing to a Vec cannot fail");
        write_value(&mut out, result)?;
        Ok(framed(out))
    }

    /// A Completion whose result is MessagePack this codec or a client wrote already.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn completion_encoded(invocation_id: &str, result: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + invocation_id.len() + result.len());
        write_head(&mut out, 5, 3);
        write_empty_headers(&mut out);
        write_str(&mut out, invocation_id);
        rmp::encode::write_uint(&mut out, 3).expect("writing to a Vec cannot fail");
        out.extend_from_slice(result);
        framed(out)
    }

    /// A Completion without result.
    pub(crate) fn completion_void(invocation_id: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(32);
        write_head(&mut out, 4, 3);
        write_empty_headers(&mut out);
        write_str(&mut out, invocation_id);
        rmp::encode::write_uint(&mut out, 2).expect("writing to a Vec cannot fail");
        framed(out)
    }

    /// A Completion with an error.
    pub(crate) fn completion_error(invocation_id: &str, error: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        write_head(&mut out, 5, 3);
        write_empty_headers(&mut out);
        write_str(&mut out, invocation_id);
        rmp::encode::write_uint(&mut out, 1).expect("writing to a Vec cannot fail");
        write_str(&mut out, error);
        framed(out)
    }

    /// An Ack (type 8) or a Sequence (type 9) message.
    pub(crate) fn sequence_message(kind: u8, sequence_id: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity(12);
        write_head(&mut out, 2, kind);
        rmp::encode::write_uint(&mut out, sequence_id).expect("writing to a Vec cannot fail");
        framed(out)
    }

    /// A Ping.
    pub(crate) fn ping() -> Vec<u8> {
        let mut out = Vec::with_capacity(2);
        write_head(&mut out, 1, 6);
        framed(out)
    }

    /// A Close message.
    pub(crate) fn close(close: &Close) -> Vec<u8> {
        let mut out = Vec::with_capacity(32);
        write_head(&mut out, 3, 7);
        match &close.error {
            Some(error) => write_str(&mut out, error),
            None => rmp::encode::write_nil(&mut out).expect("writing to a Vec cannot fail"),
        }
        rmp::encode::write_bool(&mut out, close.allow_reconnect)
            .expect("writing to a Vec cannot fail");
        framed(out)
    }
}
