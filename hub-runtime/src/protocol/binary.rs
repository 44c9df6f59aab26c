//! [`Binary`]: bytes as a base64 string in JSON and as bin in MessagePack.

use std::borrow::Cow;
use std::fmt;
use std::ops::{Deref, DerefMut};

use base64::Engine as _;
use base64::alphabet;
use base64::display::Base64Display;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hub_schema::schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::forms::binary_forms;

/// Standard base64 (`+/`), written with padding, read with or without it.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Bytes that each hub protocol carries its own way, as ASP.NET Core does with `byte[]`: a
/// base64 string in JSON, MessagePack's bin in MessagePack (a `Uint8Array` in JavaScript).
///
/// A plain `Vec<u8>` is a list of numbers for serde (`[1,2,3]` in JSON, an array in
/// MessagePack); wrap it to get the forms the official clients read as bytes. `B` is the buffer:
/// `Vec<u8>` (the default), `bytes::Bytes`, `Box<[u8]>`, anything that is `AsRef<[u8]>` (to
/// write) and `From<Vec<u8>>` (to read).
///
/// ```
/// use hub_runtime::Binary;
///
/// #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
/// struct Upload {
///     name: String,
///     /// `"AQID"` in JSON, `c4 03 01 02 03` in MessagePack.
///     data: Binary,
///     /// Any buffer type works.
///     thumbnail: Binary<bytes::Bytes>,
/// }
///
/// let upload = Upload { name: "a".into(), data: Binary(vec![1, 2, 3]), thumbnail: Binary::default() };
/// assert_eq!(
///     serde_json::to_string(&upload).unwrap(),
///     r#"{"name":"a","data":"AQID","thumbnail":""}"#
/// );
/// ```
///
/// Which form is written: the binary one while the hub's MessagePack protocol writes the message
/// (and with any serializer that is not human-readable, such as `rmp_serde`'s default); base64
/// otherwise. Reading accepts every form in either protocol: a base64 string (padded or not),
/// bin, and an array of integers 0-255.
///
/// Its JSON Schema is `{"type": "string", "format": "byte", "contentEncoding": "base64",
/// "x-messagepack": "bin"}`: the last keyword tells `hub-codegen` that MessagePack carries bin
/// (`Uint8Array` in TypeScript clients generated with `--protocol messagepack`).
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Binary<B = Vec<u8>>(pub B);

impl<B> Binary<B> {
    /// The buffer.
    pub fn into_inner(self) -> B {
        self.0
    }
}

impl<B> From<B> for Binary<B> {
    fn from(buffer: B) -> Self {
        Binary(buffer)
    }
}

impl<B> Deref for Binary<B> {
    type Target = B;

    fn deref(&self) -> &B {
        &self.0
    }
}

impl<B> DerefMut for Binary<B> {
    fn deref_mut(&mut self) -> &mut B {
        &mut self.0
    }
}

impl<B: AsRef<[u8]>> AsRef<[u8]> for Binary<B> {
    fn as_ref(&self) -> &[u8] {
        self.0.as_ref()
    }
}

impl<B: AsRef<[u8]>> fmt::Debug for Binary<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Binary({:?})", self.0.as_ref())
    }
}

impl<B: AsRef<[u8]>> Serialize for Binary<B> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let bytes = self.0.as_ref();
        if binary_forms(&serializer) {
            serializer.serialize_bytes(bytes)
        } else {
            serializer.collect_str(&Base64Display::new(bytes, &BASE64))
        }
    }
}

impl<'de, B: From<Vec<u8>>> Deserialize<'de> for Binary<B> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let bytes = if deserializer.is_human_readable() {
            deserializer.deserialize_any(BytesVisitor)?
        } else {
            deserializer.deserialize_byte_buf(BytesVisitor)?
        };
        Ok(Binary(B::from(bytes)))
    }
}

/// Reads bytes from any of their forms.
struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bytes: a base64 string, bin, or an array of integers 0-255")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Vec<u8>, E> {
        BASE64
            .decode(text)
            .map_err(|err| E::custom(format_args!("invalid base64 bytes: {err}")))
    }

    fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
        Ok(bytes.to_vec())
    }

    fn visit_byte_buf<E: serde::de::Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(bytes)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        // The hint comes from the input: trust it only so far.
        let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(byte) = seq.next_element::<u8>()? {
            bytes.push(byte);
        }
        Ok(bytes)
    }
}

impl<B> JsonSchema for Binary<B> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Binary".into()
    }

    fn schema_id() -> Cow<'static, str> {
        "hub_runtime::Binary".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "byte",
            "contentEncoding": "base64",
            "x-messagepack": "bin"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::forms::writing_messagepack;

    #[test]
    fn json_form_is_padded_base64_and_every_form_is_read() {
        let value = Binary(vec![1, 2, 3]);
        assert_eq!(serde_json::to_string(&value).unwrap(), r#""AQID""#);
        assert_eq!(
            serde_json::to_string(&Binary(vec![0xfb, 0xff])).unwrap(),
            r#""+/8=""#
        );
        assert_eq!(serde_json::to_string(&Binary(Vec::new())).unwrap(), r#""""#);
        for text in [r#""AQID""#, "[1,2,3]"] {
            assert_eq!(
                serde_json::from_str::<Binary>(text).unwrap(),
                value,
                "{text}"
            );
        }
        assert_eq!(
            serde_json::from_str::<Binary>(r#""+/8""#).unwrap(),
            Binary(vec![0xfb, 0xff])
        );
        let bytes: Binary<bytes::Bytes> = serde_json::from_str(r#""AQID""#).unwrap();
        assert_eq!(&bytes[..], [1, 2, 3]);
        let err = serde_json::from_str::<Binary>(r#""A*ID""#).unwrap_err();
        assert!(err.to_string().contains("invalid base64"), "{err}");
        assert!(serde_json::from_str::<Binary>("[256]").is_err());
        assert!(serde_json::from_str::<Binary>("12").is_err());
    }

    #[test]
    fn the_messagepack_mark_chooses_the_binary_form() {
        // Through a human-readable serializer, only the mark changes the form.
        let value = Binary(vec![1, 2, 3]);
        assert_eq!(serde_json::to_value(&value).unwrap(), "AQID");
        assert_eq!(
            writing_messagepack(|| serde_json::to_value(&value)).unwrap(),
            serde_json::json!([1, 2, 3])
        );
    }

    #[test]
    fn schema_tells_the_generators_both_forms() {
        let schema = hub_schema::schemars::schema_for!(Binary<bytes::Bytes>);
        assert_eq!(schema.get("type").unwrap(), "string");
        assert_eq!(schema.get("contentEncoding").unwrap(), "base64");
        assert_eq!(schema.get("format").unwrap(), "byte");
        assert_eq!(schema.get("x-messagepack").unwrap(), "bin");
    }
}
