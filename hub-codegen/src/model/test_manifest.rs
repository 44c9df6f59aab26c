//! The manifest the model's tests read: one hub with one method.

use serde_json::{Value, json};

use super::error::Error;
use super::types::{Model, Ty};

/// A manifest with one hub whose method `Echo` takes and returns `schema`, read.
pub(super) fn model(schema: Value, defs: Value) -> Result<Model, Error> {
    let manifest = json!({
        "manifestVersion": 1,
        "hubs": [{
            "name": "TestHub",
            "methods": [{
                "name": "Echo", "rustName": "echo", "kind": "invoke",
                "params": [{"name": "value", "schema": schema.clone()}],
                "result": schema
            }],
            "clientMethods": []
        }],
        "$defs": defs
    });
    Model::from_manifest(&serde_json::from_value(manifest).unwrap())
}

/// The type `Echo` takes, for `schema`.
pub(super) fn param_type(schema: Value, defs: Value) -> Ty {
    model(schema, defs).unwrap().hubs[0].methods[0].params[0]
        .ty
        .clone()
}

/// Asserts that reading `schema` fails at `location` with a message that contains `message`.
pub(super) fn assert_refused(schema: Value, defs: Value, location: &str, message: &str) {
    let err = model(schema, defs).unwrap_err();
    assert_eq!(err.location, location, "{err}");
    assert!(err.message.contains(message), "{err}");
}
