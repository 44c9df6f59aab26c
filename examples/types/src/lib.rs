//! The types example: `/hubs/types`, a hub whose methods send every construct of the codegen
//! type mapping (docs/codegen.md) back to the caller, so generated clients can prove that each
//! one survives the trip.
//!
//! The binary serves [`hub`].

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use futures_util::{Stream, StreamExt, stream};
use hub_runtime::prelude::*;
use hub_runtime::{Binary, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One value of every construct the code generators map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Everything {
    /// A string.
    pub name: String,
    /// `Option` without `#[serde(default)]`: always present, `null` when absent.
    pub nickname: Option<String>,
    /// `Option` that is left out of the JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motto: Option<String>,
    /// Small integers.
    pub small: u8,
    /// A signed 16-bit integer.
    pub medium: i16,
    /// A 32-bit integer.
    pub count: i32,
    /// A 32-bit unsigned integer.
    pub flags: u32,
    /// A 64-bit integer whose range is declared within JavaScript's safe integers.
    #[schemars(range(min = -9_007_199_254_740_991_i64, max = 9_007_199_254_740_991_i64))]
    pub big: i64,
    /// A 32-bit float.
    pub ratio: f32,
    /// A 64-bit float.
    pub precise: f64,
    /// A boolean.
    pub active: bool,
    /// A character (a one-character string).
    pub initial: char,
    /// A unit enum: strings on the wire.
    pub color: Color,
    /// A list of unit enums.
    pub palette: Vec<Color>,
    /// An externally tagged enum with data (serde's default).
    pub shape: Shape,
    /// An internally tagged enum.
    pub event: Event,
    /// An adjacently tagged enum.
    pub message: Message,
    /// An untagged enum.
    pub amount: Amount,
    /// A string-keyed map.
    pub scores: HashMap<String, i32>,
    /// An integer-keyed map (keys are strings in JSON).
    pub by_id: BTreeMap<u32, String>,
    /// A pair.
    pub pair: (i32, String),
    /// A fixed-size array.
    pub rgb: [u8; 3],
    /// Nested structs.
    pub address: Address,
    /// A recursive type.
    pub tree: Tree,
    /// Any JSON.
    pub extra: serde_json::Value,
    /// A date and time, RFC 3339 (a string in MessagePack too).
    pub created: DateTime<Utc>,
    /// Bytes: an array of numbers in JSON (and in MessagePack).
    pub payload: Vec<u8>,
    /// Bytes and dates in each protocol's own form.
    pub attachment: Attachment,
    /// A field renamed on its own.
    #[serde(rename = "legacy_code")]
    pub code: String,
    /// Never on the wire.
    #[serde(skip)]
    pub cache: Option<String>,
    /// Fields of another struct, inline.
    #[serde(flatten)]
    pub audit: Audit,
    /// A newtype struct: the wrapped value on the wire.
    pub distance: Meters,
    /// An optional nested enum.
    pub maybe_shape: Option<Shape>,
    /// A list of optional values.
    pub sparse: Vec<Option<i32>>,
}

/// A file, with bytes and dates in each protocol's own form: base64 and RFC 3339 strings in JSON,
/// bin and timestamps in MessagePack (`Uint8Array` and `Date` for the JavaScript client).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// The file name.
    pub name: String,
    /// The contents.
    pub data: Binary,
    /// When it was sent.
    pub sent_at: Timestamp<DateTime<Utc>>,
    /// A preview, in a `bytes::Bytes` buffer.
    pub thumbnail: Option<Binary<Bytes>>,
    /// When it was read, as a `time::OffsetDateTime`.
    pub read_at: Option<Timestamp<OffsetDateTime>>,
}

impl Attachment {
    /// The attachment [`TypesHub::sample_attachment`] returns: `sample.bin`, bytes 1, 2, 3,
    /// sent at 2000-01-01T00:00:00Z, thumbnail 0xff 0x00, read half a second later.
    pub fn sample() -> Self {
        let sent_at = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap();
        let read_at = OffsetDateTime::from_unix_timestamp(sent_at.timestamp()).unwrap()
            + time::Duration::milliseconds(500);
        Attachment {
            name: String::from("sample.bin"),
            data: Binary(vec![1, 2, 3]),
            sent_at: Timestamp(sent_at),
            thumbnail: Some(Binary(Bytes::from_static(&[0xff, 0x00]))),
            read_at: Some(Timestamp(read_at)),
        }
    }
}

/// Colours, kebab-case on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Color {
    /// `"dark-red"`.
    DarkRed,
    /// `"green"`.
    Green,
    /// `"sky-blue"`.
    SkyBlue,
}

/// An externally tagged enum: `"Point"`, `{"Circle": {..}}`, `{"Label": ".."}`, `{"Line": [..]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub enum Shape {
    /// A unit variant.
    Point,
    /// A struct variant.
    Circle {
        /// The radius.
        radius: f64,
    },
    /// A newtype variant.
    Label(String),
    /// A tuple variant.
    Line(i32, i32),
}

/// An internally tagged enum: `{"kind": "joined", ..fields}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A unit variant: only the tag.
    Started,
    /// A struct variant.
    Joined {
        /// Who joined.
        user: String,
        /// Where.
        room: Option<String>,
    },
    /// A newtype variant around a struct: its fields beside the tag.
    Moved(Address),
}

/// An adjacently tagged enum: `{"type": "Text", "data": ..}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum Message {
    /// No content.
    Ping,
    /// A string.
    Text(String),
    /// A struct.
    Move {
        /// Horizontal.
        x: i32,
        /// Vertical.
        y: i32,
    },
    /// A tuple.
    Pair(u8, bool),
}

/// An untagged enum: the first variant that matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Amount {
    /// A number.
    Exact(f64),
    /// A string.
    Text(String),
    /// An object.
    Range {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// Street and number.
    pub street: String,
    /// Postal code.
    pub postal_code: String,
}

/// A tree of integers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Tree {
    /// This node's value.
    pub value: i32,
    /// The subtrees.
    pub children: Vec<Tree>,
}

/// Audit fields, flattened into [`Everything`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Audit {
    /// Who changed it last.
    pub updated_by: String,
    /// The revision.
    pub revision: u32,
}

/// A distance in meters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Meters(pub f64);

/// What the server calls on types clients.
#[hub_runtime::client]
pub trait TypesClient {
    /// The value the caller sent to [`TypesHub::broadcast_everything`].
    async fn receive_everything(&self, value: Everything);
    /// Asks the client to transform a shape: a client result.
    async fn transform_shape(&self, shape: Shape) -> Shape;
}

/// The types hub: every method sends back what it got.
pub struct TypesHub;

/// Each method returns what it was sent, so a client can compare.
#[hub_runtime::hub(client = TypesClient)]
impl TypesHub {
    /// Returns its argument.
    pub fn echo_everything(&self, value: Everything) -> Everything {
        value
    }

    /// Returns its argument.
    pub fn echo_shape(&self, shape: Shape) -> Shape {
        shape
    }

    /// Returns its argument.
    pub fn echo_event(&self, event: Event) -> Event {
        event
    }

    /// Returns its argument.
    pub fn echo_message(&self, message: Message) -> Message {
        message
    }

    /// Returns its argument.
    pub fn echo_amount(&self, amount: Amount) -> Amount {
        amount
    }

    /// Returns its argument.
    pub fn echo_color(&self, color: Color) -> Color {
        color
    }

    /// Returns its argument; `null` stays `null`.
    pub fn echo_optional(&self, value: Option<String>) -> Option<String> {
        value
    }

    /// Returns its arguments as a tuple.
    pub fn echo_pair(&self, number: i32, text: String) -> (i32, String) {
        (number, text)
    }

    /// Returns its argument.
    pub fn echo_tree(&self, tree: Tree) -> Tree {
        tree
    }

    /// Returns its argument.
    pub fn echo_map(&self, map: HashMap<String, Vec<Address>>) -> HashMap<String, Vec<Address>> {
        map
    }

    /// Returns its argument.
    pub fn echo_json(&self, value: serde_json::Value) -> serde_json::Value {
        value
    }

    /// Returns its argument.
    pub fn echo_date(&self, date: DateTime<Utc>) -> DateTime<Utc> {
        date
    }

    /// Returns its argument.
    pub fn echo_attachment(&self, attachment: Attachment) -> Attachment {
        attachment
    }

    /// An attachment the server made: [`Attachment::sample`].
    pub fn sample_attachment(&self) -> Attachment {
        Attachment::sample()
    }

    /// Whether the argument equals [`Attachment::sample`], as the server read it.
    pub fn is_sample_attachment(&self, attachment: Attachment) -> bool {
        attachment == Attachment::sample()
    }

    /// Returns its argument, and fails with a HubException when it exceeds `limit`.
    pub fn checked(&self, value: i32, limit: i32) -> Result<i32, HubError> {
        if value > limit {
            return Err(HubError::new(format!("{value} exceeds {limit}")));
        }
        Ok(value)
    }

    /// Sends `value` to every client's `ReceiveEverything`, the caller included.
    pub async fn broadcast_everything(&self, ctx: &Ctx<Self>, value: Everything) {
        ctx.clients().all().receive_everything(value).await;
    }

    /// Asks the caller to transform `shape` and returns its answer.
    pub async fn transform_by_caller(
        &self,
        ctx: &Ctx<Self>,
        shape: Shape,
    ) -> Result<Shape, HubError> {
        ctx.clients()
            .caller()
            .transform_shape(shape)
            .await
            .map_err(|err| HubError::new(err.to_string()))
    }

    /// Streams each shape back, in order.
    pub fn stream_shapes(&self, shapes: Vec<Shape>) -> impl Stream<Item = Shape> + use<> {
        stream::iter(shapes)
    }

    /// Collects the uploaded shapes.
    pub async fn collect_shapes(
        &self,
        mut shapes: ClientStream<Shape>,
    ) -> Result<Vec<Shape>, HubError> {
        let mut collected = Vec::new();
        while let Some(shape) = shapes.next().await {
            collected.push(shape?);
        }
        Ok(collected)
    }
}

/// The types hub's router with `options`, serving its manifest.
pub fn hub(options: HubOptions) -> HubRouter<TypesHub> {
    HubRouter::new("/hubs/types", TypesHub)
        .options(options)
        .serve_manifest()
}
