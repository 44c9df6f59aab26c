//! Values still in their wire encoding: arguments, stream items, results. They are decoded into
//! the Rust type the hub method asks for only when it is known.

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// A value as it arrived, borrowed from the message bytes.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum EncodedValue<'a> {
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
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, String> {
        match self {
            EncodedValue::Json(raw) => serde_json::from_str(raw.get()).map_err(|e| e.to_string()),
            #[cfg(feature = "messagepack")]
            EncodedValue::MessagePack(bytes) => super::msgpack::decode_value(bytes),
        }
    }

    /// An owned copy.
    pub fn to_owned_value(&self) -> OwnedValue {
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
    pub fn borrow(&self) -> EncodedValue<'_> {
        match self {
            OwnedValue::Json(raw) => EncodedValue::Json(raw),
            #[cfg(feature = "messagepack")]
            OwnedValue::MessagePack(bytes) => EncodedValue::MessagePack(bytes),
        }
    }

    /// JSON `null`: what a client's void Completion stands for.
    pub fn null() -> Self {
        OwnedValue::Json(Self::null_raw())
    }

    pub(crate) fn null_raw() -> Box<RawValue> {
        serde_json::value::to_raw_value(&()).expect("null serializes")
    }
}
