//! The manifest `#[hub]` and `#[client]` generate: names, parameters, kinds, results, docs, the
//! schemas of the types, agreement with dispatch, and serving it (opt-in).

#![allow(missing_docs, unreachable_pub)]

mod support;

use futures_util::{Stream, stream};
use hub_runtime::Hub;
use hub_runtime::manifest::schemars::JsonSchema;
use hub_runtime::manifest::{Manifest, MethodKind};
use hub_runtime::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use support::*;

/// A point.
#[derive(Serialize, Deserialize, JsonSchema)]
#[schemars(crate = "hub_runtime::manifest::schemars")]
#[serde(rename_all = "camelCase")]
pub struct Point {
    /// Horizontal.
    pub x_pos: i32,
    /// Left out when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// What the server calls on clients.
#[hub_runtime::client]
pub trait ShapesClient {
    /// A point moved.
    async fn moved(&self, point: Point, by: &str);
    /// Asks for a number: a client result.
    async fn pick(&self, max: u32) -> u32;
}

/// The hub.
pub struct ShapesHub;

/// Shapes for everybody.
#[hub_runtime::hub(client = ShapesClient)]
impl ShapesHub {
    /// Adds two numbers.
    ///
    /// Second paragraph.
    pub fn add(&self, a: i32, b: i32) -> i32 {
        a + b
    }

    /// Fails or not.
    pub async fn check(&self, _ctx: &Ctx<Self>, point: Point) -> Result<(), HubError> {
        let _ = point;
        Ok(())
    }

    /// A value or an error.
    pub fn maybe(&self, value: Option<String>) -> Result<Option<String>, HubError> {
        Ok(value)
    }

    /// Renamed.
    #[hub(rename = "renamed_on_the_wire")]
    pub fn renamed(&self) {}

    /// Not callable by clients.
    #[hub(skip)]
    pub fn not_a_method(&self) {}

    /// Streams points.
    pub fn points(&self, count: u32) -> impl Stream<Item = Point> + use<> {
        stream::iter((0..count as i32).map(|x_pos| Point { x_pos, label: None }))
    }

    /// Streams or fails before starting; items may fail too.
    pub fn fallible_points(
        &self,
    ) -> Result<impl Stream<Item = Result<Point, HubError>> + use<>, HubError> {
        Ok(stream::empty())
    }

    /// Client streams follow the other parameters on the wire, wherever they are declared.
    pub async fn upload(
        &self,
        mut points: ClientStream<Point>,
        name: String,
        _ctx: &Ctx<Self>,
        mut labels: ClientStream<String>,
    ) -> usize {
        use futures_util::StreamExt;
        let _ = name;
        let mut n = 0;
        while points.next().await.is_some() {
            n += 1;
        }
        while labels.next().await.is_some() {
            n += 1;
        }
        n
    }
}

fn manifest_json() -> Value {
    serde_json::to_value(ShapesHub::manifest()).unwrap()
}

#[test]
fn hub_methods_names_params_kinds_results_and_docs() {
    let manifest = ShapesHub::manifest();
    assert_eq!(manifest.manifest_version, 1);
    let hub = &manifest.hubs[0];
    assert_eq!(hub.name, "ShapesHub");
    assert_eq!(hub.description.as_deref(), Some("Shapes for everybody."));
    assert_eq!(hub.client_name.as_deref(), Some("ShapesClient"));
    assert_eq!(hub.path, None);

    let names: Vec<&str> = hub.methods.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Add",
            "Check",
            "Maybe",
            "renamed_on_the_wire",
            "Points",
            "FalliblePoints",
            "Upload"
        ]
    );

    let json = manifest_json();
    let methods = &json["hubs"][0]["methods"];
    assert_eq!(
        methods[0],
        json!({
            "name": "Add",
            "rustName": "add",
            "description": "Adds two numbers.\n\nSecond paragraph.",
            "kind": "invoke",
            "params": [
                {"name": "a", "schema": {"type": "integer", "format": "int32"}},
                {"name": "b", "schema": {"type": "integer", "format": "int32"}}
            ],
            "result": {"type": "integer", "format": "int32"}
        })
    );
    // The context is not a parameter; `Result<(), E>` has no result.
    assert_eq!(
        methods[1]["params"],
        json!([{"name": "point", "schema": {"$ref": "#/$defs/Point"}}])
    );
    assert!(methods[1].get("result").is_none());
    // `Result<T, E>` describes `T`.
    assert_eq!(methods[2]["result"], json!({"type": ["string", "null"]}));
    assert_eq!(methods[3]["rustName"], "renamed");
    assert_eq!(methods[3]["params"], json!([]));

    // Streams describe their item, `Result` wrappers removed.
    assert_eq!(hub.methods[4].kind, MethodKind::Stream);
    assert_eq!(methods[4]["result"], json!({"$ref": "#/$defs/Point"}));
    assert_eq!(hub.methods[5].kind, MethodKind::Stream);
    assert_eq!(methods[5]["result"], json!({"$ref": "#/$defs/Point"}));

    // Client streams last, in declaration order, with their item schema.
    assert_eq!(hub.methods[6].kind, MethodKind::Invoke);
    assert_eq!(
        methods[6]["params"],
        json!([
            {"name": "name", "schema": {"type": "string"}},
            {"name": "points", "schema": {"$ref": "#/$defs/Point"}, "stream": true},
            {"name": "labels", "schema": {"type": "string"}, "stream": true}
        ])
    );
}

#[test]
fn client_methods_and_type_definitions() {
    let json = manifest_json();
    assert_eq!(
        json["hubs"][0]["clientMethods"],
        json!([
            {
                "name": "Moved",
                "rustName": "moved",
                "description": "A point moved.",
                "params": [
                    {"name": "point", "schema": {"$ref": "#/$defs/Point"}},
                    {"name": "by", "schema": {"type": "string"}}
                ]
            },
            {
                "name": "Pick",
                "rustName": "pick",
                "description": "Asks for a number: a client result.",
                "params": [
                    {"name": "max", "schema": {"type": "integer", "format": "uint32", "minimum": 0}}
                ],
                "result": {"type": "integer", "format": "uint32", "minimum": 0}
            }
        ])
    );
    // serde's renames, with the serialization contract: a field skipped when `None` is not
    // required.
    assert_eq!(
        json["$defs"]["Point"],
        json!({
            "description": "A point.",
            "type": "object",
            "properties": {
                "xPos": {"description": "Horizontal.", "type": "integer", "format": "int32"},
                "label": {"description": "Left out when absent.", "type": ["string", "null"]}
            },
            "required": ["xPos"]
        })
    );
}

/// One source of truth: the manifest lists exactly the methods dispatch binds, in the same
/// order, with the same argument and stream counts.
#[test]
fn the_manifest_agrees_with_dispatch() {
    let manifest = ShapesHub::manifest();
    let described = &manifest.hubs[0].methods;
    assert_eq!(described.len(), ShapesHub::METHODS.len());
    for (method, info) in described.iter().zip(ShapesHub::METHODS) {
        assert_eq!(method.name, info.name);
        let streams = method.params.iter().filter(|p| p.stream).count();
        assert_eq!(method.params.len() - streams, info.params, "{}", info.name);
        assert_eq!(streams, info.streams, "{}", info.name);
        assert_eq!(
            method.kind == MethodKind::Stream,
            info.streaming,
            "{}",
            info.name
        );
    }
}

#[test]
fn round_trips_through_json_and_matches_its_json_schema_shape() {
    let manifest = ShapesHub::manifest();
    let json = manifest.to_json_pretty();
    assert_eq!(Manifest::from_json(&json).unwrap(), manifest);
    let schema: Value = serde_json::from_str(hub_runtime::manifest::MANIFEST_JSON_SCHEMA).unwrap();
    assert_eq!(schema["properties"]["manifestVersion"]["const"], 1);
}

#[tokio::test]
async fn served_only_when_asked_with_the_hub_path() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = HubRouter::new("/hubs/shapes", ShapesHub).serve_manifest();
    let expected = served.manifest();
    assert_eq!(expected.hubs[0].path.as_deref(), Some("/hubs/shapes"));
    let app = axum::Router::new()
        .merge(served)
        .merge(HubRouter::new("/hubs/quiet", ShapesHub));
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let response = http(addr, "GET", "/hubs/shapes/manifest", &[], b"").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let manifest = Manifest::from_json(&response.text()).unwrap();
    assert_eq!(manifest, expected);

    assert_eq!(http_status(addr, "GET", "/hubs/quiet/manifest").await, 404);
    server.abort();
}
