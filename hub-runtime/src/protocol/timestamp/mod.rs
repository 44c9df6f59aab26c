//! [`Timestamp`]: a point in time as an RFC 3339 string in JSON and as the timestamp extension
//! in MessagePack; `ext` and `rfc3339` write and read the two forms, `values` converts the
//! date-time types of std, chrono and time.

mod ext;
mod rfc3339;
mod values;

use std::borrow::Cow;
use std::fmt;
use std::ops::{Deref, DerefMut};

use hub_schema::schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{DeserializeSeed, Error as _, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::forms::binary_forms;

/// A point in time that each hub protocol carries its own way, as ASP.NET Core does with
/// `DateTime`: an RFC 3339 string in JSON (`"2000-01-01T00:00:00Z"`), MessagePack's timestamp
/// extension in MessagePack (`d6 ff 38 6d 43 80`, a `Date` in JavaScript).
///
/// `T` is the date-time type: `std::time::SystemTime`, `chrono::DateTime<Utc>` (feature
/// `chrono`), `time::OffsetDateTime` (feature `time`), or a type of your own that implements
/// [`TimestampValue`]. Plain `chrono::DateTime<Utc>` fields stay RFC 3339 strings in both
/// protocols; wrap them to get the form the official MessagePack clients read as dates.
///
/// ```
/// use std::time::{Duration, SystemTime};
///
/// use hub_runtime::Timestamp;
///
/// #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
/// #[serde(rename_all = "camelCase")]
/// struct Note {
///     text: String,
///     /// `"2000-01-01T00:00:00Z"` in JSON, `d6 ff 38 6d 43 80` in MessagePack.
///     written_at: Timestamp<SystemTime>,
/// }
///
/// let note = Note {
///     text: "hi".into(),
///     written_at: Timestamp(SystemTime::UNIX_EPOCH + Duration::from_secs(946_684_800)),
/// };
/// assert_eq!(
///     serde_json::to_string(&note).unwrap(),
///     r#"{"text":"hi","writtenAt":"2000-01-01T00:00:00Z"}"#
/// );
/// ```
///
/// Which form is written: the timestamp extension while the hub's MessagePack protocol writes
/// the message (and with any serializer that is not human-readable, such as `rmp_serde`'s
/// default: other such formats get the extension's `(-1, bytes)` pair); RFC 3339 otherwise, in
/// UTC with `Z` and 0, 3, 6 or 9 fraction digits, as chrono writes `DateTime<Utc>`. Years
/// outside 0000-9999 have no RFC 3339 form and fail to serialize in JSON. Reading accepts both
/// forms in MessagePack (the extension's 32-, 64- and 96-bit layouts, and RFC 3339 strings with
/// any offset) and RFC 3339 strings in JSON.
///
/// Its JSON Schema is `{"type": "string", "format": "date-time", "x-messagepack":
/// "timestamp"}`: the last keyword tells `hub-codegen` that MessagePack carries the extension
/// (`Date` in TypeScript clients generated with `--protocol messagepack`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp<T>(pub T);

/// A date-time type [`Timestamp`] can hold: a point in time as seconds and nanoseconds since
/// 1970-01-01T00:00:00Z.
///
/// Implemented for `std::time::SystemTime`, `chrono::DateTime<chrono::Utc>` (feature `chrono`)
/// and `time::OffsetDateTime` (feature `time`; read back in UTC).
pub trait TimestampValue: Sized {
    /// Whole seconds since 1970-01-01T00:00:00Z (negative before it) and the nanoseconds after
    /// them, below 1,000,000,000.
    fn to_unix(&self) -> (i64, u32);

    /// The point in time `seconds` since 1970-01-01T00:00:00Z plus `nanos` nanoseconds (below
    /// 1,000,000,000); `None` when the type cannot represent it.
    fn from_unix(seconds: i64, nanos: u32) -> Option<Self>;
}

/// Seconds since 1970-01-01T00:00:00Z and nanoseconds after them: what both forms encode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct UnixTime {
    seconds: i64,
    nanos: u32,
}

impl UnixTime {
    fn new(seconds: i64, nanos: u32) -> Result<Self, String> {
        if nanos >= 1_000_000_000 {
            return Err(format!(
                "{nanos} nanoseconds is not a fraction of a second (at most 999999999)"
            ));
        }
        Ok(UnixTime { seconds, nanos })
    }
}

impl<T> Timestamp<T> {
    /// The date-time value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Timestamp<T> {
    fn from(value: T) -> Self {
        Timestamp(value)
    }
}

impl<T> Deref for Timestamp<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Timestamp<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: TimestampValue> Serialize for Timestamp<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        let (seconds, nanos) = self.0.to_unix();
        let time = UnixTime::new(seconds, nanos).map_err(S::Error::custom)?;
        if binary_forms(&serializer) {
            let mut data = [0; 12];
            let data = ext::encode(time, &mut data);
            serializer.serialize_newtype_struct(
                ext::EXT_STRUCT_NAME,
                &(ext::TIMESTAMP_TYPE, ExtBytes(data)),
            )
        } else {
            let mut text = [0; rfc3339::MAX_LEN];
            serializer.serialize_str(rfc3339::format(time, &mut text).map_err(S::Error::custom)?)
        }
    }
}

/// The data of an extension, written as bytes.
struct ExtBytes<'a>(&'a [u8]);

impl Serialize for ExtBytes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

impl<'de, T: TimestampValue> Deserialize<'de> for Timestamp<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let time = if deserializer.is_human_readable() {
            deserializer.deserialize_any(TimeVisitor)?
        } else {
            deserializer.deserialize_newtype_struct(ext::EXT_STRUCT_NAME, TimeVisitor)?
        };
        T::from_unix(time.seconds, time.nanos)
            .map(Timestamp)
            .ok_or_else(|| {
                D::Error::custom(format_args!(
                    "the time {} s and {} ns after 1970-01-01T00:00:00Z is out of range for {}",
                    time.seconds,
                    time.nanos,
                    std::any::type_name::<T>()
                ))
            })
    }
}

/// Reads a time from an RFC 3339 string or a timestamp extension (which `rmp_serde` presents as
/// a newtype struct around `(type, data)`).
struct TimeVisitor;

impl<'de> Visitor<'de> for TimeVisitor {
    type Value = UnixTime;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a date and time: an RFC 3339 string or a MessagePack timestamp")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<UnixTime, E> {
        rfc3339::parse(text).map_err(E::custom)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<UnixTime, D::Error> {
        deserializer.deserialize_tuple(2, ExtVisitor)
    }
}

/// Reads an extension's `(type, data)` as a timestamp.
struct ExtVisitor;

impl<'de> Visitor<'de> for ExtVisitor {
    type Value = UnixTime;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a MessagePack extension")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UnixTime, A::Error> {
        let missing = || A::Error::custom("a MessagePack extension without its type and data");
        let kind: i8 = seq.next_element()?.ok_or_else(missing)?;
        seq.next_element_seed(ExtPayload(kind))?
            .ok_or_else(missing)?
            .map_err(A::Error::custom)
    }
}

/// An extension's data, decoded as a timestamp: the extension's type is read before it.
struct ExtPayload(i8);

impl<'de> DeserializeSeed<'de> for ExtPayload {
    type Value = Result<UnixTime, String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_bytes(self)
    }
}

impl<'de> Visitor<'de> for ExtPayload {
    type Value = Result<UnixTime, String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the data of a MessagePack extension")
    }

    fn visit_bytes<E: serde::de::Error>(self, data: &[u8]) -> Result<Self::Value, E> {
        Ok(ext::decode(self.0, data))
    }
}

impl<T> JsonSchema for Timestamp<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Timestamp".into()
    }

    fn schema_id() -> Cow<'static, str> {
        "hub_runtime::Timestamp".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "date-time",
            "x-messagepack": "timestamp"
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use super::*;
    use crate::protocol::forms::writing_messagepack;

    fn at(seconds: u64, nanos: u32) -> Timestamp<SystemTime> {
        Timestamp(UNIX_EPOCH + Duration::new(seconds, nanos))
    }

    #[test]
    fn json_form_is_rfc3339_in_utc() {
        assert_eq!(
            serde_json::to_string(&at(946_684_800, 0)).unwrap(),
            r#""2000-01-01T00:00:00Z""#
        );
        assert_eq!(
            serde_json::to_string(&at(946_684_800, 120_000_000)).unwrap(),
            r#""2000-01-01T00:00:00.120Z""#
        );
        for text in [
            r#""2000-01-01T00:00:00Z""#,
            r#""2000-01-01T00:00:00.000Z""#,
            r#""2000-01-01T01:00:00+01:00""#,
        ] {
            assert_eq!(
                serde_json::from_str::<Timestamp<SystemTime>>(text).unwrap(),
                at(946_684_800, 0),
                "{text}"
            );
        }
        let err = serde_json::from_str::<Timestamp<SystemTime>>(r#""yesterday""#).unwrap_err();
        assert!(err.to_string().contains("expected RFC 3339"), "{err}");
        assert!(serde_json::from_str::<Timestamp<SystemTime>>("946684800").is_err());
        // Beyond 9999 there is no RFC 3339 text.
        let far = at(253_402_300_800, 0);
        assert!(serde_json::to_string(&far).is_err());
    }

    #[test]
    fn the_messagepack_mark_chooses_the_extension() {
        // serde_json shows what the serializer is asked to write: the extension's newtype.
        let written = writing_messagepack(|| serde_json::to_value(at(946_684_800, 0))).unwrap();
        assert_eq!(written, serde_json::json!([-1, [0x38, 0x6d, 0x43, 0x80]]));
    }

    #[cfg(feature = "chrono")]
    #[test]
    fn json_form_is_chronos_own_for_utc_date_times() {
        use chrono::{DateTime, Utc};
        // Wrapping a chrono field leaves its JSON as it was.
        for (seconds, nanos) in [
            (946_684_800, 0),
            (946_684_800, 1_000_000),
            (946_684_800, 1_000),
            (946_684_800, 1),
            (-1, 999_999_999),
            (-62_135_596_800, 0),
            (253_402_300_799, 0),
        ] {
            let date = DateTime::<Utc>::from_timestamp(seconds, nanos).unwrap();
            let plain = serde_json::to_string(&date).unwrap();
            assert_eq!(serde_json::to_string(&Timestamp(date)).unwrap(), plain);
            let read: Timestamp<DateTime<Utc>> = serde_json::from_str(&plain).unwrap();
            assert_eq!(read.0, date);
        }
    }

    #[test]
    fn schema_tells_the_generators_both_forms() {
        let schema = hub_schema::schemars::schema_for!(Timestamp<SystemTime>);
        assert_eq!(schema.get("type").unwrap(), "string");
        assert_eq!(schema.get("format").unwrap(), "date-time");
        assert_eq!(schema.get("x-messagepack").unwrap(), "timestamp");
    }
}
