//! The crate's layers hold: every file imports only its own layer and the layers below it, the
//! transports import nothing of hubs, and no two files import each other, directly or through
//! others. Read from the `use crate::…`, `use super::…` lines and the `crate::…` paths of the
//! sources; docs/architecture.md draws the same layers.
#![allow(missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level modules, lowest layer first; modules of one rank form one layer.
const LAYERS: &[(&str, u32)] = &[
    ("protocol", 0),
    ("manifest", 0),
    ("connection", 1),
    ("remote", 1),
    ("model", 2),
    ("auth", 2),
    ("lifetime", 3),
    ("stream", 4),
    ("dispatch", 5),
    ("options", 6),
    ("proxy", 7),
    ("hub", 7),
    ("context", 7),
    ("hub_connection", 8),
    ("transport", 9),
    ("client", 9),
    ("router", 10),
];

/// What the transports may import: they serve connections and know nothing of hubs.
const TRANSPORT_MAY_IMPORT: &[&str] = &["protocol", "connection", "transport"];

/// What the client may import: the protocol and the typed calls, nothing of the server.
const CLIENT_MAY_IMPORT: &[&str] = &["protocol", "remote", "client"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every source file by its module path (`["lifetime", "handle"]`; `[]` for lib.rs).
fn modules() -> BTreeMap<Vec<String>, PathBuf> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<Vec<String>, PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
            if path.is_dir() {
                let mut inner = prefix.to_vec();
                inner.push(name);
                walk(&path, &inner, out);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let mut module = prefix.to_vec();
                if name != "mod" && name != "lib" {
                    module.push(name);
                }
                out.insert(module, path);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&src(), &[], &mut out);
    out
}

/// The code of a file without comments and without its trailing test module.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => &text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Expands a use tree (`crate::a::{b::C, d}`) into its paths.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap()];
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|part| !part.is_empty())
        .flat_map(|part| {
            expand(part)
                .into_iter()
                .map(move |p| format!("{prefix}{p}"))
        })
        .collect()
}

/// The paths a file refers to: its `use` trees and the `crate::` paths in its code.
fn references(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        let after = &rest[at + 4..];
        rest = after;
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(end) = after.find(';') else { break };
        let tree = &after[..end];
        if tree.starts_with("crate::") || tree.starts_with("super::") || tree.starts_with("self::")
        {
            paths.extend(expand(tree));
        }
    }
    for prefix in ["crate::", "super::"] {
        for (at, _) in code.match_indices(prefix) {
            let before = code[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let path: String = code[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            paths.push(path);
        }
    }
    paths
}

/// The file a path in `module` (a file's module path; `is_mod` for mod.rs and lib.rs) refers
/// to: the deepest module of the path that is a file.
fn resolve(
    path: &str,
    module: &[String],
    is_mod: bool,
    files: &BTreeMap<Vec<String>, PathBuf>,
) -> Option<Vec<String>> {
    let mut segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut base: Vec<String> = match segments.first().copied() {
        Some("crate") => Vec::new(),
        Some("self") => module.to_vec(),
        Some("super") => {
            // In a.rs (module x::a) `super` is x; in a/mod.rs (module x::a) it is x as well,
            // and `self` is a.
            let mut base = module.to_vec();
            base.pop();
            let _ = is_mod;
            base
        }
        _ => return None,
    };
    segments.remove(0);
    while segments.first() == Some(&"super") {
        base.pop();
        segments.remove(0);
    }
    let mut resolved = base.clone();
    for segment in segments {
        let mut next = resolved.clone();
        next.push(segment.to_owned());
        if files.contains_key(&next) {
            resolved = next;
        } else {
            break;
        }
    }
    Some(resolved)
}

fn rank(module: &[String]) -> Option<u32> {
    let top = module.first()?;
    LAYERS
        .iter()
        .find(|(name, _)| name == top)
        .map(|&(_, rank)| rank)
}

/// Every file's imports, resolved to files.
fn graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let files = modules();
    let mut graph = BTreeMap::new();
    for (module, path) in &files {
        let is_mod = path.ends_with("mod.rs") || path.ends_with("lib.rs");
        let mut edges = BTreeSet::new();
        for reference in references(&code(path)) {
            if let Some(target) = resolve(&reference, module, is_mod, &files) {
                if &target != module && !(target.is_empty() && reference.ends_with("::*")) {
                    edges.insert(target);
                }
            }
        }
        graph.insert(module.clone(), edges);
    }
    graph
}

fn name(module: &[String]) -> String {
    if module.is_empty() {
        "lib.rs".to_owned()
    } else {
        module.join("::")
    }
}

#[test]
fn every_file_imports_only_its_layer_and_those_below() {
    let graph = graph();
    let mut violations = Vec::new();
    for (module, edges) in &graph {
        if module.is_empty() {
            continue;
        }
        let Some(own) = rank(module) else {
            violations.push(format!(
                "{}: a top-level module not in LAYERS",
                name(module)
            ));
            continue;
        };
        for target in edges {
            if target.is_empty() {
                violations.push(format!(
                    "{} imports from the crate root: import from the module that defines it",
                    name(module)
                ));
                continue;
            }
            let Some(theirs) = rank(target) else { continue };
            if theirs > own {
                violations.push(format!(
                    "{} (layer {own}) imports {} (layer {theirs})",
                    name(module),
                    name(target)
                ));
            }
            if module[0] == "transport" && !TRANSPORT_MAY_IMPORT.contains(&target[0].as_str()) {
                violations.push(format!(
                    "{} is a transport and imports {}: transports know nothing of hubs",
                    name(module),
                    name(target)
                ));
            }
            if module[0] == "client" && !CLIENT_MAY_IMPORT.contains(&target[0].as_str()) {
                violations.push(format!(
                    "{} is the client and imports {}: the client knows nothing of the server",
                    name(module),
                    name(target)
                ));
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn no_two_files_import_each_other() {
    let graph = graph();
    // Tarjan's strongly connected components.
    struct State<'a> {
        graph: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on_stack: BTreeSet<&'a Vec<String>>,
        next: usize,
        cycles: Vec<Vec<String>>,
    }
    fn visit<'a>(state: &mut State<'a>, node: &'a Vec<String>) {
        state.index.insert(node, state.next);
        state.low.insert(node, state.next);
        state.next += 1;
        state.stack.push(node);
        state.on_stack.insert(node);
        let edges = state.graph.get(node).into_iter().flatten();
        for target in edges {
            let Some((target, _)) = state.graph.get_key_value(target) else {
                continue;
            };
            if !state.index.contains_key(target) {
                visit(state, target);
                let low = state.low[node].min(state.low[target]);
                state.low.insert(node, low);
            } else if state.on_stack.contains(target) {
                let low = state.low[node].min(state.index[target]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            loop {
                let member = state.stack.pop().unwrap();
                state.on_stack.remove(member);
                component.push(name(member));
                if member == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                state.cycles.push(component);
            }
        }
    }
    let mut state = State {
        graph: &graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        cycles: Vec::new(),
    };
    for node in graph.keys() {
        if !state.index.contains_key(node) {
            visit(&mut state, node);
        }
    }
    let cycles: Vec<String> = state
        .cycles
        .iter()
        .map(|cycle| cycle.join(" <-> "))
        .collect();
    assert!(
        cycles.is_empty(),
        "files in an import cycle:\n{}",
        cycles.join("\n")
    );
}

/// The checks above would pass on nothing: make sure they read what they should.
#[test]
fn the_reader_sees_the_imports() {
    let graph = graph();
    let handle = vec!["lifetime".to_owned(), "handle".to_owned()];
    let queue = vec!["lifetime".to_owned(), "queue".to_owned()];
    assert!(graph[&handle].contains(&queue), "{:?}", graph[&handle]);
    let websocket = vec!["transport".to_owned(), "websocket".to_owned()];
    assert!(graph[&websocket].contains(&vec!["connection".to_owned()]));
    assert_eq!(
        expand("crate::a::{b::C, d::{E, F}}"),
        ["crate::a::b::C", "crate::a::d::E", "crate::a::d::F"]
    );
    // A file that imported a layer above it would be reported.
    let files = modules();
    let up = resolve("crate::router::HubRouter", &handle, false, &files).unwrap();
    assert!(rank(&up) > rank(&handle));
}
