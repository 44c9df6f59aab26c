//! Values still in their wire encoding: arguments, stream items, results. They are decoded into
//! the Rust type the hub method asks for only when it is known.

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// A value as it arrived, borrowed from the message bytes.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub(crate) enum EncodedValue<'a> {
    /// A JSON value.
    Json(&'a RawValue),
    /// A MessagePack value.
    #[cfg(feature = "messagepack")]
    MessagePack(&'a [u8]),
}

/// A value as it arrived, owned: what waits in an upload stream's buffer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum OwnedValue {
    /// A JSON value.
    Json(Box<RawValue>),
    /// A MessagePack value.
    #[cfg(feature = "messagepack")]
    MessagePack(Vec<u8>),
}

impl EncodedValue<'_> {
    /// Decodes the value into `T`.
    pub(crate) fn decode<T: DeserializeOwned>(&self) -> Result<T, String> {
        match self {
            EncodedValue::Json(raw) => decode_json(raw.get()),
            #[cfg(feature = "messagepack")]
            EncodedValue::MessagePack(bytes) => decode_messagepack(bytes),
        }
    }

    /// An owned copy.
    pub(crate) fn to_owned_value(self) -> OwnedValue {
        match self {
            EncodedValue::Json(raw) => OwnedValue::Json((*raw).to_owned()),
            #[cfg(feature = "messagepack")]
            EncodedValue::MessagePack(bytes) => OwnedValue::MessagePack(bytes.to_vec()),
        }
    }
}

impl OwnedValue {
    /// Decodes the value into `T`.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, String> {
        self.borrow().decode()
    }

    /// The borrowed form.
    pub(crate) fn borrow(&self) -> EncodedValue<'_> {
        match self {
            OwnedValue::Json(raw) => EncodedValue::Json(raw),
            #[cfg(feature = "messagepack")]
            OwnedValue::MessagePack(bytes) => EncodedValue::MessagePack(bytes),
        }
    }

    /// JSON `null`: what a client's void Completion stands for.
    pub(crate) fn null() -> Self {
        OwnedValue::Json(serde_json::value::to_raw_value(&()).expect("null serializes"))
    }
}

/// Decodes a JSON value's text into `T`.
pub(crate) fn decode_json<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// Decodes a MessagePack value into `T`: the forms the encoders write (structs as maps, unit
/// variants as strings, human-readable forms).
#[cfg(feature = "messagepack")]
pub(crate) fn decode_messagepack<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let mut de = rmp_serde::Deserializer::new(bytes).with_human_readable();
    T::deserialize(&mut de).map_err(|e| e.to_string())
}
