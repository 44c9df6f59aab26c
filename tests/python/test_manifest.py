"""The manifests the example servers print (`--print-manifest`) and serve (`GET <hub>/manifest`)
are valid against the manifest format's own JSON Schema (hub-schema/src/manifest.schema.json),
and every schema inside them is a valid JSON Schema (draft 2020-12)."""

import json
import subprocess
import urllib.request

import pytest
from jsonschema import Draft202012Validator

from conftest import REPO_ROOT, chat_binary_path

FORMAT_SCHEMA = json.loads((REPO_ROOT / "hub-schema" / "src" / "manifest.schema.json").read_text())
EXAMPLES = ["chat", "streaming", "types"]


def example_manifest(name: str) -> dict:
    binary = chat_binary_path().parent / name
    if not binary.exists():
        pytest.fail(f"{binary} not found: run `cargo build --workspace --bins` first")
    out = subprocess.run([str(binary), "--print-manifest"], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)


def test_the_format_schema_is_a_valid_schema():
    Draft202012Validator.check_schema(FORMAT_SCHEMA)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_manifests_match_the_format(name):
    manifest = example_manifest(name)
    errors = sorted(Draft202012Validator(FORMAT_SCHEMA).iter_errors(manifest), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    assert manifest["hubs"][0]["path"] == f"/hubs/{name}"


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_embedded_schema_is_valid_and_refs_resolve(name):
    manifest = example_manifest(name)
    schemas = list(manifest["$defs"].values())
    for hub in manifest["hubs"]:
        for method in hub["methods"] + hub["clientMethods"]:
            schemas += [param["schema"] for param in method["params"]]
            if "result" in method:
                schemas.append(method["result"])
    for schema in schemas:
        Draft202012Validator.check_schema(schema)
    # Every $ref names a definition of the same document.
    text = json.dumps(manifest)
    for part in text.split('"$ref": "')[1:]:
        ref = part.split('"', 1)[0]
        assert ref.startswith("#/$defs/"), ref
        assert ref[len("#/$defs/"):] in manifest["$defs"], ref


def test_the_served_manifest_is_the_printed_one_with_its_path(chat_server):
    with urllib.request.urlopen(f"{chat_server.base_url}/hubs/chat/manifest", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        served = json.loads(response.read())
    assert served == example_manifest("chat")
