//! The arguments array as serde_json reads it: each argument kept as its raw JSON text, nothing
//! copied.

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::protocol::message::{ArgumentValue, ArgumentValues};

/// The arguments array, each kept as its raw JSON text, nothing copied: what the general parser
/// reads.
pub(super) struct JsonArguments<'a>(pub(super) Vec<ArgumentValue<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for JsonArguments<'a> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_seq(Values::<Vec<_>>(std::marker::PhantomData))
            .map(JsonArguments)
    }
}

/// The same for the common Invocation: a few arguments are kept inline, with no allocation.
pub(super) struct InlineArguments<'a>(pub(super) ArgumentValues<'a>);

impl<'de> Deserialize<'de> for InlineArguments<'de> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_seq(Values::<ArgumentValues<'de>>(std::marker::PhantomData))
            .map(InlineArguments)
    }
}

/// Reads an array of raw values into `C`.
struct Values<C>(std::marker::PhantomData<C>);

impl<'de, C: Default + Extend<ArgumentValue<'de>>> serde::de::Visitor<'de> for Values<C> {
    type Value = C;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of arguments")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<C, A::Error> {
        let mut values = C::default();
        while let Some(value) = seq.next_element::<&'de RawValue>()? {
            values.extend(Some(ArgumentValue::Json(value.get())));
        }
        Ok(values)
    }
}
