//! Values written as JSON exactly as serde_json writes them, a string or scalar at the top
//! directly.

use serde::Serialize;

use super::string::write_str;

/// Writes a value as JSON, exactly as serde_json does. A string or scalar at the top (the common
/// result and stream item) is written directly, strings by `write_str`; anything else by
/// serde_json from the start.
pub(super) fn write_value<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
) -> Result<(), serde_json::Error> {
    let start = out.len();
    if value.serialize(Scalar { out: &mut *out }).is_ok() {
        return Ok(());
    }
    out.truncate(start);
    serde_json::to_writer(out, value)
}

/// A serializer of top-level scalars: refuses everything else, which serde_json then writes.
struct Scalar<'a> {
    out: &'a mut Vec<u8>,
}

/// Not a scalar (or a failing `Serialize` impl, which serde_json then reports).
#[derive(Debug)]
struct NotScalar;

impl std::fmt::Display for NotScalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a scalar")
    }
}

impl std::error::Error for NotScalar {}

impl serde::ser::Error for NotScalar {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        NotScalar
    }
}

impl Scalar<'_> {
    fn serde_json<T: Serialize>(self, value: T) -> Result<(), NotScalar> {
        serde_json::to_writer(self.out, &value).map_err(|_| NotScalar)
    }
}

impl serde::Serializer for Scalar<'_> {
    type Ok = ();
    type Error = NotScalar;
    type SerializeSeq = serde::ser::Impossible<(), NotScalar>;
    type SerializeTuple = serde::ser::Impossible<(), NotScalar>;
    type SerializeTupleStruct = serde::ser::Impossible<(), NotScalar>;
    type SerializeTupleVariant = serde::ser::Impossible<(), NotScalar>;
    type SerializeMap = serde::ser::Impossible<(), NotScalar>;
    type SerializeStruct = serde::ser::Impossible<(), NotScalar>;
    type SerializeStructVariant = serde::ser::Impossible<(), NotScalar>;

    fn serialize_str(self, v: &str) -> Result<(), NotScalar> {
        write_str(self.out, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), NotScalar> {
        write_str(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_bool(self, v: bool) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_i8(self, v: i8) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_i128(self, v: i128) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_f64(self, v: f64) -> Result<(), NotScalar> {
        self.serde_json(v)
    }
    fn serialize_unit(self) -> Result<(), NotScalar> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_none(self) -> Result<(), NotScalar> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), NotScalar> {
        value.serialize(self)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), NotScalar> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), NotScalar> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), NotScalar> {
        value.serialize(self)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), NotScalar> {
        Err(NotScalar)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), NotScalar> {
        Err(NotScalar)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotScalar> {
        Err(NotScalar)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_written_as_serde_json_writes_them() {
        #[derive(Serialize)]
        struct Id(u32);
        #[derive(Serialize)]
        struct Point {
            x: i32,
        }
        #[derive(Serialize)]
        enum Kind {
            Unit,
            Wrapped(u8),
        }
        #[derive(Serialize)]
        struct Unit;
        fn check<T: Serialize + ?Sized>(value: &T) {
            let mut out = b"head".to_vec();
            write_value(&mut out, value).unwrap();
            let mut expected = b"head".to_vec();
            expected.extend(serde_json::to_vec(value).unwrap());
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&expected)
            );
        }
        check("plain");
        check("esc\"aped\n\u{1}");
        check(&'\u{e9}');
        check(&'"');
        check(&String::from("owned"));
        check(&true);
        check(&-5i8);
        check(&u64::MAX);
        check(&i128::MIN);
        check(&1.5f64);
        check(&f64::NAN);
        check(&f32::INFINITY);
        check(&());
        check(&None::<u8>);
        check(&Some("x"));
        check(&Some(Some(3)));
        check(&Id(7));
        check(&Unit);
        check(&Kind::Unit);
        check(&Kind::Wrapped(1));
        check(&Point { x: 1 });
        check(&[1, 2]);
        check(&("a", 1));
        check(&vec![Some("a"), None]);
        check(&std::collections::BTreeMap::from([("k", 1)]));
        check(serde_bytes_like());
        // A failing impl fails as it does with serde_json.
        let mut out = Vec::new();
        let map = std::collections::HashMap::from([((1, 2), 3)]);
        assert!(write_value(&mut out, &map).is_err());
    }

    /// Bytes serialize as a sequence of numbers in serde_json.
    fn serde_bytes_like() -> &'static [u8] {
        b"ab"
    }

    use proptest::prelude::*;

    /// `value` is written after some bytes as serde_json writes it.
    fn agrees<T: Serialize + ?Sized>(value: &T) -> Result<(), TestCaseError> {
        let mut out = b"head".to_vec();
        write_value(&mut out, value).unwrap();
        let mut expected = b"head".to_vec();
        expected.extend(serde_json::to_vec(value).unwrap());
        prop_assert_eq!(String::from_utf8(out), String::from_utf8(expected));
        Ok(())
    }

    /// JSON values of every kind, nested.
    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(serde_json::Value::from),
            any::<String>().prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                prop::collection::btree_map(any::<String>(), inner, 0..4)
                    .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(384))]

        /// Every scalar, NaN and infinities included, and values around them, are written as
        /// serde_json writes them.
        #[test]
        fn values_agree_with_serde_json(
            integers in (any::<i64>(), any::<u64>(), any::<i128>(), any::<u128>(), any::<i8>()),
            floats in (any::<f64>(), any::<f32>()),
            text in any::<String>(),
            c in any::<char>(),
            option in any::<Option<Option<String>>>(),
            list in prop::collection::vec(any::<Option<f64>>(), 0..4),
            value in json_value(),
        ) {
            agrees(&integers.0)?;
            agrees(&integers.1)?;
            agrees(&integers.2)?;
            agrees(&integers.3)?;
            agrees(&integers.4)?;
            agrees(&floats.0)?;
            agrees(&floats.1)?;
            agrees(&text)?;
            agrees(&c)?;
            agrees(&option)?;
            agrees(&list)?;
            agrees(&value)?;
        }
    }
}
