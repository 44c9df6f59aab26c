//! The hub message model shared by every protocol.

use std::borrow::Cow;

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::error::ProtocolError;
#[cfg(feature = "messagepack")]
use super::value::decode_messagepack;
use super::value::{EncodedValue, OwnedValue, decode_json};

/// One hub protocol message, borrowing from the bytes it was read from where it can.
#[derive(Debug)]
#[non_exhaustive]
pub(crate) enum HubMessage<'a> {
    /// Type 1: call a method and, with an invocation id, expect a Completion.
    Invocation(Invocation<'a>),
    /// Type 2: one item of a stream.
    StreamItem(StreamItem<'a>),
    /// Type 3: the end of an invocation or stream, with a result or an error.
    Completion(Completion<'a>),
    /// Type 4: call a streaming method.
    StreamInvocation(Invocation<'a>),
    /// Type 5: stop a stream the client started.
    CancelInvocation {
        /// The id of the stream invocation to cancel.
        invocation_id: Cow<'a, str>,
    },
    /// Type 6: keep-alive.
    Ping,
    /// Type 7: the sender closes the connection.
    Close(Close),
    /// Type 8: acknowledges messages up to a sequence id (stateful reconnect).
    Ack {
        /// The highest sequence id received.
        sequence_id: u64,
    },
    /// Type 9: the sequence id of the next message (stateful reconnect).
    Sequence {
        /// The sequence id of the next message.
        sequence_id: u64,
    },
}

/// An Invocation or StreamInvocation.
#[derive(Debug)]
pub(crate) struct Invocation<'a> {
    /// Absent for a fire-and-forget call.
    pub(crate) invocation_id: Option<Cow<'a, str>>,
    /// The method's wire name, as the client spelt it.
    pub(crate) target: Cow<'a, str>,
    /// The arguments, still encoded.
    pub(crate) arguments: Arguments<'a>,
    /// Ids of the streams the client uploads as arguments.
    pub(crate) stream_ids: Vec<Cow<'a, str>>,
}

impl<'a> Invocation<'a> {
    /// The Invocation (type 1) or StreamInvocation (type 4) message; a StreamInvocation needs an id.
    pub(crate) fn into_message(self, streaming: bool) -> Result<HubMessage<'a>, ProtocolError> {
        if !streaming {
            return Ok(HubMessage::Invocation(self));
        }
        if self.invocation_id.is_none() {
            return Err(ProtocolError::MissingProperty("invocationId"));
        }
        Ok(HubMessage::StreamInvocation(self))
    }
}

/// A StreamItem.
#[derive(Debug)]
pub(crate) struct StreamItem<'a> {
    /// The stream this item belongs to.
    pub(crate) invocation_id: Cow<'a, str>,
    /// The item, still encoded.
    pub(crate) item: EncodedValue<'a>,
}

/// A Completion.
#[derive(Debug)]
pub(crate) struct Completion<'a> {
    /// The invocation or stream it completes.
    pub(crate) invocation_id: Cow<'a, str>,
    /// What it completes with.
    pub(crate) body: CompletionBody<'a>,
}

/// What a Completion carries.
#[derive(Debug)]
pub(crate) enum CompletionBody<'a> {
    /// Neither result nor error: a void method returned or a stream ended.
    Void,
    /// A result, still encoded (may be `null`).
    Result(EncodedValue<'a>),
    /// An error text.
    Error(Cow<'a, str>),
}

/// A Close message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Close {
    /// Why the sender closes, if it failed.
    pub(crate) error: Option<String>,
    /// Whether a client with automatic reconnect may reconnect.
    pub(crate) allow_reconnect: bool,
}

/// The still-encoded arguments of an invocation; each is decoded into the hub method's parameter
/// type when the call is bound.
#[derive(Debug)]
pub struct Arguments<'a> {
    values: ArgumentValues<'a>,
}

/// Argument values: most invocations have a few, kept inline rather than allocated.
pub(crate) type ArgumentValues<'a> = smallvec::SmallVec<[ArgumentValue<'a>; 4]>;

/// One argument as it arrived.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ArgumentValue<'a> {
    /// The text of a well-formed JSON value.
    Json(&'a str),
    /// A MessagePack value.
    #[cfg(feature = "messagepack")]
    MessagePack(&'a [u8]),
}

impl ArgumentValue<'_> {
    fn decode<T: DeserializeOwned>(&self) -> Result<T, String> {
        match self {
            ArgumentValue::Json(text) => decode_json(text),
            #[cfg(feature = "messagepack")]
            ArgumentValue::MessagePack(bytes) => decode_messagepack(bytes),
        }
    }

    fn to_owned_value(self) -> OwnedValue {
        match self {
            // `from_string` checks the text again; the parsers only keep well-formed values.
            ArgumentValue::Json(text) => OwnedValue::Json(
                RawValue::from_string(text.to_owned())
                    .expect("an argument's text is a well-formed JSON value"),
            ),
            #[cfg(feature = "messagepack")]
            ArgumentValue::MessagePack(bytes) => OwnedValue::MessagePack(bytes.to_vec()),
        }
    }
}

/// Decodes argument `index` of `values` into `T`.
pub(crate) fn decode_argument<T: DeserializeOwned>(
    values: &[ArgumentValue<'_>],
    index: usize,
) -> Result<T, ArgumentError> {
    let value = values.get(index).ok_or_else(|| ArgumentError {
        index,
        detail: "missing argument".to_owned(),
    })?;
    value
        .decode()
        .map_err(|detail| ArgumentError { index, detail })
}

/// An argument that could not be decoded into the parameter's type.
#[derive(Debug)]
pub struct ArgumentError {
    /// Position of the argument.
    pub index: usize,
    /// What the decoder said.
    pub detail: String,
}

impl<'a> Arguments<'a> {
    pub(crate) fn new(values: ArgumentValues<'a>) -> Self {
        Arguments { values }
    }

    /// The values, as a slice (which, unlike `Arguments`, may be borrowed for less than `'a`).
    pub(crate) fn values(&self) -> &[ArgumentValue<'a>] {
        &self.values
    }

    /// How many arguments the client sent.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the client sent no argument.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Decodes argument `index` into `T`.
    pub fn decode<T: DeserializeOwned>(&self, index: usize) -> Result<T, ArgumentError> {
        decode_argument(&self.values, index)
    }

    /// Each argument as it arrived, owned: a JSON argument as its text, a MessagePack argument as
    /// its bytes.
    pub(crate) fn to_owned_values(&self) -> Vec<OwnedValue> {
        self.values
            .iter()
            .map(|value| value.to_owned_value())
            .collect()
    }
}
