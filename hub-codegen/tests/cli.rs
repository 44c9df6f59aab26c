//! The `hub-codegen` binary as scripts use it: inputs (file, standard input, a running server's
//! URL), outputs, messages and exit statuses.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use hub_runtime::Hub;

fn codegen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hub-codegen"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("hub-codegen runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A fresh directory under the target directory.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_manifest(dir: &Path, json: &str) -> String {
    write_named(dir, "manifest.json", json)
}

fn write_named(dir: &Path, name: &str, json: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, json).unwrap();
    path.to_string_lossy().into_owned()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

#[test]
fn writes_both_languages_from_a_file() {
    let dir = scratch("file");
    let manifest = write_manifest(&dir, &types::TypesHub::manifest().to_json_pretty());
    for language in ["typescript", "csharp"] {
        let out = dir.join(language);
        let output = codegen(&[
            language,
            "--manifest",
            &manifest,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{language}: {}", stderr(&output));
        assert!(!files_in(&out).is_empty(), "{language} wrote nothing");
        assert!(stderr(&output).contains("wrote "), "{}", stderr(&output));
    }
    // `--protocol messagepack` writes the committed MessagePack client.
    let out = dir.join("typescript-messagepack");
    let output = codegen(&[
        "typescript",
        "--protocol",
        "messagepack",
        "--manifest",
        &manifest,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let committed = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/clients/typescript/types-messagepack/types.ts");
    assert_eq!(
        std::fs::read_to_string(out.join("types.ts")).unwrap(),
        std::fs::read_to_string(committed).unwrap()
    );
}

#[test]
fn fetches_the_manifest_from_a_running_server() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().merge(types::hub(hub_runtime::HubOptions::default()));
    runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });

    let dir = scratch("url");
    let url = format!("http://{addr}/hubs/types/manifest");
    let output = codegen(&[
        "typescript",
        "--manifest",
        &url,
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    // The server serves the contract hash the client carries as the manifest's ETag.
    let response = ureq::get(&url).call().unwrap();
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let index = std::fs::read_to_string(dir.join("index.ts")).unwrap();
    assert!(
        index.contains(&format!("export const MANIFEST_HASH = {etag};")),
        "{etag} in {index}"
    );
    // Same output as from the printed manifest.
    let printed = scratch("url-printed");
    let manifest = write_manifest(
        &printed,
        &types::hub(Default::default()).manifest().to_json_pretty(),
    );
    let out = printed.join("out");
    let output = codegen(&[
        "typescript",
        "--manifest",
        &manifest,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    for file in files_in(&out) {
        assert_eq!(
            std::fs::read_to_string(out.join(&file)).unwrap(),
            std::fs::read_to_string(dir.join(&file)).unwrap(),
            "{file}"
        );
    }

    // A server that does not serve it.
    let missing = format!("http://{addr}/hubs/nothing/manifest");
    let output = codegen(&[
        "typescript",
        "--manifest",
        &missing,
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).contains("HTTP 404"), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("serve_manifest"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn unreadable_inputs_exit_3_with_the_reason() {
    let dir = scratch("bad-input");
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    let cases = [
        (write_manifest(&dir, "{ not json"), "not a hub manifest"),
        (
            write_named(
                &dir,
                "future.json",
                r#"{"manifestVersion": 9, "hubs": [], "$defs": {}}"#,
            ),
            "upgrade hub-codegen",
        ),
        (
            dir.join("missing.json").to_string_lossy().into_owned(),
            "cannot read the manifest",
        ),
        (
            String::from("https://example.invalid/manifest"),
            "only http:// URLs",
        ),
        (
            String::from("http://127.0.0.1:9/hubs/chat/manifest"),
            "cannot fetch the manifest",
        ),
    ];
    for (manifest, message) in cases {
        let output = codegen(&["typescript", "--manifest", &manifest, "--out", out]);
        assert_eq!(
            output.status.code(),
            Some(3),
            "{manifest}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(message),
            "{manifest}: {}",
            stderr(&output)
        );
    }
    assert!(!Path::new(out).exists(), "nothing is written on failure");
}

#[test]
fn an_unmappable_type_exits_1_naming_the_type_and_field() {
    let dir = scratch("unmappable");
    let manifest = write_manifest(
        &dir,
        r##"{
            "manifestVersion": 1,
            "hubs": [{"name": "CountHub", "methods": [{"name": "Get", "rustName": "get", "kind": "invoke", "params": [],
                      "result": {"$ref": "#/$defs/Counter"}}], "clientMethods": []}],
            "$defs": {"Counter": {"type": "object", "properties": {"total": {"type": "integer", "format": "uint64", "minimum": 0}}, "required": ["total"]}}
        }"##,
    );
    let out = dir.join("out");
    let output = codegen(&[
        "typescript",
        "--manifest",
        &manifest,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("Counter.total"),
        "{}",
        stderr(&output)
    );
    assert!(!out.exists(), "nothing is written on failure");

    // Accepted on request; C# has 64-bit integers.
    let output = codegen(&[
        "typescript",
        "--manifest",
        &manifest,
        "--out",
        out.to_str().unwrap(),
        "--int64",
        "number",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = codegen(&[
        "csharp",
        "--manifest",
        &manifest,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn usage_errors_exit_2_and_help_explains_itself() {
    let output = codegen(&["typescript", "--out", "x"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--manifest"),
        "{}",
        stderr(&output)
    );
    let output = codegen(&["rust", "--manifest", "m", "--out", "x"]);
    assert_eq!(output.status.code(), Some(2));

    let help = codegen(&["--help"]);
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for word in ["typescript", "csharp", "manifest", "Exit status"] {
        assert!(text.contains(word), "--help lacks {word}: {text}");
    }
    let help = codegen(&["typescript", "--help"]);
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("--int64") && text.contains("--protocol"),
        "{text}"
    );
    let output = codegen(&[
        "typescript",
        "--protocol",
        "xml",
        "--manifest",
        "m",
        "--out",
        "x",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let help = codegen(&["csharp", "--help"]);
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("--namespace") && text.contains("--nullable"),
        "{text}"
    );
}
