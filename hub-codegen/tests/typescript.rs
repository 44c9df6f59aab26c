//! The TypeScript backend: golden clients of the example hubs (`examples/clients/typescript/`),
//! focused goldens of each construct of the mapping, the errors, and `tsc --strict` over the
//! output.
//!
//! `UPDATE_EXPECT=1 cargo test -p hub-codegen --test typescript` rewrites the goldens (inline
//! ones and the committed clients, whose stale files it deletes).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use expect_test::{Expect, expect};
use hub_codegen::typescript::{self, Int64, Options, Protocol};
use hub_codegen::{Error, File, Model};
use hub_runtime::HubOptions;
use hub_schema::Manifest;
use serde_json::{Value, json};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

fn generate_with(manifest: &Manifest, options: &Options) -> Result<Vec<File>, Error> {
    typescript::generate(&Model::from_manifest(manifest)?, options)
}

fn generate(manifest: &Manifest) -> Vec<File> {
    generate_with(manifest, &Options::default()).unwrap_or_else(|err| panic!("{err}"))
}

// ---------------------------------------------------------------------------------------------
// Golden clients of the example hubs
// ---------------------------------------------------------------------------------------------

/// Compares `files` with the directory `dir` (every file in it); with `UPDATE_EXPECT` set,
/// rewrites it instead.
fn assert_dir(dir: &Path, files: &[File]) {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut problems = Vec::new();
    let expected: BTreeSet<&str> = files.iter().map(|file| file.path.as_str()).collect();
    for file in files {
        let path = dir.join(&file.path);
        let committed = std::fs::read_to_string(&path).ok();
        if committed.as_deref() == Some(file.contents.as_str()) {
            continue;
        }
        if update {
            std::fs::create_dir_all(path.parent().expect("a parent"))
                .expect("create the directory");
            std::fs::write(&path, &file.contents).expect("write a golden file");
            continue;
        }
        match committed {
            None => problems.push(format!("{} is missing", path.display())),
            Some(committed) => problems.push(format!(
                "{} differs from the generated file (- committed, + generated):\n{}",
                path.display(),
                diff(&committed, &file.contents)
            )),
        }
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries {
            let entry = entry.expect("a directory entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            if !expected.contains(name.as_str()) {
                if update {
                    std::fs::remove_file(entry.path()).expect("remove a stale file");
                } else {
                    problems.push(format!(
                        "{} is not generated any more (stale)",
                        entry.path().display()
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n\nIf the change is intended, run `UPDATE_EXPECT=1 cargo test -p hub-codegen --test typescript`.",
        problems.join("\n\n")
    );
}

/// A line diff of `old` and `new` (longest common subsequence), changed lines with 2 lines of
/// context.
fn diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, usize, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', i + 1, a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            ops.push(('+', j + 1, b[j]));
            j += 1;
        } else {
            ops.push(('-', i + 1, a[i]));
            i += 1;
        }
    }
    let near = |index: usize| {
        ops[index.saturating_sub(2)..(index + 3).min(ops.len())]
            .iter()
            .any(|(kind, _, _)| *kind != ' ')
    };
    let mut out = String::new();
    let mut skipped = false;
    for (index, (kind, number, text)) in ops.iter().enumerate() {
        if near(index) {
            if skipped {
                out.push_str("    ...\n");
                skipped = false;
            }
            out.push_str(&format!("{kind}{number:>4} {text}\n"));
        } else {
            skipped = true;
        }
    }
    out
}

/// The chat example's manifest, as `chat --print-manifest` prints it (with the hub's path).
fn chat_manifest() -> Manifest {
    chat::hub(HubOptions::default()).manifest()
}

/// The types example's manifest, as `types --print-manifest` prints it (with the hub's path).
fn types_manifest() -> Manifest {
    types::hub(HubOptions::default()).manifest()
}

#[test]
fn chat_client_is_committed() {
    let files = generate(&chat_manifest());
    assert_dir(&repo().join("examples/clients/typescript/chat"), &files);
}

/// The dashboard example's client, which its page is written against: the page's bundle is
/// built from these files (`examples/dashboard/web`, `npm run check` there checks the bundle).
#[test]
fn dashboard_client_is_committed() {
    let hub = dashboard::hub(Default::default(), HubOptions::default());
    let files = generate(&hub.manifest());
    assert_dir(&repo().join("examples/dashboard/web/src/hub"), &files);
}

#[test]
fn types_client_is_committed() {
    let files = generate(&types_manifest());
    assert_dir(&repo().join("examples/clients/typescript/types"), &files);
}

/// The same hub for MessagePack clients: `types.ts` differs, where `Timestamp` and `Binary`
/// values are `Date` and `Uint8Array`, and the connection factory sets the MessagePack protocol;
/// the rest is the same.
#[test]
fn types_messagepack_client_is_committed() {
    let options = Options {
        protocol: Protocol::MessagePack,
        ..Options::default()
    };
    let files = generate_with(&types_manifest(), &options).unwrap();
    assert_dir(
        &repo().join("examples/clients/typescript/types-messagepack"),
        &files,
    );
    let json = generate(&types_manifest());
    for (file, json) in files.iter().zip(&json) {
        assert_eq!(file.path, json.path);
        assert_eq!(
            file.contents == json.contents,
            !["types.ts", "types-hub.ts"].contains(&file.path.as_str()),
            "{}",
            file.path
        );
    }
    let hub = file(&files, "types-hub.ts");
    let json_hub = file(&json, "types-hub.ts");
    let proxy = |text: &str| text[text.find("export class").expect("a proxy")..].to_owned();
    assert_eq!(proxy(&hub), proxy(&json_hub));
    for messagepack_only in [
        "import { MessagePackHubProtocol } from \"@microsoft/signalr-protocol-msgpack\";\n",
        "  builder.withHubProtocol(new MessagePackHubProtocol());\n",
    ] {
        assert!(hub.contains(messagepack_only), "{hub}");
        assert!(!json_hub.contains(messagepack_only), "{json_hub}");
    }
}

#[test]
fn generated_code_has_no_any() {
    for manifest in [chat_manifest(), types_manifest(), edge_manifest()] {
        let options = Options {
            int64: Int64::Number,
            ..Options::default()
        };
        for file in generate_with(&manifest, &options).unwrap() {
            for (number, line) in file.contents.lines().enumerate() {
                let code = line.trim_start();
                if code.starts_with("//") || code.starts_with("/*") || code.starts_with('*') {
                    continue;
                }
                let words =
                    code.split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '$'));
                assert!(
                    !words.clone().any(|word| word == "any"),
                    "{}:{}: `any` in {line:?}",
                    file.path,
                    number + 1
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Focused goldens
// ---------------------------------------------------------------------------------------------

/// A manifest with hub `TestHub` (methods and client methods as given) and `$defs`.
fn manifest(methods: Value, client_methods: Value, defs: Value) -> Manifest {
    serde_json::from_value(json!({
        "manifestVersion": 1,
        "hubs": [{
            "name": "TestHub",
            "clientName": "TestClient",
            "methods": methods,
            "clientMethods": client_methods
        }],
        "$defs": defs
    }))
    .expect("a manifest")
}

/// One method `Echo(value)` of this schema, returning it.
fn echo(schema: Value) -> Value {
    json!([{
        "name": "Echo", "rustName": "echo", "kind": "invoke",
        "params": [{"name": "value", "schema": schema.clone()}],
        "result": schema
    }])
}

fn file(files: &[File], path: &str) -> String {
    files
        .iter()
        .find(|file| file.path == path)
        .unwrap_or_else(|| panic!("no {path}"))
        .contents
        .clone()
}

/// `types.ts` of these definitions (each used by a method), without the header.
fn types_ts(defs: Value) -> String {
    types_ts_with(defs, &Options::default())
}

/// The files for these definitions (each used by a method).
fn files_with(defs: &Value, options: &Options) -> Vec<File> {
    let methods: Vec<Value> = defs
        .as_object()
        .expect("definitions")
        .keys()
        .map(|name| {
            json!({
                "name": format!("Echo{name}"), "rustName": "echo", "kind": "invoke",
                "params": [{"name": "value", "schema": {"$ref": format!("#/$defs/{name}")}}]
            })
        })
        .collect();
    generate_with(&manifest(json!(methods), json!([]), defs.clone()), options)
        .unwrap_or_else(|err| panic!("{err}"))
}

/// `types.ts` of these definitions with `options`, without the header (and the protocol note).
fn types_ts_with(defs: Value, options: &Options) -> String {
    let text = strip_header(&file(&files_with(&defs, options), "types.ts"));
    match text.strip_prefix("// For the MessagePack hub protocol") {
        Some(rest) => rest
            .split_once('\n')
            .expect("a note")
            .1
            .trim_start()
            .to_owned(),
        None => text,
    }
}

fn strip_header(text: &str) -> String {
    text.split_once('\n')
        .expect("a header")
        .1
        .trim_start()
        .to_owned()
}

fn check_types(defs: Value, expected: Expect) {
    expected.assert_eq(&types_ts(defs));
}

#[test]
fn struct_fields_optional_nullable_and_quoted() {
    check_types(
        json!({"User": {
            "description": "A user.",
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "Their name.\nSecond line: `*/` is escaped."},
                "nickname": {"type": ["string", "null"]},
                "motto": {"type": ["string", "null"]},
                "age": {"type": "integer", "format": "uint8"},
                "legacy_code": {"type": "string"},
                "a-b": {"type": "boolean"},
                "$id": {"type": "number"},
                "1st": {"type": "string"}
            },
            "required": ["name", "nickname", "age", "legacy_code", "a-b", "$id", "1st"]
        }, "Empty": {"type": "object", "properties": {}}}),
        expect![[r#"
            /** A user. */
            export interface User {
              /**
               * Their name.
               * Second line: `*\/` is escaped.
               */
              name: string;
              nickname: string | null;
              motto?: string | null;
              age: number;
              legacy_code: string;
              "a-b": boolean;
              $id: number;
              "1st": string;
            }

            export interface Empty {}
        "#]],
    );
}

#[test]
fn primitives_and_containers() {
    check_types(
        json!({"All": {
            "type": "object",
            "properties": {
                "any": true,
                "unit": {"type": "null"},
                "flag": {"type": "boolean"},
                "int": {"type": "integer", "format": "int32"},
                "safe64": {"type": "integer", "format": "int64", "minimum": -9_007_199_254_740_991_i64, "maximum": 9_007_199_254_740_991_i64},
                "float": {"type": "number", "format": "float"},
                "text": {"type": "string"},
                "when": {"type": "string", "format": "date-time"},
                "list": {"type": "array", "items": {"type": "string"}},
                "nested": {"type": "array", "items": {"type": "array", "items": {"type": ["integer", "null"], "format": "int32"}}},
                "pair": {"type": "array", "prefixItems": [{"type": "integer", "format": "int32"}, {"type": "string"}], "minItems": 2, "maxItems": 2},
                "map": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
                "maybeMap": {"type": ["object", "null"], "additionalProperties": {"type": "boolean"}},
                "dates": {"type": "array", "items": {"type": "string", "format": "date-time"}}
            },
            "required": ["any", "unit", "flag", "int", "safe64", "float", "text", "when", "list", "nested", "pair", "map", "maybeMap", "dates"]
        }}),
        expect![[r#"
            export interface All {
              any: unknown;
              unit: null;
              flag: boolean;
              int: number;
              safe64: number;
              float: number;
              text: string;
              /** Dates and times are RFC 3339 strings, such as `2024-05-01T12:00:00Z`. */
              when: string;
              list: string[];
              nested: (number | null)[][];
              pair: [number, string];
              map: Record<string, string[]>;
              maybeMap: Record<string, boolean> | null;
              /** Dates and times are RFC 3339 strings, such as `2024-05-01T12:00:00Z`. */
              dates: string[];
            }
        "#]],
    );
}

/// Bytes and dates: `hub_runtime::Binary` and `Timestamp` (marked with `x-messagepack`) and
/// unmarked base64 and date-time strings.
fn wire_defs() -> Value {
    json!({"Wire": {
        "type": "object",
        "properties": {
            "at": {"type": "string", "format": "date-time", "x-messagepack": "timestamp"},
            "textAt": {"type": "string", "format": "date-time"},
            "data": {"type": "string", "format": "byte", "contentEncoding": "base64", "x-messagepack": "bin"},
            "base64": {"type": "string", "contentEncoding": "base64"},
            "numbers": {"type": "array", "items": {"type": "integer", "format": "uint8", "minimum": 0, "maximum": 255}},
            "maybeAt": {"type": ["string", "null"], "format": "date-time", "x-messagepack": "timestamp"},
            "chunks": {"type": "array", "items": {"type": "string", "contentEncoding": "base64", "x-messagepack": "bin"}}
        },
        "required": ["at", "textAt", "data", "base64", "numbers", "maybeAt", "chunks"]
    }})
}

fn messagepack() -> Options {
    Options {
        protocol: Protocol::MessagePack,
        ..Options::default()
    }
}

#[test]
fn bytes_and_dates_are_strings_with_json() {
    check_types(
        wire_defs(),
        expect![[r#"
            export interface Wire {
              /** Dates and times are RFC 3339 strings, such as `2024-05-01T12:00:00Z`. */
              at: string;
              /** Dates and times are RFC 3339 strings, such as `2024-05-01T12:00:00Z`. */
              textAt: string;
              /** Bytes are base64 strings. */
              data: string;
              /** Bytes are base64 strings. */
              base64: string;
              numbers: number[];
              /** Dates and times are RFC 3339 strings, such as `2024-05-01T12:00:00Z`. */
              maybeAt: string | null;
              /** Bytes are base64 strings. */
              chunks: string[];
            }
        "#]],
    );
}

#[test]
fn binary_and_timestamps_are_uint8_arrays_and_dates_with_messagepack() {
    // What MessagePack carries as bin and timestamps only; unmarked strings stay strings.
    expect![[r#"
        export interface Wire {
          /** Dates and times are `Date`s (MessagePack timestamps): JavaScript keeps milliseconds. */
          at: Date;
          /** Dates and times are RFC 3339 strings, such as `2024-05-01T12:00:00Z`. */
          textAt: string;
          data: Uint8Array;
          /** Bytes are base64 strings. */
          base64: string;
          numbers: number[];
          /** Dates and times are `Date`s (MessagePack timestamps): JavaScript keeps milliseconds. */
          maybeAt: Date | null;
          chunks: Uint8Array[];
        }
    "#]]
    .assert_eq(&types_ts_with(wire_defs(), &messagepack()));
    let files = files_with(&wire_defs(), &messagepack());
    assert!(
        file(&files, "types.ts")
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("// For the MessagePack hub protocol")
    );
    // A type of the manifest named `Date` or `Uint8Array` does not hide the global ones.
    let mut defs = wire_defs();
    defs["Date"] = json!({"type": "object", "properties": {"day": {"type": "integer", "format": "uint8"}}, "required": ["day"]});
    defs["Uint8Array"] = json!({"type": "string", "enum": ["a"]});
    let text = types_ts_with(defs, &messagepack());
    assert!(text.contains("  at: globalThis.Date;\n"), "{text}");
    assert!(text.contains("  data: globalThis.Uint8Array;\n"), "{text}");
    assert!(text.contains("export interface Date {"), "{text}");
}

/// The MessagePack output of [`wire_defs`], with types named `Date` and `Uint8Array`, compiles
/// and takes `Date`s and `Uint8Array`s.
#[test]
fn binary_and_timestamps_type_check_with_messagepack() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("typescript-messagepack");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut defs = wire_defs();
    defs["Date"] = json!({"type": "object", "properties": {"day": {"type": "integer", "format": "uint8"}}, "required": ["day"]});
    for file in files_with(&defs, &messagepack()) {
        std::fs::write(dir.join(&file.path), file.contents).unwrap();
    }
    std::fs::write(
        dir.join("usage.ts"),
        r#"import { TestHubProxy, type Date as DateDto, type Wire } from "./index.js";

export const wire: Wire = {
  at: new Date(0),
  textAt: "2000-01-01T00:00:00Z",
  data: new Uint8Array([1, 2, 3]),
  base64: "AQID",
  numbers: [1, 2, 3],
  maybeAt: null,
  chunks: [new Uint8Array()],
};
export const day: DateDto = { day: 1 };
export async function echo(proxy: TestHubProxy): Promise<number> {
  await proxy.echoWire(wire);
  return wire.at.getTime() + wire.data.byteLength;
}
// @ts-expect-error: a timestamp is a Date
export const wrong: Wire = { ...wire, at: "2000-01-01T00:00:00Z" };
"#,
    )
    .unwrap();
    std::fs::write(dir.join("package.json"), "{ \"type\": \"module\" }\n").unwrap();
    let signalr = repo().join("tests/node/node_modules/@microsoft/signalr/dist/esm/index.d.ts");
    let tsconfig = json!({
        "extends": repo().join("examples/clients/typescript/tsconfig.base.json"),
        "compilerOptions": {"paths": {"@microsoft/signalr": [signalr]}},
        "include": ["*.ts"]
    });
    std::fs::write(
        dir.join("tsconfig.json"),
        serde_json::to_string_pretty(&tsconfig).unwrap(),
    )
    .unwrap();
    run_tsc(&dir.join("tsconfig.json"));
}

#[test]
fn aliases_and_unit_enums() {
    check_types(
        json!({
            "Meters": {"description": "A distance.", "type": "number", "format": "double"},
            "Ids": {"type": "array", "items": {"type": "integer", "format": "uint32"}},
            "Color": {"description": "Colours.", "oneOf": [
                {"type": "string", "const": "dark-red", "description": "Dark."},
                {"type": "string", "const": "green"}
            ]},
            "Plain": {"type": "string", "enum": ["a", "b\"c"]},
            "Single": {"type": "string", "const": "only"}
        }),
        expect![[r#"
            /** A distance. */
            export type Meters = number;

            export type Ids = number[];

            /** Colours. */
            export type Color =
              /** Dark. */
              | "dark-red"
              | "green";

            /** Every value of {@link Color}, in declaration order. */
            export const Color = ["dark-red", "green"] as const;

            export type Plain =
              | "a"
              | "b\"c";

            /** Every value of {@link Plain}, in declaration order. */
            export const Plain = ["a", "b\"c"] as const;

            export type Single = "only";

            /** Every value of {@link Single}, in declaration order. */
            export const Single = ["only"] as const;
        "#]],
    );
}

#[test]
fn externally_tagged_enums() {
    check_types(
        json!({"Shape": {"oneOf": [
            {"type": "string", "enum": ["Point", "Origin"]},
            {"type": "object", "properties": {"Circle": {"type": "object", "properties": {"radius": {"type": "number", "description": "The radius."}}, "required": ["radius"]}}, "required": ["Circle"], "additionalProperties": false, "description": "A circle."},
            {"type": "object", "properties": {"Label": {"type": "string"}}, "required": ["Label"], "additionalProperties": false},
            {"type": "object", "properties": {"Line": {"type": "array", "prefixItems": [{"type": "integer", "format": "int32"}, {"type": "integer", "format": "int32"}], "minItems": 2, "maxItems": 2}}, "required": ["Line"], "additionalProperties": false},
            {"type": "object", "properties": {"Box": {"type": "object", "properties": {"w": {"type": "number"}, "h": {"type": "number"}}, "required": ["w", "h"]}}, "required": ["Box"], "additionalProperties": false},
            {"type": "object", "properties": {"odd-name": {"type": "null"}}, "required": ["odd-name"], "additionalProperties": false}
        ]}}),
        expect![[r#"
            export type Shape =
              | "Point"
              | "Origin"
              /** A circle. */
              | {
                  Circle: {
                    /** The radius. */
                    radius: number;
                  };
                }
              | { Label: string }
              | { Line: [number, number] }
              | { Box: { w: number; h: number } }
              | { "odd-name": null };
        "#]],
    );
}

#[test]
fn internally_and_adjacently_tagged_enums() {
    check_types(
        json!({
            "Event": {"oneOf": [
                {"type": "object", "properties": {"kind": {"type": "string", "const": "started"}}, "required": ["kind"], "description": "Only the tag."},
                {"type": "object", "properties": {"kind": {"type": "string", "const": "joined"}, "user": {"type": "string"}, "room": {"type": ["string", "null"]}}, "required": ["kind", "user", "room"]},
                {"$ref": "#/$defs/Address", "type": "object", "properties": {"kind": {"type": "string", "const": "moved"}}, "required": ["kind"]}
            ]},
            "Address": {"type": "object", "properties": {"street": {"type": "string"}, "zip": {"type": "string"}}, "required": ["street"]},
            "Message": {"oneOf": [
                {"type": "object", "properties": {"t": {"type": "string", "const": "Ping"}}, "required": ["t"]},
                {"type": "object", "properties": {"t": {"type": "string", "const": "Text"}, "c": {"type": "string"}}, "required": ["t", "c"]},
                {"type": "object", "properties": {"t": {"type": "string", "const": "Move"}, "c": {"type": "object", "properties": {"x": {"type": "integer", "format": "int32", "description": "Horizontal."}}, "required": ["x"]}}, "required": ["t", "c"]},
                {"type": "object", "properties": {"t": {"type": "string", "const": "Pair"}, "c": {"type": "array", "prefixItems": [{"type": "integer", "format": "uint8"}, {"type": "boolean"}], "minItems": 2, "maxItems": 2}}, "required": ["t", "c"]}
            ]}
        }),
        expect![[r#"
            export type Event =
              /** Only the tag. */
              | { kind: "started" }
              | { kind: "joined"; user: string; room: string | null }
              | { kind: "moved"; street: string; zip?: string };

            export interface Address {
              street: string;
              zip?: string;
            }

            export type Message =
              | { t: "Ping" }
              | { t: "Text"; c: string }
              | {
                  t: "Move";
                  c: {
                    /** Horizontal. */
                    x: number;
                  };
                }
              | { t: "Pair"; c: [number, boolean] };
        "#]],
    );
}

#[test]
fn untagged_enums() {
    check_types(
        json!({"Amount": {"description": "Some amount.", "anyOf": [
            {"type": "null"},
            {"type": "number", "description": "Exact."},
            {"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}], "minItems": 2, "maxItems": 2},
            {"type": "object", "properties": {"min": {"type": "number"}, "max": {"type": "number"}}, "required": ["min", "max"]},
            {"type": "string", "format": "date-time"}
        ]}}),
        expect![[r#"
            /** Some amount. */
            export type Amount =
              | null
              /** Exact. */
              | number
              | [number, number]
              | { min: number; max: number }
              /** Dates and times are RFC 3339 strings, such as `2024-05-01T12:00:00Z`. */
              | string;
        "#]],
    );
}

#[test]
fn a_type_named_record_makes_maps_index_signatures() {
    check_types(
        json!({"Record": {"type": "object", "properties": {"scores": {"type": "object", "additionalProperties": {"type": "integer", "format": "int32"}}}, "required": ["scores"]}}),
        expect![[r#"
            export interface Record {
              scores: { [key: string]: number };
            }
        "#]],
    );
}

/// The hub module of a manifest (without the header).
fn hub_ts(manifest: &Manifest, path: &str) -> String {
    strip_header(&file(&generate(manifest), path))
}

#[test]
fn hub_proxy_receivers_and_naming() {
    let manifest = manifest(
        json!([
            {"name": "SendMessage", "rustName": "send_message", "description": "Sends.", "kind": "invoke",
             "params": [{"name": "user", "schema": {"type": "string"}}, {"name": "class", "schema": {"type": "string"}}]},
            {"name": "Send", "rustName": "send", "kind": "invoke", "params": [], "result": {"type": "boolean"}},
            {"name": "Connection", "rustName": "connection", "kind": "invoke", "params": []},
            {"name": "get-items", "rustName": "get_items", "kind": "invoke",
             "params": [{"name": "to_stream_result", "schema": {"type": "integer", "format": "int32"}}],
             "result": {"type": "array", "items": {"$ref": "#/$defs/Promise"}}},
            {"name": "Counter", "rustName": "counter", "kind": "stream",
             "params": [{"name": "count", "schema": {"type": "integer", "format": "uint32"}}],
             "result": {"type": "string", "format": "date-time"}},
            {"name": "Upload", "rustName": "upload", "kind": "invoke",
             "params": [{"name": "label", "schema": {"type": "string"}}, {"name": "items", "schema": {"type": "string"}, "stream": true}],
             "result": {"type": "integer", "format": "uint32"}},
            {"name": "Ingest", "rustName": "ingest", "kind": "invoke",
             "params": [{"name": "items", "schema": {"type": "string"}, "stream": true}]}
        ]),
        json!([
            {"name": "Notify", "rustName": "notify", "description": "Told.", "params": [{"name": "receiver", "schema": {"type": "string"}}]},
            {"name": "Ask", "rustName": "ask", "params": [{"name": "question", "schema": {"$ref": "#/$defs/Promise"}}],
             "result": {"type": ["boolean", "null"]}}
        ]),
        json!({"Promise": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}}),
    );
    expect![[r#"
        import type { HubConnection } from "@microsoft/signalr";
        import { hubStream, toStreamResult, type HubStream, type HubStreamSource } from "./hub-streams.js";
        import type { Promise as Promise_ } from "./types.js";

        /**
         * Typed calls to the hub `TestHub` through a `HubConnection` of `@microsoft/signalr`: one method
         * per hub method, and fire-and-forget variants of those without a result in `send`. Receive the
         * hub's calls with {@link registerTestClient}.
         */
        export class TestHubProxy {
          /** The connection the calls go through. */
          readonly connection: HubConnection;
          /**
           * Fire-and-forget variants (`connection.send`) of the methods without a result (server streams
           * and methods that return a value have none): each resolves once the invocation is sent, without
           * waiting for the server, and never sees its error.
           */
          readonly send: {
            /**
             * Sends.
             *
             * Sends `SendMessage` without waiting for it to run.
             */
            sendMessage(user: string, class_: string): Promise<void>;
            /** Sends `Connection` without waiting for it to run. */
            connection_(): Promise<void>;
            /** Sends `Ingest` without waiting for it to run. */
            ingest(items: HubStreamSource<string>): Promise<void>;
          };

          /** Calls go through `connection`, which the caller starts (`connection.start()`) and stops. */
          constructor(connection: HubConnection) {
            this.connection = connection;
            this.send = {
              sendMessage: (user, class_) => this.connection.send("SendMessage", user, class_),
              connection_: () => this.connection.send("Connection"),
              ingest: (items) => this.connection.send("Ingest", toStreamResult(items)),
            };
          }

          /**
           * Sends.
           *
           * Invokes `SendMessage`: resolves once the server has run it, rejects with the server's error.
           */
          sendMessage(user: string, class_: string): Promise<void> {
            return this.connection.invoke<void>("SendMessage", user, class_);
          }

          /** Invokes `Send`: resolves with its result, rejects with the server's error. */
          send_(): Promise<boolean> {
            return this.connection.invoke<boolean>("Send");
          }

          /** Invokes `Connection`: resolves once the server has run it, rejects with the server's error. */
          connection_(): Promise<void> {
            return this.connection.invoke<void>("Connection");
          }

          /** Invokes `get-items`: resolves with its result, rejects with the server's error. */
          getItems(toStreamResult_: number): Promise<Promise_[]> {
            return this.connection.invoke<Promise_[]>("get-items", toStreamResult_);
          }

          /**
           * Streams the items of `Counter`: iterate with `for await` (leaving the loop early cancels the
           * stream on the server) or `subscribe` (disposing the subscription cancels it). The stream
           * throws, or calls `error`, with the server's error.
           *
           * @returns Dates and times are RFC 3339 strings, such as `2024-05-01T12:00:00Z`.
           */
          counter(count: number): HubStream<string> {
            return hubStream(this.connection.stream<string>("Counter", count));
          }

          /** Invokes `Upload`: resolves with its result, rejects with the server's error. */
          upload(label: string, items: HubStreamSource<string>): Promise<number> {
            return this.connection.invoke<number>("Upload", label, toStreamResult(items));
          }

          /** Invokes `Ingest`: resolves once the server has run it, rejects with the server's error. */
          ingest(items: HubStreamSource<string>): Promise<void> {
            return this.connection.invoke<void>("Ingest", toStreamResult(items));
          }
        }

        /**
         * What the hub `TestHub` calls on its clients: implement it and register it on a connection with
         * {@link registerTestClient}.
         */
        export interface TestClient {
          /**
           * Told.
           *
           * Called for the hub's `Notify` calls.
           */
          notify(receiver_: string): void | Promise<void>;
          /**
           * Called for the hub's `Ask` calls.
           *
           * A client result: what it returns (or resolves to) is sent back to the server; what it throws
           * (or rejects with) fails the server's call with its message.
           */
          ask(question: Promise_): boolean | null | Promise<boolean | null>;
        }

        /**
         * Registers `receiver` as the handler of the hub's calls on `connection` (`connection.on` with the
         * wire names). Register before `connection.start()` so as to miss nothing. Arguments are passed as
         * the server sent them, unchecked.
         *
         * @returns A function that unregisters exactly these handlers (`connection.off`).
         */
        export function registerTestClient(connection: HubConnection, receiver: TestClient): () => void {
          const onNotify = async (receiver_: string): Promise<void> => {
            await receiver.notify(receiver_);
          };
          const onAsk = (question: Promise_): boolean | null | Promise<boolean | null> => receiver.ask(question);
          connection.on("Notify", onNotify);
          connection.on("Ask", onAsk);
          return () => {
            connection.off("Notify", onNotify);
            connection.off("Ask", onAsk);
          };
        }
    "#]]
    .assert_eq(&hub_ts(&manifest, "test-hub.ts"));
}

/// `manifest` with its hub served at `path`.
fn served_at(mut manifest: Manifest, path: &str) -> Manifest {
    manifest.hubs[0].path = Some(path.to_owned());
    manifest
}

/// The part of a hub module before the proxy class: imports, path constant and factory.
fn before_proxy(hub_ts: &str) -> &str {
    &hub_ts[..hub_ts.find("/**\n * Typed calls").expect("a proxy")]
}

/// With the hub's path, the module exports it and a connection factory; the path is
/// normalized as the server does (one leading `/`, no trailing `/`).
#[test]
fn hub_path_constant_and_connection_factory() {
    let manifest = served_at(
        manifest(
            echo(json!({"$ref": "#/$defs/HubConnectionBuilder"})),
            json!([]),
            json!({"HubConnectionBuilder": {"type": "string"}}),
        ),
        "hubs/test/",
    );
    let hub = hub_ts(&manifest, "test-hub.ts");
    expect![[r#"
        import { HubConnectionBuilder, type HubConnection, type IHttpConnectionOptions } from "@microsoft/signalr";
        import type { HubConnectionBuilder as HubConnectionBuilder_ } from "./types.js";

        /** The URL path the hub `TestHub` is served at, relative to the server's base URL. */
        export const TEST_HUB_PATH = "/hubs/test";

        /**
         * A connection to the hub `TestHub`, built and not started: register receivers, then `start()` it.
         *
         * Its URL is `baseUrl` without trailing slashes, followed by {@link TEST_HUB_PATH}:
         * `http://localhost:5000` and `http://localhost:5000/` give `http://localhost:5000/hubs/test`, and
         * a base with a path prefix keeps it (`https://example.com/app/` gives
         * `https://example.com/app/hubs/test`). `baseUrl` has no query or fragment; in a browser it may be
         * relative to the page (`""` for the page's origin).
         *
         * @param baseUrl The server's URL, with the prefix the hub's routes are nested under, if any.
         * @param options HTTP connection options, as `withUrl` takes them: `accessTokenFactory`,
         *   `transport`, `headers`, `withCredentials`...
         * @param configure Further settings of the builder (`withAutomaticReconnect()`,
         *   `configureLogging(...)`, `withServerTimeout(...)`...), applied before the hub's URL is set, so
         *   a `withUrl` there does not change it.
         */
        export function createTestHubConnection(baseUrl: string, options?: IHttpConnectionOptions, configure?: (builder: HubConnectionBuilder) => void): HubConnection {
          const builder = new HubConnectionBuilder();
          configure?.(builder);
          builder.withUrl(`${baseUrl.replace(/\/+$/, "")}${TEST_HUB_PATH}`, options ?? {});
          return builder.build();
        }

    "#]]
    .assert_eq(before_proxy(&hub));
    assert!(
        hub.contains("Create the connection with {@link createTestHubConnection}."),
        "{hub}"
    );

    // The MessagePack client's factory sets its protocol, after `configure`.
    let options = Options {
        protocol: Protocol::MessagePack,
        ..Options::default()
    };
    let files = generate_with(&manifest, &options).unwrap();
    let hub = strip_header(&file(&files, "test-hub.ts"));
    let imports: Vec<&str> = hub.lines().take_while(|line| !line.is_empty()).collect();
    assert_eq!(
        imports,
        [
            "import { HubConnectionBuilder, type HubConnection, type IHttpConnectionOptions } from \"@microsoft/signalr\";",
            "import { MessagePackHubProtocol } from \"@microsoft/signalr-protocol-msgpack\";",
            "import type { HubConnectionBuilder as HubConnectionBuilder_ } from \"./types.js\";",
        ]
    );
    assert!(
        hub.contains(
            "  configure?.(builder);\n  builder.withUrl(`${baseUrl.replace(/\\/+$/, \"\")}${TEST_HUB_PATH}`, options ?? {});\n  builder.withHubProtocol(new MessagePackHubProtocol());\n  return builder.build();\n"
        ),
        "{hub}"
    );

    // The root path stays `/`.
    let root = served_at(manifest, "/");
    assert!(
        hub_ts(&root, "test-hub.ts").contains("export const TEST_HUB_PATH = \"/\";\n"),
        "root"
    );
}

/// Without a path (a manifest of the hub type alone, `Hub::manifest()`), there is nothing to
/// join a base URL with: no constant, no factory, and type imports only.
#[test]
fn no_path_no_constant_and_no_factory() {
    let manifest = manifest(echo(json!({"type": "string"})), json!([]), json!({}));
    for protocol in [Protocol::Json, Protocol::MessagePack] {
        let options = Options {
            protocol,
            ..Options::default()
        };
        let files = generate_with(&manifest, &options).unwrap();
        let hub = strip_header(&file(&files, "test-hub.ts"));
        assert_eq!(
            before_proxy(&hub),
            "import type { HubConnection } from \"@microsoft/signalr\";\n\n",
            "{protocol:?}"
        );
        for absent in [
            "_PATH",
            "createTestHubConnection",
            "HubConnectionBuilder",
            "msgpack",
        ] {
            assert!(!hub.contains(absent), "{absent} in {hub}");
        }
    }
}

/// The members of the proxy's `send` object type, in order.
fn send_members(hub_ts: &str) -> Vec<String> {
    let block = hub_ts
        .split_once("  readonly send: {")
        .and_then(|(_, rest)| rest.split_once("\n  };"))
        .map_or("", |(block, _)| block);
    block
        .lines()
        .map(str::trim)
        .filter(|line| line.ends_with("): Promise<void>;"))
        .map(|line| line.split_once('(').expect("a member").0.to_owned())
        .collect()
}

/// Fire-and-forget variants exist only for invocations without a result (client streams or
/// not): a result sent for nothing would be lost, and a server stream needs a subscriber.
#[test]
fn send_variants_only_for_methods_without_a_result() {
    let mixed = manifest(
        json!([
            {"name": "Notify", "rustName": "notify", "kind": "invoke", "params": []},
            {"name": "Echo", "rustName": "echo", "kind": "invoke",
             "params": [{"name": "text", "schema": {"type": "string"}}], "result": {"type": "string"}},
            {"name": "Ticks", "rustName": "ticks", "kind": "stream", "params": [], "result": {"type": "boolean"}},
            {"name": "Ingest", "rustName": "ingest", "kind": "invoke",
             "params": [{"name": "items", "schema": {"type": "string"}, "stream": true}]},
            {"name": "Count", "rustName": "count", "kind": "invoke",
             "params": [{"name": "items", "schema": {"type": "string"}, "stream": true}],
             "result": {"type": "integer", "format": "uint32"}}
        ]),
        json!([]),
        json!({}),
    );
    let hub = hub_ts(&mixed, "test-hub.ts");
    assert_eq!(send_members(&hub), ["notify", "ingest"], "{hub}");
    assert!(!hub.contains("this.connection.send(\"Echo\""), "{hub}");
    assert!(
        hub.contains("echo(text: string): Promise<string> {"),
        "{hub}"
    );

    // Nothing to send: an empty object.
    let echo_only = manifest(
        json!([{"name": "Echo", "rustName": "echo", "kind": "invoke", "params": [], "result": {"type": "string"}}]),
        json!([]),
        json!({}),
    );
    let hub = hub_ts(&echo_only, "test-hub.ts");
    assert!(hub.contains("  readonly send: {};\n"), "{hub}");
    assert!(hub.contains("    this.send = {};\n"), "{hub}");
}

#[test]
fn files_and_index() {
    let files = generate(&manifest(
        echo(json!({"type": "string"})),
        json!([]),
        json!({}),
    ));
    let paths: Vec<&str> = files.iter().map(|file| file.path.as_str()).collect();
    assert_eq!(paths, ["types.ts", "test-hub.ts", "index.ts"]);
    expect![[r#"
        export {};
    "#]]
    .assert_eq(&strip_header(&file(&files, "types.ts")));
    expect![[r#"
        /**
         * The contract hash of the manifest these files were generated from. A server serves its own
         * as the `ETag` of `GET <hub path>/manifest` (`HubRouter::serve_manifest`): a different one
         * means the server's hubs differ from what this client was generated for.
         */
        export const MANIFEST_HASH = "16e7a4183d882755";

        export * from "./types.js";
        export * from "./test-hub.js";
    "#]]
    .assert_eq(&strip_header(&file(&files, "index.ts")));
    for file in &files {
        assert!(
            file.contents
                .starts_with("// Generated by hub-codegen from the hub manifest. Do not edit"),
            "{}",
            file.path
        );
    }

    // A stream adds the helpers; a hub named like a generated file gets `-hub`.
    let mut manifest = manifest(
        json!([{"name": "Ticks", "rustName": "ticks", "kind": "stream", "params": [], "result": {"type": "boolean"}}]),
        json!([]),
        json!({}),
    );
    manifest.hubs[0].name = String::from("Types");
    let files = generate(&manifest);
    let paths: Vec<&str> = files.iter().map(|file| file.path.as_str()).collect();
    assert_eq!(
        paths,
        ["types.ts", "hub-streams.ts", "types-hub.ts", "index.ts"]
    );
    expect![[r#"
        /**
         * The contract hash of the manifest these files were generated from. A server serves its own
         * as the `ETag` of `GET <hub path>/manifest` (`HubRouter::serve_manifest`): a different one
         * means the server's hubs differ from what this client was generated for.
         */
        export const MANIFEST_HASH = "faef44bb063a4954";

        export * from "./types.js";
        export type { HubStream, HubStreamSource } from "./hub-streams.js";
        export * from "./types-hub.js";
    "#]]
    .assert_eq(&strip_header(&file(&files, "index.ts")));
}

// ---------------------------------------------------------------------------------------------
// 64-bit integers and other errors
// ---------------------------------------------------------------------------------------------

fn int64() -> Value {
    json!({"type": "integer", "format": "int64"})
}

fn uint64() -> Value {
    json!({"type": "integer", "format": "uint64", "minimum": 0})
}

#[test]
fn unsafe_64_bit_integers_are_errors_naming_where_they_are() {
    let cases = [
        (
            manifest(
                json!([]),
                json!([]),
                json!({"Everything": {"type": "object", "properties": {"big": int64()}, "required": ["big"]}}),
            ),
            "Everything.big",
            "`i64`",
        ),
        (
            manifest(
                json!([]),
                json!([]),
                json!({"Page": {"type": "object", "properties": {"ids": {"type": "array", "items": uint64()}}}}),
            ),
            "Page.ids[]",
            "`u64`",
        ),
        (
            manifest(
                json!([]),
                json!([]),
                json!({"Totals": {"type": "object", "additionalProperties": int64()}}),
            ),
            "Totals[key]",
            "`i64`",
        ),
        (
            manifest(json!([]), json!([]), json!({"Id": uint64()})),
            "Id",
            "`u64`",
        ),
        (
            manifest(
                json!([]),
                json!([]),
                json!({"Shape": {"oneOf": [
                    {"type": "object", "properties": {"Line": {"type": "array", "prefixItems": [int64(), int64()], "minItems": 2, "maxItems": 2}}, "required": ["Line"], "additionalProperties": false}
                ]}}),
            ),
            "Shape::Line.0",
            "`i64`",
        ),
        (
            manifest(
                json!([]),
                json!([]),
                json!({"Event": {"oneOf": [
                    {"type": "object", "properties": {"kind": {"type": "string", "const": "named"}, "name": {"type": "string"}}, "required": ["kind", "name"]},
                    {"type": "object", "properties": {"kind": {"type": "string", "const": "sized"}, "size": uint64()}, "required": ["kind", "size"]}
                ]}}),
            ),
            "Event::sized.size",
            "`u64`",
        ),
        (
            manifest(
                json!([]),
                json!([]),
                json!({"Amount": {"anyOf": [{"type": "string"}, int64()]}}),
            ),
            "Amount (alternative 2)",
            "`i64`",
        ),
        (
            manifest(
                json!([{"name": "UploadStream", "rustName": "upload_stream", "kind": "invoke",
                        "params": [{"name": "items", "schema": {"type": "string"}, "stream": true}],
                        "result": uint64()}]),
                json!([]),
                json!({}),
            ),
            "TestHub.UploadStream result",
            "`u64`",
        ),
        (
            manifest(
                json!([{"name": "Divide", "rustName": "divide", "kind": "invoke",
                        "params": [{"name": "a", "schema": {"type": ["integer", "null"], "format": "int64"}}]}]),
                json!([]),
                json!({}),
            ),
            "TestHub.Divide(a)",
            "`i64`",
        ),
        (
            manifest(
                json!([]),
                json!([{"name": "Tick", "rustName": "tick", "params": [{"name": "at", "schema": int64()}]}]),
                json!({}),
            ),
            "TestHub client method Tick(at)",
            "`i64`",
        ),
    ];
    for (manifest, location, rust) in cases {
        let err = generate_with(&manifest, &Options::default()).unwrap_err();
        assert_eq!(err.location, location, "{err}");
        for needle in [
            rust,
            "±(2^53 - 1)",
            "#[schemars(range(",
            "string",
            "--int64 number",
            "precision",
        ] {
            assert!(err.message.contains(needle), "{needle:?} not in {err}");
        }
        // `--int64 number` accepts them.
        generate_with(
            &manifest,
            &Options {
                int64: Int64::Number,
                ..Options::default()
            },
        )
        .unwrap_or_else(|err| panic!("{err}"));
    }
    expect![[r#"Everything.big: a 64-bit integer (`i64`, `isize`) whose values may exceed JavaScript's safe integers, ±(2^53 - 1): a TypeScript `number` would silently lose precision beyond them. Choose one: declare the range the values stay in, within ±9007199254740991, with `#[schemars(range(min = .., max = ..))]` on the field (wrap a parameter or result in a newtype struct to annotate it); or serialize the value as a string (a `String`, or `#[serde_as(as = "DisplayFromStr")]` with `#[schemars(with = "String")]`); or generate with `--int64 number` (`Int64::Number`) to accept the precision loss"#]]
    .assert_eq(
        &generate_with(
            &manifest(json!([]), json!([]), json!({"Everything": {"type": "object", "properties": {"big": int64()}, "required": ["big"]}})),
            &Options::default(),
        )
        .unwrap_err()
        .to_string(),
    );
}

#[test]
fn int64_number_maps_to_number_with_a_warning() {
    let manifest = manifest(
        json!([{"name": "Total", "rustName": "total", "kind": "invoke",
                "params": [{"name": "ids", "schema": {"type": "array", "items": uint64()}}], "result": int64()}]),
        json!([]),
        json!({"Stats": {"type": "object", "properties": {"count": {"description": "How many.", "type": "integer", "format": "uint64", "minimum": 0}, "safe": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 100}}, "required": ["count", "safe"]}}),
    );
    let files = generate_with(
        &manifest,
        &Options {
            int64: Int64::Number,
            ..Options::default()
        },
    )
    .unwrap();
    expect![[r#"
        export interface Stats {
          /**
           * How many.
           *
           * Warning: 64-bit integers beyond ±(2^53 - 1) (`Number.MAX_SAFE_INTEGER`) lose precision as a
           * `number` (generated with `--int64 number`).
           */
          count: number;
          safe: number;
        }
    "#]]
    .assert_eq(&strip_header(&file(&files, "types.ts")));
    let hub = file(&files, "test-hub.ts");
    let method = &hub[hub.find("  /**\n   * Invokes `Total`").expect("the method")..];
    expect![[r#"
          /**
           * Invokes `Total`: resolves with its result, rejects with the server's error.
           *
           * @param ids Warning: 64-bit integers beyond ±(2^53 - 1) (`Number.MAX_SAFE_INTEGER`) lose
           *   precision as a `number` (generated with `--int64 number`).
           * @returns Warning: 64-bit integers beyond ±(2^53 - 1) (`Number.MAX_SAFE_INTEGER`) lose
           *   precision as a `number` (generated with `--int64 number`).
           */
          total(ids: number[]): Promise<number> {
            return this.connection.invoke<number>("Total", ids);
          }
        }
    "#]]
    .assert_eq(method);
}

#[test]
fn name_clashes_are_errors() {
    // Two wire names with one camelCase.
    let err = generate_with(
        &manifest(
            json!([
                {"name": "Get_Items", "rustName": "a", "kind": "invoke", "params": []},
                {"name": "GetItems", "rustName": "b", "kind": "invoke", "params": []}
            ]),
            json!([]),
            json!({}),
        ),
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(err.location, "TestHub.GetItems");
    assert!(
        err.message.contains("`getItems`") && err.message.contains("#[hub(rename"),
        "{err}"
    );

    let err = generate_with(
        &manifest(
            json!([]),
            json!([
                {"name": "on_tick", "rustName": "a", "params": []},
                {"name": "OnTick", "rustName": "b", "params": []}
            ]),
            json!({}),
        ),
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(err.location, "TestHub client method OnTick");
    assert!(err.message.contains("#[client(rename"), "{err}");

    // A type named like a generated export.
    // (Type names are PascalCase: none can be `TEST_HUB_PATH` or `createTestHubConnection`.)
    for name in ["TestHubProxy", "TestClient", "HubStream"] {
        let err = generate_with(
            &served_at(
                manifest(
                    json!([{"name": "Ticks", "rustName": "ticks", "kind": "stream", "params": [], "result": {"type": "boolean"}}]),
                    json!([{"name": "Tick", "rustName": "tick", "params": []}]),
                    json!({name: {"type": "string"}}),
                ),
                "/hubs/test",
            ),
            &Options::default(),
        )
        .unwrap_err();
        assert_eq!(err.location, name, "{err}");
        assert!(
            err.message.contains("twice") && err.message.contains("schemars(rename"),
            "{err}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// tsc --strict
// ---------------------------------------------------------------------------------------------

/// `tests/node/node_modules/.bin/tsc`, which `npm ci` in `tests/node` installs.
fn tsc() -> PathBuf {
    let tsc = repo().join("tests/node/node_modules/.bin/tsc");
    assert!(
        tsc.exists(),
        "{} is missing: run `npm ci` in tests/node (TypeScript is one of its devDependencies)",
        tsc.display()
    );
    tsc
}

fn run_tsc(project: &Path) {
    let output = Command::new(tsc())
        .args(["--strict", "--noEmit", "-p"])
        .arg(project)
        .output()
        .unwrap_or_else(|err| panic!("cannot run tsc (is Node.js installed?): {err}"));
    assert!(
        output.status.success(),
        "tsc --strict --noEmit -p {} failed:\n{}{}",
        project.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The committed clients and `usage/`, which uses every generated API of both.
#[test]
fn committed_clients_and_their_usage_type_check() {
    run_tsc(&repo().join("examples/clients/typescript/tsconfig.json"));
}

/// Every construct and naming rule of the focused tests, in one manifest.
fn edge_manifest() -> Manifest {
    served_at(
        manifest(
            json!([
                {"name": "SendMessage", "rustName": "send_message", "kind": "invoke",
                 "params": [{"name": "user", "schema": {"type": "string"}}, {"name": "class", "schema": {"type": "string"}}]},
                {"name": "Send", "rustName": "send", "kind": "invoke", "params": [], "result": {"type": "boolean"}},
                {"name": "Connection", "rustName": "connection", "kind": "invoke", "params": []},
                {"name": "Constructor", "rustName": "constructor", "kind": "invoke", "params": []},
                {"name": "Then", "rustName": "then", "kind": "invoke", "params": [], "result": {"type": "string"}},
                {"name": "get-items", "rustName": "get_items", "kind": "invoke",
                 "params": [{"name": "to_stream_result", "schema": {"type": "integer", "format": "int32"}}, {"name": "hub_stream", "schema": {"$ref": "#/$defs/Record"}}],
                 "result": {"type": "array", "items": {"$ref": "#/$defs/Promise"}}},
                {"name": "Counter", "rustName": "counter", "kind": "stream",
                 "params": [{"name": "count", "schema": uint64()}],
                 "result": {"type": "string", "format": "date-time"}},
                {"name": "Upload", "rustName": "upload", "kind": "stream",
                 "params": [{"name": "label", "schema": {"$ref": "#/$defs/HubConnection"}}, {"name": "items", "schema": {"$ref": "#/$defs/Shape"}, "stream": true}],
                 "result": {"$ref": "#/$defs/Event"}},
                {"name": "Everything", "rustName": "everything", "kind": "invoke",
                 "params": [{"name": "a", "schema": {"$ref": "#/$defs/Amount"}}, {"name": "m", "schema": {"$ref": "#/$defs/Message"}}, {"name": "c", "schema": {"$ref": "#/$defs/Color"}}, {"name": "u", "schema": {"type": "null"}}],
                 "result": true},
                {"name": "Configure", "rustName": "configure", "kind": "invoke",
                 "params": [{"name": "builder", "schema": {"$ref": "#/$defs/HubConnectionBuilder"}}, {"name": "options", "schema": {"$ref": "#/$defs/IHttpConnectionOptions"}}]}
            ]),
            json!([
                {"name": "Notify", "rustName": "notify", "params": [{"name": "receiver", "schema": {"type": "string"}}, {"name": "this", "schema": {"$ref": "#/$defs/Promise"}}]},
                {"name": "Ask", "rustName": "ask", "params": [], "result": {"type": ["boolean", "null"]}},
                {"name": "Constructor", "rustName": "constructor", "params": []}
            ]),
            json!({
                "Promise": {"type": "object", "properties": {"id": {"type": "string"}, "a-b": {"type": "integer", "format": "int64"}, "$x": {"type": "string"}}, "required": ["id"]},
                "HubConnection": {"type": "string", "enum": ["a", "b-c"]},
                "Record": {"type": "object", "properties": {"scores": {"type": "object", "additionalProperties": {"type": "integer", "format": "int32"}}}, "required": ["scores"]},
                "Empty": {"type": "object", "properties": {}},
                "Shape": {"oneOf": [
                    {"type": "string", "const": "Point"},
                    {"type": "object", "properties": {"Circle": {"type": "object", "properties": {"radius": {"type": "number"}}, "required": ["radius"]}}, "required": ["Circle"], "additionalProperties": false},
                    {"type": "object", "properties": {"odd-name": {"type": "array", "prefixItems": [{"type": "integer", "format": "int32"}, {"type": ["string", "null"]}], "minItems": 2, "maxItems": 2}}, "required": ["odd-name"], "additionalProperties": false}
                ]},
                "Event": {"oneOf": [
                    {"type": "object", "properties": {"kind": {"type": "string", "const": "started"}}, "required": ["kind"]},
                    {"$ref": "#/$defs/Empty", "type": "object", "properties": {"kind": {"type": "string", "const": "empty"}}, "required": ["kind"]},
                    {"type": "object", "properties": {"kind": {"type": "string", "const": "x-y"}, "when": {"type": "string", "format": "date-time"}}, "required": ["kind"]}
                ]},
                "Message": {"oneOf": [
                    {"type": "object", "properties": {"type": {"type": "string", "const": "Ping"}}, "required": ["type"]},
                    {"type": "object", "properties": {"type": {"type": "string", "const": "Move"}, "data": {"type": "object", "properties": {"x": {"type": "integer", "format": "int32"}}, "required": ["x"]}}, "required": ["type", "data"]}
                ]},
                "Amount": {"anyOf": [{"type": "null"}, {"type": "number"}, {"type": "object", "properties": {"min": {"type": "number"}}, "required": ["min"]}]},
                "Color": {"type": "string", "const": "only"},
                "HubConnectionBuilder": {"type": "string"},
                "IHttpConnectionOptions": {"type": "integer", "format": "int32"}
            }),
        ),
        "/edge/",
    )
}

const EDGE_USAGE: &str = r#"import type { HubConnection as Connection } from "@microsoft/signalr";
import {
  Color,
  TEST_HUB_PATH,
  TestHubProxy,
  createTestHubConnection,
  registerTestClient,
  type Amount,
  type Event,
  type HubConnection,
  type HubConnectionBuilder as BuilderDto,
  type IHttpConnectionOptions as OptionsDto,
  type HubStream,
  type HubStreamSource,
  type Message,
  type Promise as PromiseDto,
  type Record as RecordDto,
  type Shape,
  type TestClient,
} from "./index.js";

export async function use(connection: Connection): Promise<void> {
  const proxy = new TestHubProxy(connection);
  await proxy.sendMessage("a", "b");
  await proxy.send.sendMessage("a", "b");
  const sent: boolean = await proxy.send_();
  await proxy.connection_();
  await proxy.constructor_();
  const then: string = await proxy.then_();
  // @ts-expect-error: methods with a result have no fire-and-forget variant
  await proxy.send.then_();
  const record: RecordDto = { scores: { a: 1 } };
  const items: PromiseDto[] = await proxy.getItems(1, record);
  const first: PromiseDto = { id: "x", "a-b": 2 ** 60, $x: "y" };
  const times: HubStream<string> = proxy.counter(3);
  for await (const time of times) {
    new Date(time);
  }
  async function* shapes(): AsyncGenerator<Shape> {
    yield "Point";
    yield { Circle: { radius: 1 } };
    yield { "odd-name": [1, null] };
  }
  const source: HubStreamSource<Shape> = shapes();
  const label: HubConnection = "b-c";
  for await (const event of proxy.upload(label, source)) {
    const kind: "started" | "empty" | "x-y" = event.kind;
    const when: string | undefined = event.kind === "x-y" ? event.when : undefined;
    void kind;
    void when;
  }
  const amount: Amount = { min: 1 };
  const message: Message = { type: "Move", data: { x: 1 } };
  const color: Color = Color[0];
  const json: unknown = await proxy.everything(amount, message, color, null);
  const event: Event = { kind: "empty" };
  const receiver: TestClient = {
    notify(receiver: string, self: PromiseDto): void {
      void receiver;
      void self;
    },
    ask: async () => null,
    constructor_: () => undefined,
  };
  const off: () => void = registerTestClient(connection, receiver);
  off();
  const builderDto: BuilderDto = "a string";
  const optionsDto: OptionsDto = 1;
  await proxy.configure(builderDto, optionsDto);
  await proxy.send.configure(builderDto, optionsDto);
  const path: "/edge" = TEST_HUB_PATH;
  const created: Connection = createTestHubConnection(
    "https://example.com/app/",
    { accessTokenFactory: () => "token", withCredentials: false },
    (builder) => builder.withAutomaticReconnect(),
  );
  const plain: Connection = createTestHubConnection("");
  void [sent, items, first, json, event, then, path, created, plain];
}
"#;

/// The output for [`edge_manifest`] (with `Int64::Number`), and a module using all of it.
#[test]
fn edge_cases_type_check() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("typescript-edge");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for file in generate_with(
        &edge_manifest(),
        &Options {
            int64: Int64::Number,
            ..Options::default()
        },
    )
    .unwrap()
    {
        std::fs::write(dir.join(&file.path), file.contents).unwrap();
    }
    std::fs::write(dir.join("usage.ts"), EDGE_USAGE).unwrap();
    std::fs::write(dir.join("package.json"), "{ \"type\": \"module\" }\n").unwrap();
    let signalr = repo().join("tests/node/node_modules/@microsoft/signalr/dist/esm/index.d.ts");
    let tsconfig = json!({
        "extends": repo().join("examples/clients/typescript/tsconfig.base.json"),
        "compilerOptions": {"paths": {"@microsoft/signalr": [signalr]}},
        "include": ["*.ts"]
    });
    std::fs::write(
        dir.join("tsconfig.json"),
        serde_json::to_string_pretty(&tsconfig).unwrap(),
    )
    .unwrap();
    run_tsc(&dir.join("tsconfig.json"));
}

#[test]
fn authorization_is_said_in_doc_comments() {
    let mut manifest = serde_json::to_value(manifest(
        json!([
            {"name": "Send", "rustName": "send", "kind": "invoke", "params": [],
             "authorize": [{"roles": ["Admin"], "policies": []}]},
            {"name": "Ping", "rustName": "ping", "kind": "invoke", "params": []}
        ]),
        json!([]),
        json!({}),
    ))
    .expect("a manifest value");
    manifest["hubs"][0]["authorize"] = json!([{"roles": [], "policies": ["mfa"]}]);
    let manifest: Manifest = serde_json::from_value(manifest).expect("a manifest");
    let code: String = generate(&manifest)
        .iter()
        .map(|file| file.contents.as_str())
        .collect();
    assert!(
        code.contains(
            "Every connection needs an authenticated user allowed by the server's policy `mfa`."
        ),
        "{code}"
    );
    assert_eq!(
        code.matches("Callers need an authenticated user in role `Admin`.")
            .count(),
        2,
        "the invocation and its send variant say it once each:\n{code}"
    );
}
