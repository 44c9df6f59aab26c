//! The C# backend: golden clients of the example hubs (`examples/clients/csharp/`), a test per
//! construct of the mapping, refused inputs, and compilation of everything generated with Mono's
//! `mcs` against the compile-time stand-in of the real packages (`tests/csharp/`).
//!
//! `UPDATE_EXPECT=1 cargo test -p hub-codegen --test csharp` rewrites the golden files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use hub_codegen::{File, Model, csharp};
use hub_runtime::Hub;
use hub_schema::Manifest;
use serde_json::{Value, json};

fn options(namespace: &str, nullable: bool) -> csharp::Options {
    csharp::Options {
        namespace: namespace.to_owned(),
        nullable,
    }
}

fn generate(
    manifest: &Manifest,
    namespace: &str,
    nullable: bool,
) -> Result<Vec<File>, hub_codegen::Error> {
    let model = Model::from_manifest(manifest).expect("the model reads the manifest");
    csharp::generate(&model, &options(namespace, nullable))
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

// ---------------------------------------------------------------------------------------------
// Golden files
// ---------------------------------------------------------------------------------------------

/// Compares `files` with the directory `dir` (relative to the workspace root): same names, same
/// contents, nothing else in it. `UPDATE_EXPECT=1` rewrites it instead.
fn check_golden(dir: &str, files: &[File]) {
    let path = root().join(dir);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        update_golden(&path, files);
        return;
    }
    let failures = compare_golden(&path, files);
    assert!(
        failures.is_empty(),
        "{}\n\nThe golden files in {dir} are out of date: rerun with UPDATE_EXPECT=1 to rewrite them, and review the change.",
        failures.join("\n\n")
    );
}

fn listing(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|entry| {
                    entry
                        .expect("a directory entry")
                        .file_name()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What differs between `files` and the directory `dir`: missing, different and stale files.
fn compare_golden(dir: &Path, files: &[File]) -> Vec<String> {
    let expected: BTreeSet<String> = files.iter().map(|file| file.path.clone()).collect();
    let mut failures = Vec::new();
    for stale in listing(dir).difference(&expected) {
        failures.push(format!("{stale}: not generated any more (stale)"));
    }
    for file in files {
        match std::fs::read_to_string(dir.join(&file.path)) {
            Err(_) => failures.push(format!("{}: missing", file.path)),
            Ok(old) if old != file.contents => failures.push(format!(
                "{} differs (- committed, + generated):\n{}",
                file.path,
                diff(&old, &file.contents)
            )),
            Ok(_) => {}
        }
    }
    failures
}

fn update_golden(dir: &Path, files: &[File]) {
    std::fs::create_dir_all(dir).expect("create the golden directory");
    let expected: BTreeSet<String> = files.iter().map(|file| file.path.clone()).collect();
    for stale in listing(dir).difference(&expected) {
        std::fs::remove_file(dir.join(stale)).expect("remove a stale golden file");
        eprintln!("removed {}", dir.join(stale).display());
    }
    for file in files {
        let path = dir.join(&file.path);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(file.contents.as_str()) {
            std::fs::write(&path, &file.contents).expect("write a golden file");
            eprintln!("updated {}", path.display());
        }
    }
}

#[test]
fn golden_comparison_reports_differences_and_stale_files() {
    let dir = std::env::temp_dir().join(format!("hub-codegen-golden-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let files = vec![
        File {
            path: "A.cs".into(),
            contents: "one\ntwo\nthree\n".into(),
        },
        File {
            path: "B.cs".into(),
            contents: "b\n".into(),
        },
    ];
    update_golden(&dir, &files);
    assert!(compare_golden(&dir, &files).is_empty());
    std::fs::write(dir.join("Stale.cs"), "old").unwrap();
    std::fs::write(dir.join("A.cs"), "one\n2\nthree\n").unwrap();
    std::fs::remove_file(dir.join("B.cs")).unwrap();
    let failures = compare_golden(&dir, &files);
    assert_eq!(failures.len(), 3, "{failures:?}");
    assert_eq!(failures[0], "Stale.cs: not generated any more (stale)");
    assert!(failures[1].contains("- 2\n+ two\n"), "{}", failures[1]);
    assert_eq!(failures[2], "B.cs: missing");
    update_golden(&dir, &files);
    assert!(compare_golden(&dir, &files).is_empty());
    assert!(!dir.join("Stale.cs").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A line diff (longest common subsequence), with two lines of context.
fn diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', a[i]));
            i += 1;
        } else {
            ops.push(('+', b[j]));
            j += 1;
        }
    }
    let near = |index: usize| {
        ops[index.saturating_sub(2)..(index + 3).min(ops.len())]
            .iter()
            .any(|(op, _)| *op != ' ')
    };
    let mut out = String::new();
    let mut skipped = false;
    for (index, (op, line)) in ops.iter().enumerate() {
        if near(index) {
            if skipped {
                out.push_str("...\n");
                skipped = false;
            }
            out.push_str(&format!("{op} {line}\n"));
        } else {
            skipped = true;
        }
    }
    out
}

#[test]
fn golden_chat_client() {
    let files = generate(&chat::ChatHub::manifest(), "HubExamples.Chat", false).unwrap();
    check_golden("examples/clients/csharp/chat", &files);
}

#[test]
fn golden_types_client() {
    let files = generate(&types::TypesHub::manifest(), "HubExamples.Types", false).unwrap();
    check_golden("examples/clients/csharp/types", &files);
}

#[test]
fn golden_types_client_with_nullable_annotations() {
    let files = generate(&types::TypesHub::manifest(), "HubExamples.Types", true).unwrap();
    check_golden("examples/clients/csharp/types-nullable", &files);
}

// ---------------------------------------------------------------------------------------------
// Small manifests
// ---------------------------------------------------------------------------------------------

/// A manifest with one hub, `TestHub` (client `TestClient`), and these `$defs`.
fn manifest(defs: Value, methods: Value, client_methods: Value) -> Manifest {
    let json = json!({
        "manifestVersion": 1,
        "hubs": [{
            "name": "TestHub",
            "clientName": "TestClient",
            "methods": methods,
            "clientMethods": client_methods,
        }],
        "$defs": defs,
    });
    Manifest::from_json(&json.to_string()).expect("a valid manifest")
}

/// A hub method: `params` are `(rust name, schema)`, `stream:` prefixes a client stream.
fn method(name: &str, kind: &str, params: &[(&str, Value)], result: Option<Value>) -> Value {
    let params: Vec<Value> = params
        .iter()
        .map(|(param, schema)| match param.strip_prefix("stream:") {
            Some(param) => json!({"name": param, "schema": schema, "stream": true}),
            None => json!({"name": param, "schema": schema}),
        })
        .collect();
    let mut method =
        json!({"name": name, "rustName": name.to_lowercase(), "kind": kind, "params": params});
    if let Some(result) = result {
        method["result"] = result;
    }
    method
}

fn client_method(name: &str, params: &[(&str, Value)], result: Option<Value>) -> Value {
    let mut method = method(name, "invoke", params, result);
    method.as_object_mut().expect("an object").remove("kind");
    method
}

/// A struct schema: `(wire name, schema, required)`.
fn object(fields: &[(&str, Value, bool)]) -> Value {
    let properties: serde_json::Map<String, Value> = fields
        .iter()
        .map(|(name, schema, _)| ((*name).to_owned(), schema.clone()))
        .collect();
    let required: Vec<&str> = fields
        .iter()
        .filter(|(_, _, required)| *required)
        .map(|(name, _, _)| *name)
        .collect();
    json!({"type": "object", "properties": properties, "required": required})
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/$defs/{name}")})
}

fn file<'f>(files: &'f [File], path: &str) -> &'f str {
    &files
        .iter()
        .find(|file| file.path == path)
        .unwrap_or_else(|| {
            panic!(
                "no {path} among {:?}",
                files.iter().map(|f| &f.path).collect::<Vec<_>>()
            )
        })
        .contents
}

/// Each snippet (a whole trimmed line, or several) appears in `text`, in this order.
#[track_caller]
fn assert_lines(text: &str, snippets: &[&str]) {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut from = 0;
    for snippet in snippets {
        let wanted: Vec<&str> = snippet.lines().map(str::trim).collect();
        let found = (from..lines.len().saturating_sub(wanted.len() - 1))
            .find(|&start| lines[start..start + wanted.len()] == wanted[..]);
        match found {
            Some(start) => from = start + wanted.len(),
            None => panic!(
                "missing (in order) in the generated code:\n{snippet}\n\n--- generated ---\n{text}"
            ),
        }
    }
}

#[track_caller]
fn refused(manifest: &Manifest, namespace: &str) -> hub_codegen::Error {
    match generate(manifest, namespace, false) {
        Ok(files) => panic!("generated {} files instead of refusing", files.len()),
        Err(err) => err,
    }
}

// ---------------------------------------------------------------------------------------------
// The type mapping, construct by construct
// ---------------------------------------------------------------------------------------------

#[test]
fn scalars_and_containers() {
    let int = |format: &str| json!({"type": "integer", "format": format});
    let defs = json!({
        "Scalars": object(&[
            ("i8", int("int8"), true),
            ("u8", int("uint8"), true),
            ("i16", int("int16"), true),
            ("u16", int("uint16"), true),
            ("i32", int("int32"), true),
            ("u32", int("uint32"), true),
            ("i64", int("int64"), true),
            ("u64", int("uint64"), true),
            ("f32", json!({"type": "number", "format": "float"}), true),
            ("f64", json!({"type": "number", "format": "double"}), true),
            ("flag", json!({"type": "boolean"}), true),
            ("text", json!({"type": "string"}), true),
            ("at", json!({"type": "string", "format": "date-time"}), true),
            // `hub_runtime::Timestamp`: its JSON form is the same RFC 3339 string.
            ("stamp", json!({"type": "string", "format": "date-time", "x-messagepack": "timestamp"}), true),
            // `hub_runtime::Binary`: System.Text.Json reads and writes `byte[]` as base64.
            ("data", json!({"type": "string", "format": "byte", "contentEncoding": "base64", "x-messagepack": "bin"}), true),
            ("maybe_data", json!({"type": ["string", "null"], "contentEncoding": "base64"}), true),
            ("any", json!({}), true),
            ("unit", json!({"type": "null"}), true),
            ("list", json!({"type": "array", "items": {"type": "string"}}), true),
            ("map", json!({"type": "object", "additionalProperties": int("int32")}), true),
            ("maybe_int", json!({"type": ["integer", "null"], "format": "int32"}), true),
            ("maybe_text", json!({"type": ["string", "null"]}), true),
            ("maybe_any", json!({"anyOf": [{}, {"type": "null"}]}), true),
            ("missing_int", int("int32"), false),
            ("missing_text", json!({"type": "string"}), false),
            ("missing_maybe_int", json!({"type": ["integer", "null"], "format": "int32"}), false),
            ("nested", json!({"type": "array", "items": {"type": "object", "additionalProperties": {"type": ["number", "null"]}}}), true),
        ]),
    });
    let manifest = manifest(defs, json!([]), json!([]));
    let files = generate(&manifest, "Test.Scalars", false).unwrap();
    let dtos = file(&files, "Dtos.cs");
    assert_lines(
        dtos,
        &[
            "[JsonPropertyName(\"i8\")]\npublic sbyte I8 { get; set; }",
            "public byte U8 { get; set; }",
            "public short I16 { get; set; }",
            "public ushort U16 { get; set; }",
            "public int I32 { get; set; }",
            "public uint U32 { get; set; }",
            "public long I64 { get; set; }",
            "public ulong U64 { get; set; }",
            "public float F32 { get; set; }",
            "public double F64 { get; set; }",
            "public bool Flag { get; set; }",
            "public string Text { get; set; }",
            "public DateTimeOffset At { get; set; }",
            "public DateTimeOffset Stamp { get; set; }",
            "public byte[] Data { get; set; }",
            "public byte[] MaybeData { get; set; }",
            "public JsonElement Any { get; set; }",
            "public object Unit { get; set; }",
            "public List<string> List { get; set; }",
            "public Dictionary<string, int> Map { get; set; }",
            "public int? MaybeInt { get; set; }",
            "public string MaybeText { get; set; }",
            "public JsonElement MaybeAny { get; set; }",
            "[JsonPropertyName(\"missing_int\")]\n[JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]\npublic int? MissingInt { get; set; }",
            "[JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]\npublic string MissingText { get; set; }",
            "[JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]\npublic int? MissingMaybeInt { get; set; }",
            "public List<Dictionary<string, double?>> Nested { get; set; }",
        ],
    );
    // Only types that need them get converters.
    assert!(!files.iter().any(|file| file.path == "JsonConverters.cs"));

    let nullable = generate(&manifest, "Test.Scalars", true).unwrap();
    assert_lines(
        file(&nullable, "Dtos.cs"),
        &[
            "#nullable enable",
            "public string Text { get; set; } = null!;",
            "public byte[] Data { get; set; } = null!;",
            "public byte[]? MaybeData { get; set; }",
            "public object? Unit { get; set; }",
            "public List<string> List { get; set; } = null!;",
            "public int? MaybeInt { get; set; }",
            "public string? MaybeText { get; set; }",
            "public string? MissingText { get; set; }",
        ],
    );
}

#[test]
fn unit_enum_maps_its_exact_wire_strings() {
    let defs = json!({
        "Level": {"type": "string", "enum": ["low", "very-high", "Level", "b_c", "bC"], "description": "How high."},
    });
    let holder = json!({"Holder": object(&[("level", reference("Level"), true), ("maybe", json!({"anyOf": [reference("Level"), {"type": "null"}]}), false)])});
    let mut all = defs.as_object().unwrap().clone();
    all.extend(holder.as_object().unwrap().clone());
    let files = generate(
        &manifest(Value::Object(all), json!([]), json!([])),
        "Test.Enums",
        false,
    )
    .unwrap();
    assert_lines(
        file(&files, "Dtos.cs"),
        &[
            "/// How high.",
            "[JsonConverter(typeof(LevelJsonConverter))]\npublic enum Level",
            "Low,",
            "VeryHigh,",
            "LevelValue,",
            "BC,",
            "BC2,",
            "public Level Level { get; set; }",
            "public Level? Maybe { get; set; }",
        ],
    );
    assert_lines(
        file(&files, "JsonConverters.cs"),
        &[
            "public sealed class LevelJsonConverter : JsonConverter<Level>",
            "case \"low\":\nreturn Level.Low;",
            "case \"very-high\":\nreturn Level.VeryHigh;",
            "case \"Level\":\nreturn Level.LevelValue;",
            "case \"b_c\":\nreturn Level.BC;",
            "case \"bC\":\nreturn Level.BC2;",
            "throw new JsonException(\"Level: unknown value \\\"\" + value + \"\\\"; expected one of \\\"low\\\", \\\"very-high\\\", \\\"Level\\\", \\\"b_c\\\", \\\"bC\\\".\");",
            "case Level.VeryHigh:\nwriter.WriteStringValue(\"very-high\");\nreturn;",
        ],
    );
}

/// `enum E { Unit, Data(String), Pair(i32, bool), Record { n: u8, note: Option<String> } }` in a
/// representation: `(variant name, alternative schema)` for each.
fn tagged_enum(alternatives: Value) -> Manifest {
    manifest(
        json!({"E": {"oneOf": alternatives}}),
        json!([method(
            "Echo",
            "invoke",
            &[("e", reference("E"))],
            Some(reference("E"))
        )]),
        json!([]),
    )
}

fn record() -> Value {
    object(&[
        ("n", json!({"type": "integer", "format": "uint8"}), true),
        ("note", json!({"type": ["string", "null"]}), false),
    ])
}

fn pair() -> Value {
    json!({"type": "array", "prefixItems": [{"type": "integer", "format": "int32"}, {"type": "boolean"}], "minItems": 2, "maxItems": 2})
}

/// Every variant class has its own converter attribute (System.Text.Json does not inherit them).
#[track_caller]
fn assert_variant_classes(dtos: &str) {
    assert_lines(
        dtos,
        &[
            "[JsonConverter(typeof(EJsonConverter))]\npublic abstract class E",
            "private E()",
            "[JsonConverter(typeof(EJsonConverter.UnitConverter))]\npublic sealed class Unit : E",
            "[JsonConverter(typeof(EJsonConverter.DataConverter))]\npublic sealed class Data : E",
            "public Data(string value)",
            "public string Value { get; set; }",
            "[JsonConverter(typeof(EJsonConverter.PairConverter))]\npublic sealed class Pair : E",
            "public Pair(int item1, bool item2)",
            "public int Item1 { get; set; }",
            "public bool Item2 { get; set; }",
            "[JsonConverter(typeof(EJsonConverter.RecordConverter))]\npublic sealed class Record : E",
            "public byte N { get; set; }",
            "public string Note { get; set; }",
        ],
    );
}

#[test]
fn externally_tagged_enum() {
    let variant = |name: &str, data: Value| json!({"type": "object", "properties": {name: data}, "required": [name], "additionalProperties": false});
    let files = generate(
        &tagged_enum(json!([
            {"type": "string", "const": "Unit"},
            variant("Data", json!({"type": "string"})),
            variant("Pair", pair()),
            variant("Record", record()),
        ])),
        "Test.External",
        false,
    )
    .unwrap();
    assert_variant_classes(file(&files, "Dtos.cs"));
    assert_lines(
        file(&files, "JsonConverters.cs"),
        &[
            "internal static E ReadValue(JsonElement json, JsonSerializerOptions options)",
            "if (json.ValueKind == JsonValueKind.String)",
            "case \"Unit\":\nreturn new E.Unit();",
            "foreach (JsonProperty property in json.EnumerateObject())",
            "if (count != 1)",
            "case \"Unit\":\nHubCodegenJson.Expect(data, JsonValueKind.Null, \"E.Unit\");\nreturn new E.Unit();",
            "case \"Data\":\nreturn ReadData(data, options);",
            "case \"Record\":\nreturn ReadRecord(data, options);",
            "internal static void WriteValue(Utf8JsonWriter writer, E value, JsonSerializerOptions options)",
            "if (value is E.Unit)\n{\nwriter.WriteStringValue(\"Unit\");\nreturn;\n}",
            "E.Data asData = value as E.Data;\nif (asData != null)\n{\nwriter.WriteStartObject();\nwriter.WritePropertyName(\"Data\");\nWriteData(writer, asData, options);\nwriter.WriteEndObject();",
            "private static E.Pair ReadPair(JsonElement json, JsonSerializerOptions options)\n{\nList<JsonElement> items = HubCodegenJson.Items(json, 2, \"E.Pair\");\nreturn new E.Pair(HubCodegenJson.Read<int>(items[0], options), HubCodegenJson.Read<bool>(items[1], options));",
            "private static E.Record ReadRecord(JsonElement json, JsonSerializerOptions options)",
            "value.N = HubCodegenJson.Read<byte>(HubCodegenJson.Required(json, \"n\", \"E.Record\"), options);",
            "if (json.TryGetProperty(\"note\", out field))\n{\nvalue.Note = HubCodegenJson.Read<string>(field, options);\n}",
            "private static void WriteRecord(Utf8JsonWriter writer, E.Record value, JsonSerializerOptions options)\n{\nwriter.WriteStartObject();\nwriter.WritePropertyName(\"n\");",
            "if (value.Note != null)\n{\nwriter.WritePropertyName(\"note\");",
            "public sealed class UnitConverter : JsonConverter<E.Unit>",
            "E.Unit value = EJsonConverter.ReadValue(document.RootElement, options) as E.Unit;",
            "EJsonConverter.WriteValue(writer, value, options);",
        ],
    );
}

#[test]
fn internally_tagged_enum() {
    let variant = |name: &str, fields: &[(&str, Value, bool)]| {
        let mut fields = fields.to_vec();
        fields.insert(0, ("t", json!({"type": "string", "const": name}), true));
        object(&fields)
    };
    let manifest = tagged_enum(json!([
        variant("Unit", &[]),
        variant(
            "Record",
            &[
                ("n", json!({"type": "integer", "format": "uint8"}), true),
                ("note", json!({"type": ["string", "null"]}), false)
            ]
        ),
    ]));
    let files = generate(&manifest, "Test.Internal", false).unwrap();
    assert_lines(
        file(&files, "JsonConverters.cs"),
        &[
            "string tag = HubCodegenJson.Tag(json, \"t\", \"E\");",
            "case \"Unit\":\nreturn new E.Unit();",
            "case \"Record\":\nreturn ReadRecord(json, options);",
            "if (value is E.Unit)\n{\nwriter.WriteStartObject();\nwriter.WritePropertyName(\"t\");\nwriter.WriteStringValue(\"Unit\");\nwriter.WriteEndObject();",
            "writer.WritePropertyName(\"t\");\nwriter.WriteStringValue(\"Record\");\nWriteRecordFields(writer, asRecord, options);\nwriter.WriteEndObject();",
            "private static void WriteRecordFields(Utf8JsonWriter writer, E.Record value, JsonSerializerOptions options)\n{\nwriter.WritePropertyName(\"n\");",
        ],
    );
}

#[test]
fn adjacently_tagged_enum() {
    let variant = |name: &str, data: Option<Value>| {
        let mut fields = vec![("tag", json!({"type": "string", "const": name}), true)];
        if let Some(data) = data {
            fields.push(("content", data, true));
        }
        object(&fields)
    };
    let files = generate(
        &tagged_enum(json!([
            variant("Unit", None),
            variant("Data", Some(json!({"type": "string"}))),
            variant("Pair", Some(pair())),
            variant("Record", Some(record())),
        ])),
        "Test.Adjacent",
        false,
    )
    .unwrap();
    assert_variant_classes(file(&files, "Dtos.cs"));
    assert_lines(
        file(&files, "JsonConverters.cs"),
        &[
            "string tag = HubCodegenJson.Tag(json, \"tag\", \"E\");",
            "case \"Unit\":\nHubCodegenJson.NoData(json, \"content\", \"E.Unit\");\nreturn new E.Unit();",
            "case \"Data\":\nreturn ReadData(HubCodegenJson.Required(json, \"content\", \"E.Data\"), options);",
            "writer.WritePropertyName(\"tag\");\nwriter.WriteStringValue(\"Pair\");\nwriter.WritePropertyName(\"content\");\nWritePair(writer, asPair, options);",
            "private static void WritePair(Utf8JsonWriter writer, E.Pair value, JsonSerializerOptions options)\n{\nwriter.WriteStartArray();",
        ],
    );
}

#[test]
fn untagged_enum_tries_variants_in_order() {
    let manifest = manifest(
        json!({"U": {"anyOf": [
            {"type": "null"},
            {"type": "integer", "format": "int32"},
            {"type": "number", "format": "double"},
            record(),
            pair(),
            {"type": ["string", "null"]},
            {},
        ]}}),
        json!([]),
        json!([]),
    );
    let files = generate(&manifest, "Test.Untagged", false).unwrap();
    assert_lines(
        file(&files, "Dtos.cs"),
        &[
            "public sealed class Variant1 : U",
            "public sealed class Variant2 : U",
            "public int Value { get; set; }",
            "public sealed class Variant4 : U",
            "public byte N { get; set; }",
            "public sealed class Variant7 : U",
            "public JsonElement Value { get; set; }",
        ],
    );
    assert_lines(
        file(&files, "JsonConverters.cs"),
        &[
            // JSON null is a variant: the converter must see it.
            "public override bool HandleNull\n{\nget { return true; }\n}",
            "if (json.ValueKind == JsonValueKind.Null)\n{\nreturn new U.Variant1();\n}",
            "if (json.ValueKind == JsonValueKind.Number)\n{\ntry\n{\nreturn ReadVariant2(json, options);\n}\ncatch (JsonException)",
            "if (json.ValueKind == JsonValueKind.Number)\n{\ntry\n{\nreturn ReadVariant3(json, options);",
            "if (json.ValueKind == JsonValueKind.Object)\n{\ntry\n{\nreturn ReadVariant4(json, options);",
            "if (json.ValueKind == JsonValueKind.Array)\n{\ntry\n{\nreturn ReadVariant5(json, options);",
            "if (json.ValueKind == JsonValueKind.String || json.ValueKind == JsonValueKind.Null)",
            // Any JSON: no kind to check.
            "try\n{\nreturn ReadVariant7(json, options);",
            "throw new JsonException(\"U: the JSON matches none of the variants (JSON kind \" + json.ValueKind + \").\");",
            "if (value is U.Variant1)\n{\nwriter.WriteNullValue();\nreturn;\n}",
            "U.Variant2 asVariant2 = value as U.Variant2;\nif (asVariant2 != null)\n{\nWriteVariant2(writer, asVariant2, options);\nreturn;",
        ],
    );
}

/// System.Text.Json reads a class from any object (missing properties keep their defaults), so
/// an untagged newtype variant around a struct checks serde's required fields itself: otherwise
/// the first such variant would take every object, where serde moves on to the next variant.
#[test]
fn untagged_newtype_of_struct_requires_its_fields() {
    let manifest = manifest(
        json!({
            "A": record(),
            "B": object(&[("label", json!({"type": "string"}), true)]),
            "U": {"anyOf": [reference("A"), reference("B")]},
        }),
        json!([]),
        json!([]),
    );
    let files = generate(&manifest, "Test.Untagged", false).unwrap();
    assert_lines(
        file(&files, "JsonConverters.cs"),
        &[
            "private static U.Variant1 ReadVariant1(JsonElement json, JsonSerializerOptions options)\n{\nHubCodegenJson.Expect(json, JsonValueKind.Object, \"U.Variant1\");\nHubCodegenJson.Required(json, \"n\", \"U.Variant1\");\nreturn new U.Variant1(HubCodegenJson.Read<A>(json, options));",
            "HubCodegenJson.Required(json, \"label\", \"U.Variant2\");\nreturn new U.Variant2(HubCodegenJson.Read<B>(json, options));",
        ],
    );
}

#[test]
fn tuples_are_classes_written_as_arrays() {
    let pair_ty = json!({"type": "array", "prefixItems": [{"type": "integer", "format": "int32"}, {"type": "string"}], "minItems": 2, "maxItems": 2});
    let nested = json!({"type": "array", "prefixItems": [pair_ty.clone(), {"type": ["boolean", "null"]}], "minItems": 2, "maxItems": 2});
    let manifest = manifest(
        json!({
            "Holder": object(&[("pair", pair_ty.clone(), true), ("nested", nested.clone(), true), ("via_alias", json!({"type": "array", "prefixItems": [reference("Id"), {"type": "string"}], "minItems": 2, "maxItems": 2}), true)]),
            "Id": {"type": "integer", "format": "int32"},
        }),
        json!([method(
            "Swap",
            "invoke",
            &[("pair", pair_ty.clone())],
            Some(pair_ty)
        )]),
        json!([]),
    );
    let files = generate(&manifest, "Test.Tuples", false).unwrap();
    let dtos = file(&files, "Dtos.cs");
    assert_lines(
        dtos,
        &[
            "public TupleInt32String Pair { get; set; }",
            "public TupleTupleInt32StringNullableBoolean Nested { get; set; }",
            // A newtype is its wrapped type: the same tuple class.
            "public TupleInt32String ViaAlias { get; set; }",
            "[JsonConverter(typeof(TupleInt32StringJsonConverter))]\npublic sealed class TupleInt32String",
            "public TupleInt32String(int item1, string item2)",
            "public sealed class TupleTupleInt32StringNullableBoolean",
            "public TupleInt32String Item1 { get; set; }",
            "public bool? Item2 { get; set; }",
        ],
    );
    assert_eq!(
        dtos.matches("public sealed class TupleInt32String\n")
            .count(),
        1
    );
    assert_lines(
        file(&files, "JsonConverters.cs"),
        &[
            "public sealed class TupleInt32StringJsonConverter : JsonConverter<TupleInt32String>",
            "List<JsonElement> items = HubCodegenJson.Items(json, 2, \"TupleInt32String\");",
            "return new TupleInt32String(HubCodegenJson.Read<int>(items[0], options), HubCodegenJson.Read<string>(items[1], options));",
            "writer.WriteStartArray();\nHubCodegenJson.Write<int>(writer, value.Item1, options);\nHubCodegenJson.Write<string>(writer, value.Item2, options);\nwriter.WriteEndArray();",
        ],
    );
    assert_lines(
        file(&files, "TestHub.cs"),
        &[
            "Task<TupleInt32String> SwapAsync(TupleInt32String pair, CancellationToken cancellationToken = default(CancellationToken));",
        ],
    );
}

#[test]
fn newtypes_are_their_wrapped_type() {
    let manifest = manifest(
        json!({
            "Meters": {"type": "number", "format": "double", "description": "A distance in meters."},
            "Route": object(&[("length", reference("Meters"), true), ("detour", reference("Meters"), false), ("legs", json!({"type": "array", "items": reference("Meters")}), true)]),
            "Wrapper": reference("Route"),
        }),
        json!([method(
            "Measure",
            "invoke",
            &[("route", reference("Wrapper"))],
            Some(reference("Meters"))
        )]),
        json!([]),
    );
    let files = generate(&manifest, "Test.Newtypes", false).unwrap();
    let dtos = file(&files, "Dtos.cs");
    assert!(
        !dtos.contains("class Meters") && !dtos.contains("class Wrapper"),
        "{dtos}"
    );
    assert_lines(
        dtos,
        &[
            "/// <para>Type <c>Meters</c>: A distance in meters.</para>",
            "public double Length { get; set; }",
            "public double? Detour { get; set; }",
            "public List<double> Legs { get; set; }",
        ],
    );
    assert_lines(
        file(&files, "TestHub.cs"),
        &[
            "Task<double> MeasureAsync(Route route, CancellationToken cancellationToken = default(CancellationToken));",
        ],
    );
}

#[test]
fn hub_methods_streams_and_sends() {
    let int = json!({"type": "integer", "format": "int32"});
    let manifest = manifest(
        json!({}),
        json!([
            method(
                "Notify",
                "invoke",
                &[
                    ("event", json!({"type": "string"})),
                    ("class_name", json!({"type": "string"}))
                ],
                None
            ),
            method("Ping", "invoke", &[], None),
            method("Nothing", "invoke", &[], Some(json!({"type": "null"}))),
            method(
                "Add",
                "invoke",
                &[
                    ("a", int.clone()),
                    ("b", int.clone()),
                    ("cancellation_token", int.clone())
                ],
                Some(int.clone())
            ),
            method(
                "Counter",
                "stream",
                &[("count", int.clone())],
                Some(int.clone())
            ),
            method(
                "Sum",
                "invoke",
                &[
                    ("label", json!({"type": "string"})),
                    ("stream:numbers", int.clone()),
                    ("stream:more", int.clone())
                ],
                Some(int.clone())
            ),
            method(
                "Scale",
                "stream",
                &[("stream:numbers", int.clone()), ("factor", int.clone())],
                Some(int.clone())
            ),
        ]),
        json!([]),
    );
    let files = generate(&manifest, "Test.Hub", false).unwrap();
    let hub = file(&files, "TestHub.cs");
    assert_eq!(files.len(), 1, "no types, no Dtos.cs");
    let token = "CancellationToken cancellationToken = default(CancellationToken)";
    assert_lines(
        hub,
        &[
            "public interface ITestHub",
            &format!("Task NotifyAsync(string @event, string className, {token});"),
            &format!("Task PingAsync({token});"),
            &format!("Task NothingAsync({token});"),
            &format!("Task<int> AddAsync(int a, int b, int cancellationToken2, {token});"),
            &format!("IAsyncEnumerable<int> CounterAsync(int count, {token});"),
            &format!("Task<ChannelReader<int>> CounterChannelAsync(int count, {token});"),
            &format!(
                "Task<int> SumAsync(string label, ChannelReader<int> numbers, ChannelReader<int> more, {token});"
            ),
            &format!(
                "Task<int> SumAsync(string label, IAsyncEnumerable<int> numbers, IAsyncEnumerable<int> more, {token});"
            ),
            &format!(
                "IAsyncEnumerable<int> ScaleAsync(ChannelReader<int> numbers, int factor, {token});"
            ),
            &format!(
                "IAsyncEnumerable<int> ScaleAsync(IAsyncEnumerable<int> numbers, int factor, {token});"
            ),
            &format!(
                "Task<ChannelReader<int>> ScaleChannelAsync(ChannelReader<int> numbers, int factor, {token});"
            ),
            &format!(
                "Task<ChannelReader<int>> ScaleChannelAsync(IAsyncEnumerable<int> numbers, int factor, {token});"
            ),
            "public sealed class TestHubProxy : ITestHub",
            "return _connection.InvokeCoreAsync(\"Notify\", new object[] { @event, className }, cancellationToken);",
            "return _connection.InvokeCoreAsync(\"Ping\", new object[0], cancellationToken);",
            // A `()` result completes without a value: the non-generic InvokeCoreAsync.
            "return _connection.InvokeCoreAsync(\"Nothing\", new object[0], cancellationToken);",
            "return _connection.InvokeCoreAsync<int>(\"Add\", new object[] { a, b, cancellationToken2 }, cancellationToken);",
            "return _connection.StreamAsyncCore<int>(\"Counter\", new object[] { count }, cancellationToken);",
            "return _connection.StreamAsChannelCoreAsync<int>(\"Counter\", new object[] { count }, cancellationToken);",
            "return _connection.InvokeCoreAsync<int>(\"Sum\", new object[] { label, numbers, more }, cancellationToken);",
            "return _connection.StreamAsyncCore<int>(\"Scale\", new object[] { numbers, factor }, cancellationToken);",
            "public sealed class TestHubSender",
            "return _connection.SendCoreAsync(\"Notify\", new object[] { @event, className }, cancellationToken);",
            &format!(
                "public Task SumAsync(string label, IAsyncEnumerable<int> numbers, IAsyncEnumerable<int> more, {token})"
            ),
        ],
    );
    // Server streams have no fire-and-forget form; no client methods, no receiver.
    let sender = &hub[hub.find("public sealed class TestHubSender").unwrap()..];
    assert!(
        !sender.contains("Counter") && !sender.contains("Scale"),
        "{sender}"
    );
    assert!(!hub.contains("interface ITestClient"), "{hub}");

    let nullable = generate(&manifest, "Test.Hub", true).unwrap();
    assert_lines(
        file(&nullable, "TestHub.cs"),
        &[
            "return _connection.InvokeCoreAsync(\"Notify\", new object?[] { @event, className }, cancellationToken);",
        ],
    );
}

#[test]
fn receivers_register_every_client_method() {
    let manifest = manifest(
        json!({"Level": {"type": "string", "enum": ["low", "high"]}}),
        json!([]),
        json!([
            client_method(
                "ReceiveMessage",
                &[
                    ("user", json!({"type": "string"})),
                    ("message", json!({"type": "string"}))
                ],
                None
            ),
            client_method("Tick", &[], None),
            client_method(
                "AskLevel",
                &[("question", json!({"type": ["string", "null"]}))],
                Some(reference("Level"))
            ),
        ]),
    );
    let files = generate(&manifest, "Test.Receivers", false).unwrap();
    assert_lines(
        file(&files, "TestHub.cs"),
        &[
            "public interface ITestClient",
            "Task ReceiveMessage(string user, string message);",
            "Task Tick();",
            "/// <para>A client result: the value the task completes with is sent back to the hub, and an exception is reported to it as an error.</para>",
            "Task<Level> AskLevel(string question);",
            "public static class TestClientRegistration",
            "public static IDisposable RegisterTestClient(this HubConnection connection, ITestClient receiver)",
            "Func<object[], object, Task> handler1 = HandleReceiveMessage;",
            "registrations.Add(connection.On(\"ReceiveMessage\", new Type[] { typeof(string), typeof(string) }, handler1, receiver));",
            "registrations.Add(connection.On(\"Tick\", new Type[0], handler2, receiver));",
            "Func<object[], object, Task<object>> handler3 = HandleAskLevel;",
            "registrations.Add(connection.On(\"AskLevel\", new Type[] { typeof(string) }, handler3, receiver));",
            "return new Registrations(registrations.ToArray());",
            "private static Task HandleReceiveMessage(object[] args, object state)\n{\nreturn ((ITestClient)state).ReceiveMessage((string)args[0], (string)args[1]);",
            "private static async Task<object> HandleAskLevel(object[] args, object state)\n{\nreturn await ((ITestClient)state).AskLevel((string)args[0]).ConfigureAwait(false);",
            "IDisposable[] items = Interlocked.Exchange(ref _items, null);",
        ],
    );
    // With nullable annotations, the registration (plumbing) is compiled without them.
    let nullable = generate(&manifest, "Test.Receivers", true).unwrap();
    assert_lines(
        file(&nullable, "TestHub.cs"),
        &[
            "#nullable enable",
            "Task<Level> AskLevel(string? question);",
            "#nullable disable",
            "public static class TestClientRegistration",
            "return await ((ITestClient)state).AskLevel((string)args[0]).ConfigureAwait(false);",
        ],
    );
}

#[test]
fn documentation_comes_from_descriptions() {
    let manifest = manifest(
        json!({"Doc": {
            "type": "object",
            "description": "First <line> & `code`.\n\nSecond paragraph with [`Link`].",
            "properties": {"x": {"type": "string", "description": "An `x`."}},
            "required": ["x"],
        }}),
        json!([{"name": "Go", "rustName": "go", "kind": "invoke", "params": [], "description": "Goes."}]),
        json!([]),
    );
    let files = generate(&manifest, "Test.Docs", false).unwrap();
    assert_lines(
        file(&files, "Dtos.cs"),
        &[
            "/// <summary>\n/// First &lt;line&gt; &amp; <c>code</c>.\n/// </summary>\n/// <remarks>\n/// <para>Second paragraph with <c>Link</c>.</para>\n/// </remarks>\npublic sealed class Doc",
            "/// <summary>An <c>x</c>.</summary>",
        ],
    );
    assert_lines(
        file(&files, "TestHub.cs"),
        &[
            "// <auto-generated>",
            "//     Generated by hub-codegen from a hub manifest. Do not edit: regenerate instead.",
            "namespace Test.Docs",
            "/// Goes.",
        ],
    );
}

/// Names that C# would resolve to the wrong thing, or reject: generated types called like
/// framework types, variants like their enum or like other types, members like their class,
/// parameters that are keywords. The output must compile (see `generated_code_compiles`).
fn shadowing_manifest() -> Manifest {
    let string = json!({"type": "string"});
    let int = json!({"type": "integer", "format": "int32"});
    let variant = |name: &str, data: Value| json!({"type": "object", "properties": {name: data}, "required": [name], "additionalProperties": false});
    manifest(
        json!({
            "Task": object(&[
                ("task", int.clone(), true),
                ("jsonIgnoreCondition", string.clone(), false),
                ("list", json!({"type": "array", "items": int.clone()}), true),
                ("type", reference("Type"), true),
            ]),
            "Type": {"type": "string", "enum": ["Type", "a-b", "A_B", "class"]},
            "List": object(&[("items", json!({"type": "array", "items": reference("Node")}), true)]),
            "Node": {"oneOf": [
                {"type": "string", "const": "Type"},
                variant("Text", string.clone()),
                variant("Node", object(&[("node", json!({"anyOf": [reference("Node"), {"type": "null"}]}), true)])),
                variant("Task", reference("Task")),
                variant("List", json!({"type": "array", "prefixItems": [reference("List"), reference("Type")], "minItems": 2, "maxItems": 2})),
                variant("JsonElement", json!({})),
            ]},
            "Any": {"anyOf": [{"type": "null"}, {}]},
            "JsonException": object(&[("message", string.clone(), true)]),
        }),
        json!([
            method(
                "Event",
                "invoke",
                &[
                    ("event", reference("Type")),
                    ("object", reference("Task")),
                    ("cancellation_token", string.clone())
                ],
                Some(reference("Task"))
            ),
            method("Default", "invoke", &[], None),
            method(
                "Stream",
                "stream",
                &[("params", reference("Any"))],
                Some(reference("Node"))
            ),
            method(
                "Upload",
                "invoke",
                &[
                    ("stream:this", reference("Node")),
                    ("stream:base", reference("Type"))
                ],
                Some(reference("List"))
            ),
        ]),
        json!([
            client_method(
                "Type",
                &[("object", reference("Task")), ("string", string.clone())],
                None
            ),
            client_method(
                "Ask",
                &[("node", reference("Node"))],
                Some(reference("Type"))
            ),
        ]),
    )
}

#[test]
fn shadowing_names_are_qualified_or_renamed() {
    let files = generate(&shadowing_manifest(), "Test.Shadowing", false).unwrap();
    let dtos = file(&files, "Dtos.cs");
    assert_lines(
        dtos,
        &[
            "public sealed class Task",
            // A member cannot be named like its class; an expression must not bind to a member.
            "public int TaskValue { get; set; }",
            "[JsonIgnore(Condition = global::System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]\npublic string JsonIgnoreCondition { get; set; }",
            "public global::System.Collections.Generic.List<int> List { get; set; }",
            "public enum Type",
            "TypeValue,",
            "AB,",
            "AB2,",
            "Class,",
            "public abstract class Node",
            "public sealed class Type : Node",
            "public sealed class Text : Node",
            "public sealed class NodeValue : Node",
            "public Node Node { get; set; }",
            "public sealed class Task : Node",
            "public Task(global::Test.Shadowing.Task value)",
            "public sealed class List : Node",
            "public List(global::Test.Shadowing.List item1, global::Test.Shadowing.Type item2)",
            "public sealed class JsonElement : Node",
            "public JsonElement(global::System.Text.Json.JsonElement value)",
        ],
    );
    assert_lines(
        file(&files, "TestHub.cs"),
        &[
            "global::System.Threading.Tasks.Task<Task> EventAsync(Type @event, Task @object, string cancellationToken2, CancellationToken cancellationToken = default(CancellationToken));",
            "IAsyncEnumerable<Node> StreamAsync(JsonElement @params, CancellationToken cancellationToken = default(CancellationToken));",
            "global::System.Threading.Tasks.Task<List> UploadAsync(ChannelReader<Node> @this, ChannelReader<Type> @base, CancellationToken cancellationToken = default(CancellationToken));",
            "global::System.Threading.Tasks.Task Type(Task @object, string @string);",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// Refused inputs
// ---------------------------------------------------------------------------------------------

#[test]
fn refuses_invalid_namespaces() {
    let manifest = manifest(json!({}), json!([]), json!([]));
    for namespace in ["", "My-App", "My..App", "2Fast", "App.class"] {
        let err = refused(&manifest, namespace);
        assert_eq!(err.location, "C# namespace", "{namespace}: {err}");
        assert!(err.message.contains("dot-separated identifiers"), "{err}");
    }
}

#[test]
fn refuses_methods_that_collide_in_csharp() {
    let same_name = manifest(
        json!({}),
        json!([
            method("Echo", "invoke", &[], None),
            method("echo", "invoke", &[], None)
        ]),
        json!([]),
    );
    let err = refused(&same_name, "Test");
    assert_eq!(err.location, "TestHub");
    assert!(
        err.message
            .contains("`Echo` and `echo` would both be `EchoAsync`"),
        "{err}"
    );

    let channel = manifest(
        json!({}),
        json!([
            method("Feed", "stream", &[], Some(json!({"type": "string"}))),
            method("FeedChannel", "invoke", &[], None)
        ]),
        json!([]),
    );
    let err = refused(&channel, "Test");
    assert!(
        err.message.contains("would both be `FeedChannelAsync`"),
        "{err}"
    );

    let clients = manifest(
        json!({}),
        json!([]),
        json!([
            client_method("on_tick", &[], None),
            client_method("OnTick", &[], None)
        ]),
    );
    let err = refused(&clients, "Test");
    assert!(
        err.message
            .contains("client methods `on_tick` and `OnTick` would both be `OnTick`"),
        "{err}"
    );
}

#[test]
fn refuses_types_named_like_generated_classes() {
    let manifest = manifest(
        json!({"TestHubProxy": object(&[("x", json!({"type": "string"}), true)])}),
        json!([method(
            "Get",
            "invoke",
            &[],
            Some(reference("TestHubProxy"))
        )]),
        json!([]),
    );
    let err = refused(&manifest, "Test");
    assert_eq!(err.location, "C# type TestHubProxy");
    assert!(
        err.message
            .contains("type `TestHubProxy` and the proxy of hub `TestHub`"),
        "{err}"
    );

    let converter = manifest_with_defs(json!({
        "Color": {"type": "string", "enum": ["red"]},
        "ColorJsonConverter": object(&[("x", json!({"type": "string"}), true)]),
    }));
    let err = refused(&converter, "Test");
    assert!(err.message.contains("the converter of `Color`"), "{err}");
}

fn manifest_with_defs(defs: Value) -> Manifest {
    manifest(defs, json!([]), json!([]))
}

#[test]
fn refuses_fields_that_differ_only_in_case() {
    let manifest = manifest_with_defs(json!({
        "Point": object(&[("x", json!({"type": "number"}), true), ("X", json!({"type": "number"}), true)]),
    }));
    let err = refused(&manifest, "Test");
    assert_eq!(err.location, "Point.X");
    assert!(err.message.contains("differ only in case"), "{err}");
}

#[test]
fn refuses_newtypes_of_themselves() {
    let manifest = manifest_with_defs(json!({"A": reference("B"), "B": reference("A")}));
    let err = refused(&manifest, "Test");
    assert!(err.message.contains("refers to itself"), "{err}");
}

#[test]
fn refuses_hubs_whose_names_collide() {
    let json = json!({
        "manifestVersion": 1,
        "hubs": [
            {"name": "Chat", "methods": [], "clientMethods": []},
            {"name": "chat", "methods": [], "clientMethods": []},
        ],
        "$defs": {},
    });
    let err = refused(&Manifest::from_json(&json.to_string()).unwrap(), "Test");
    assert!(err.message.contains("two hubs are named `Chat`"), "{err}");

    let json = json!({
        "manifestVersion": 1,
        "hubs": [
            {"name": "A", "clientName": "Client", "methods": [], "clientMethods": [client_method("Ping", &[], None)]},
            {"name": "B", "clientName": "Client", "methods": [], "clientMethods": [client_method("Pong", &[], None)]},
        ],
        "$defs": {},
    });
    let err = refused(&Manifest::from_json(&json.to_string()).unwrap(), "Test");
    assert!(
        err.message.contains("give them different client names"),
        "{err}"
    );
}

#[test]
fn the_hub_path_is_a_constant_of_the_proxy() {
    let json = json!({
        "manifestVersion": 1,
        "hubs": [{"name": "ChatHub", "path": "/hubs/chat", "methods": [], "clientMethods": []}],
        "$defs": {},
    });
    let files = generate(
        &Manifest::from_json(&json.to_string()).unwrap(),
        "Test",
        false,
    )
    .unwrap();
    assert_lines(
        file(&files, "ChatHub.cs"),
        &[
            "/// <para>Served at <c>/hubs/chat</c>.</para>",
            "public interface IChatHub",
            "public sealed class ChatHubProxy : IChatHub",
            "public const string Path = \"/hubs/chat\";",
        ],
    );

    let json = json!({
        "manifestVersion": 1,
        "hubs": [{"name": "dtos", "methods": [], "clientMethods": []}],
        "$defs": {},
    });
    let err = refused(&Manifest::from_json(&json.to_string()).unwrap(), "Test");
    assert!(err.message.contains("`Dtos.cs` holds the types"), "{err}");
}

#[test]
fn hubs_sharing_a_client_declare_it_once() {
    let json = json!({
        "manifestVersion": 1,
        "hubs": [
            {"name": "A", "clientName": "Client", "methods": [], "clientMethods": [client_method("Ping", &[], None)]},
            {"name": "B", "clientName": "Client", "methods": [], "clientMethods": [client_method("Ping", &[], None)]},
        ],
        "$defs": {},
    });
    let files = generate(
        &Manifest::from_json(&json.to_string()).unwrap(),
        "Test",
        false,
    )
    .unwrap();
    assert!(file(&files, "A.cs").contains("public interface IClient"));
    assert!(!file(&files, "B.cs").contains("IClient"));
}

// ---------------------------------------------------------------------------------------------
// Nullable annotations and compilation
// ---------------------------------------------------------------------------------------------

/// The annotated output without its annotations: what mcs (C# 7.2 at most) can compile.
fn erase_annotations(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("#nullable") || trimmed.starts_with("//     ") || trimmed.is_empty()
        {
            continue;
        }
        let line = line.replace(" = null!;", "");
        let mut previous = ' ';
        for ch in line.chars() {
            let annotation = ch == '?'
                && (previous.is_ascii_alphanumeric() || matches!(previous, '_' | '>' | ']'));
            if !annotation {
                out.push(ch);
            }
            previous = ch;
        }
        out.push('\n');
    }
    out
}

/// With `nullable`, the output differs only by annotations: everything else is what the
/// compile test checks with mcs, which knows no C# 8.
#[test]
fn nullable_output_differs_only_by_annotations() {
    for (manifest, namespace) in [
        (chat::ChatHub::manifest(), "HubExamples.Chat"),
        (types::TypesHub::manifest(), "HubExamples.Types"),
        (shadowing_manifest(), "Test.Shadowing"),
    ] {
        let plain = generate(&manifest, namespace, false).unwrap();
        let annotated = generate(&manifest, namespace, true).unwrap();
        assert_eq!(plain.len(), annotated.len());
        for (plain, annotated) in plain.iter().zip(&annotated) {
            assert_eq!(plain.path, annotated.path);
            assert!(
                annotated.contents.contains("#nullable "),
                "{}",
                annotated.path
            );
            assert!(!plain.contents.contains("#nullable"), "{}", plain.path);
            let (a, b) = (
                erase_annotations(&plain.contents),
                erase_annotations(&annotated.contents),
            );
            assert!(
                a == b,
                "{}: differs beyond annotations:\n{}",
                plain.path,
                diff(&a, &b)
            );
        }
    }
    let types = generate(&types::TypesHub::manifest(), "HubExamples.Types", true).unwrap();
    assert_lines(
        file(&types, "JsonConverters.cs"),
        &[
            "// </auto-generated>",
            "#nullable disable",
            "namespace HubExamples.Types",
        ],
    );
}

/// Writes `files` under `dir/name/`.
fn write_all(dir: &Path, name: &str, files: &[File]) -> Vec<PathBuf> {
    let dir = dir.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    files
        .iter()
        .map(|file| {
            let path = dir.join(&file.path);
            std::fs::write(&path, &file.contents).unwrap();
            path
        })
        .collect()
}

/// Compiles the generated clients of the examples and of the test manifests, with hand-written
/// code that uses them (`tests/csharp/usage/`), against the compile-time stand-in of
/// Microsoft.AspNetCore.SignalR.Client, System.Text.Json and System.Threading.Channels, as C#
/// 7.2 (mcs has no 7.3), warnings as errors, XML documentation checked.
#[test]
fn generated_code_compiles() {
    let mcs = Command::new("mcs").arg("--version").output();
    if !mcs.is_ok_and(|output| output.status.success()) {
        panic!(
            "mcs (Mono's C# compiler) is not installed: the generated C# cannot be compile-checked. Install it with `apt-get install mono-devel` (Debian/Ubuntu) and rerun."
        );
    }
    let dir = std::env::temp_dir().join(format!("hub-codegen-csharp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut sources = Vec::new();
    sources.extend(write_all(
        &dir,
        "chat",
        &generate(&chat::ChatHub::manifest(), "HubExamples.Chat", false).unwrap(),
    ));
    sources.extend(write_all(
        &dir,
        "types",
        &generate(&types::TypesHub::manifest(), "HubExamples.Types", false).unwrap(),
    ));
    sources.extend(write_all(
        &dir,
        "shadowing",
        &generate(&shadowing_manifest(), "Test.Shadowing", false).unwrap(),
    ));
    sources.extend(write_all(
        &dir,
        "untagged",
        &generate(&tagged_enum_untagged(), "Test.Untagged", false).unwrap(),
    ));
    let usage = root().join("hub-codegen/tests/csharp/usage");
    for entry in std::fs::read_dir(&usage).unwrap() {
        sources.push(entry.unwrap().path());
    }
    let output = Command::new("bash")
        .arg(root().join("hub-codegen/tests/csharp/check.sh"))
        .args(&sources)
        .env("CHECK_DOC", "1")
        .output()
        .expect("run bash");
    let _ = std::fs::remove_dir_all(&dir);
    println!("{}", String::from_utf8_lossy(&output.stdout));
    assert!(
        output.status.success(),
        "mcs rejected the generated C#:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn tagged_enum_untagged() -> Manifest {
    manifest(
        json!({"A": record(), "U": {"anyOf": [
            {"type": "null"},
            {"type": "integer", "format": "int32"},
            reference("A"),
            record(),
            pair(),
            {"type": ["string", "null"]},
            {},
        ]}}),
        json!([method(
            "Echo",
            "invoke",
            &[("u", reference("U"))],
            Some(reference("U"))
        )]),
        json!([client_method(
            "Take",
            &[("u", json!({"anyOf": [reference("U"), {"type": "null"}]}))],
            Some(reference("U"))
        )]),
    )
}

#[test]
fn authorization_is_said_in_doc_comments() {
    let mut manifest = serde_json::to_value(manifest(
        json!({}),
        json!([
            {"name": "Send", "rustName": "send", "kind": "invoke", "params": [],
             "authorize": [{"roles": ["Admin", "Ops"], "policies": []}]},
            {"name": "Ping", "rustName": "ping", "kind": "invoke", "params": []}
        ]),
        json!([]),
    ))
    .expect("a manifest value");
    manifest["hubs"][0]["authorize"] = json!([{"roles": [], "policies": []}]);
    let manifest: Manifest = serde_json::from_value(manifest).expect("a manifest");
    let files = generate(&manifest, "Test", false).unwrap_or_else(|err| panic!("{err}"));
    let code: String = files.iter().map(|file| file.contents.as_str()).collect();
    assert!(
        code.contains("Every connection needs an authenticated user."),
        "{code}"
    );
    assert!(
        code.matches(
            "Callers need an authenticated user in one of the roles <c>Admin</c>, <c>Ops</c>."
        )
        .count()
            == 2,
        "the invocation and its send variant say it once each:\n{code}"
    );
    assert!(
        !code.contains("Callers need an authenticated user.\n"),
        "{code}"
    );
}
