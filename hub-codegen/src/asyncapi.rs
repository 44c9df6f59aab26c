//! An AsyncAPI 3.0 document of the hubs of a manifest: a channel per hub (its path, with a
//! WebSockets binding), the hub's methods as `receive` operations (with a `reply` where the
//! client gets a result), the client methods as `send` operations, and the manifest's types as
//! component schemas.
//!
//! Every message is a SignalR JSON hub protocol message: an Invocation (`type` 1, `target`, the
//! `arguments` as a tuple), a StreamInvocation (`type` 4) for server streams, and a Completion
//! (`type` 3) or StreamItem (`type` 2) for what comes back. What AsyncAPI has no words for is
//! said in extensions: `x-signalr-stream` (`server`: the reply is a stream of items;
//! `client`: the parameters named in `x-signalr-client-streams` are uploaded as streams),
//! `x-signalr-client-result` (a client method whose caller waits for the client's answer) and
//! `x-signalr-authorize` (the manifest's authorization requirements).

use hub_schema::{ClientMethod, HubManifest, HubMethod, Manifest, MethodKind, Param};
use serde_json::{Map, Value, json};

use crate::File;

/// The document, as `asyncapi.json`.
pub fn generate(manifest: &Manifest) -> File {
    let mut channels = Map::new();
    let mut operations = Map::new();
    for hub in &manifest.hubs {
        let mut messages = Map::new();
        for method in &hub.methods {
            hub_method(hub, method, &mut messages, &mut operations);
        }
        for method in &hub.client_methods {
            client_method(hub, method, &mut messages, &mut operations);
        }
        let mut channel = json!({
            "address": hub.path.clone().unwrap_or_else(|| format!("/{}", hub.name)),
            "title": hub.name,
            "messages": messages,
            "bindings": { "ws": { "bindingVersion": "0.1.0" } },
        });
        if let Some(description) = &hub.description {
            channel["description"] = json!(description);
        }
        if !hub.authorize.is_empty() {
            channel["x-signalr-authorize"] = json!(hub.authorize);
        }
        channels.insert(hub.name.clone(), channel);
    }
    let schemas: Map<String, Value> = manifest
        .definitions
        .iter()
        .map(|(name, schema)| (name.clone(), references(schema.clone())))
        .collect();
    let title = match manifest.hubs.as_slice() {
        [hub] => hub.name.clone(),
        _ => "Hubs".to_owned(),
    };
    let document = json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": title,
            "version": format!("manifest {}", manifest.manifest_version),
            "description": "SignalR hubs (JSON hub protocol), from their hub-runtime manifest.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": { "schemas": schemas },
    });
    let mut contents =
        serde_json::to_string_pretty(&document).expect("a JSON value always serializes");
    contents.push('\n');
    File {
        path: "asyncapi.json".to_owned(),
        contents,
    }
}

fn hub_method(
    hub: &HubManifest,
    method: &HubMethod,
    messages: &mut Map<String, Value>,
    operations: &mut Map<String, Value>,
) {
    let streaming = method.kind == MethodKind::Stream;
    let uploads: Vec<&str> = method
        .params
        .iter()
        .filter(|param| param.stream)
        .map(|param| param.name.as_str())
        .collect();
    let call = format!("{}.call", method.name);
    messages.insert(
        call.clone(),
        invocation(
            if streaming { 4 } else { 1 },
            &method.name,
            &method.params,
            method.description.as_deref(),
            // The client waits for an answer unless it only sends.
            true,
        ),
    );
    let mut operation = json!({
        "action": "receive",
        "channel": { "$ref": format!("#/channels/{}", hub.name) },
        "messages": [{ "$ref": format!("#/channels/{}/messages/{call}", hub.name) }],
        "summary": method.description.clone().unwrap_or_else(|| format!("Calls `{}` on the hub.", method.name)),
    });
    let reply = format!(
        "{}.{}",
        method.name,
        if streaming { "item" } else { "completion" }
    );
    let reply_message = if streaming {
        json!({
            "name": reply,
            "title": format!("An item of {}", method.name),
            "payload": {
                "type": "object",
                "required": ["type", "invocationId", "item"],
                "properties": {
                    "type": { "const": 2 },
                    "invocationId": { "type": "string" },
                    "item": schema(method.result.clone()),
                },
            },
        })
    } else {
        completion(&method.name, method.result.clone())
    };
    messages.insert(reply.clone(), reply_message);
    operation["reply"] = json!({
        "channel": { "$ref": format!("#/channels/{}", hub.name) },
        "messages": [{ "$ref": format!("#/channels/{}/messages/{reply}", hub.name) }],
    });
    if streaming {
        operation["x-signalr-stream"] = json!("server");
    }
    if !uploads.is_empty() {
        operation["x-signalr-stream"] = json!("client");
        operation["x-signalr-client-streams"] = json!(uploads);
    }
    if !method.authorize.is_empty() {
        operation["x-signalr-authorize"] = json!(method.authorize);
    }
    operations.insert(format!("{}.{}", hub.name, method.name), operation);
}

fn client_method(
    hub: &HubManifest,
    method: &ClientMethod,
    messages: &mut Map<String, Value>,
    operations: &mut Map<String, Value>,
) {
    let name = format!("client.{}", method.name);
    messages.insert(
        name.clone(),
        invocation(
            1,
            &method.name,
            &method.params,
            method.description.as_deref(),
            method.result.is_some(),
        ),
    );
    let mut operation = json!({
        "action": "send",
        "channel": { "$ref": format!("#/channels/{}", hub.name) },
        "messages": [{ "$ref": format!("#/channels/{}/messages/{name}", hub.name) }],
        "summary": method.description.clone().unwrap_or_else(|| format!("The server calls `{}` on clients.", method.name)),
    });
    if let Some(result) = &method.result {
        let reply = format!("client.{}.completion", method.name);
        messages.insert(
            reply.clone(),
            completion(&method.name, Some(result.clone())),
        );
        operation["reply"] = json!({
            "channel": { "$ref": format!("#/channels/{}", hub.name) },
            "messages": [{ "$ref": format!("#/channels/{}/messages/{reply}", hub.name) }],
        });
        operation["x-signalr-client-result"] = json!(true);
    }
    operations.insert(format!("{}.client.{}", hub.name, method.name), operation);
}

/// An Invocation (`kind` 1) or StreamInvocation (4) of `target`.
fn invocation(
    kind: u8,
    target: &str,
    params: &[Param],
    description: Option<&str>,
    with_id: bool,
) -> Value {
    let items: Vec<Value> = params
        .iter()
        .filter(|param| !param.stream)
        .map(|param| {
            let mut schema = references(param.schema.clone());
            if let Value::Object(object) = &mut schema {
                object.entry("title").or_insert_with(|| json!(param.name));
            }
            schema
        })
        .collect();
    let count = items.len();
    // A tuple in JSON Schema draft 07, which AsyncAPI schemas extend (an empty one has no
    // `items` at all: the draft wants a non-empty array there).
    let mut arguments = json!({ "type": "array", "minItems": count, "maxItems": count });
    if count > 0 {
        arguments["items"] = json!(items);
        arguments["additionalItems"] = json!(false);
    }
    let mut properties = json!({
        "type": { "const": kind },
        "target": { "const": target },
        "arguments": arguments,
    });
    let mut required = vec!["type", "target", "arguments"];
    if with_id {
        properties["invocationId"] = json!({ "type": "string" });
        if kind == 4 {
            required.push("invocationId");
        }
    }
    if params.iter().any(|param| param.stream) {
        properties["streamIds"] = json!({ "type": "array", "items": { "type": "string" } });
        required.push("streamIds");
    }
    let mut message = json!({
        "name": target,
        "payload": { "type": "object", "required": required, "properties": properties },
    });
    if let Some(description) = description {
        message["description"] = json!(description);
    }
    message
}

/// The Completion of a call of `target`, with its result if any.
fn completion(target: &str, result: Option<Value>) -> Value {
    let mut properties = json!({
        "type": { "const": 3 },
        "invocationId": { "type": "string" },
        "error": { "type": "string" },
    });
    if let Some(result) = result {
        properties["result"] = references(result);
    }
    json!({
        "name": format!("{target}.completion"),
        "title": format!("The completion of {target}"),
        "payload": {
            "type": "object",
            "required": ["type", "invocationId"],
            "properties": properties,
        },
    })
}

fn schema(value: Option<Value>) -> Value {
    value.map(references).unwrap_or_else(|| json!({}))
}

/// The schema with the manifest's `#/$defs/X` references pointing at the component schemas.
fn references(value: Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .map(|(key, value)| match (key.as_str(), value) {
                    ("$ref", Value::String(target)) => {
                        let target = match target.strip_prefix("#/$defs/") {
                            Some(name) => format!("#/components/schemas/{name}"),
                            None => target,
                        };
                        (key, Value::String(target))
                    }
                    (_, value) => (key, references(value)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(references).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_point_at_component_schemas() {
        let schema = json!({"items": {"$ref": "#/$defs/Point"}, "oneOf": [{"$ref": "#/$defs/A"}]});
        assert_eq!(
            references(schema),
            json!({"items": {"$ref": "#/components/schemas/Point"}, "oneOf": [{"$ref": "#/components/schemas/A"}]})
        );
    }
}
