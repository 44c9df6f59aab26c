//! One module per hub: the hub's path and a connection factory (when the manifest gives the
//! path), the proxy class, the receiver interface and its registration function.

mod connection;
mod names;
mod proxy;
mod receiver;
mod signatures;

use std::collections::BTreeSet;

use hub_schema::MethodKind;

use super::Protocol;
use super::files::{HEADER, STREAMS_FILE, TYPES_FILE};
use super::generator::{Generator, Scope};
use super::text::line;
use crate::Error;
use crate::model::{Hub, Ty};

pub(super) use connection::hub_path;
pub(super) use names::{factory_name, path_constant_name, proxy_name, register_name};

/// Global or imported types a hub module refers to: types of these names are imported under
/// an alias (`Promise as Promise_`).
const SHADOWED: &[&str] = &[
    "HubConnection",
    "HubConnectionBuilder",
    "IHttpConnectionOptions",
    "MessagePackHubProtocol",
    "Promise",
];

/// Whether the hub's module needs the stream helpers.
pub(super) fn streams(hub: &Hub) -> bool {
    hub.methods.iter().any(|method| {
        method.kind == MethodKind::Stream || method.params.iter().any(|param| param.stream)
    })
}

impl Generator<'_> {
    /// The module of `hub`.
    pub(super) fn hub_file(&self, hub: &Hub) -> Result<String, Error> {
        let used = hub_types(hub);
        let scope = self.hub_scope(&used);
        let path = hub_path(hub);
        let mut out = String::from(HEADER);
        out.push('\n');
        self.imports(&mut out, hub, path.is_some(), &used, &scope);
        out.push('\n');
        if let Some(path) = &path {
            self.connection_factory(hub, path, &mut out);
            out.push('\n');
        }
        self.proxy(&scope, hub, &mut out)?;
        if !hub.client_methods.is_empty() {
            out.push('\n');
            self.receiver(&scope, hub, &mut out)?;
        }
        Ok(out)
    }

    /// The scope of a hub module that uses the types `used`: those that would shadow what the
    /// module refers to are imported under an alias no type has.
    fn hub_scope(&self, used: &BTreeSet<String>) -> Scope {
        let mut scope = Scope::default();
        for name in used {
            if SHADOWED.contains(&name.as_str()) {
                let mut alias = format!("{name}_");
                while self.model.type_def(&alias).is_some() {
                    alias.push('_');
                }
                scope.aliases.insert(name.clone(), alias);
            }
        }
        scope
    }
}

impl Generator<'_> {
    /// The imports of a hub module: `HubConnection` (and what the connection factory uses, with
    /// `factory`), the stream helpers it uses, and the types it uses (`used`, under their
    /// aliases in `scope`).
    fn imports(
        &self,
        out: &mut String,
        hub: &Hub,
        factory: bool,
        used: &BTreeSet<String>,
        scope: &Scope,
    ) {
        let server_streams = hub
            .methods
            .iter()
            .any(|method| method.kind == MethodKind::Stream);
        let client_streams = hub
            .methods
            .iter()
            .any(|method| method.params.iter().any(|param| param.stream));
        if factory {
            line(
                out,
                0,
                "import { HubConnectionBuilder, type HubConnection, type IHttpConnectionOptions } from \"@microsoft/signalr\";",
            );
            if self.protocol == Protocol::MessagePack {
                line(
                    out,
                    0,
                    "import { MessagePackHubProtocol } from \"@microsoft/signalr-protocol-msgpack\";",
                );
            }
        } else {
            line(
                out,
                0,
                "import type { HubConnection } from \"@microsoft/signalr\";",
            );
        }
        let mut helpers = Vec::new();
        if server_streams {
            helpers.push("hubStream");
        }
        if client_streams {
            helpers.push("toStreamResult");
        }
        if server_streams {
            helpers.push("type HubStream");
        }
        if client_streams {
            helpers.push("type HubStreamSource");
        }
        if !helpers.is_empty() {
            line(
                out,
                0,
                &format!(
                    "import {{ {} }} from \"./{STREAMS_FILE}.js\";",
                    helpers.join(", ")
                ),
            );
        }
        if !used.is_empty() {
            let imports: Vec<String> = used
                .iter()
                .map(|name| match scope.aliases.get(name) {
                    Some(alias) => format!("{name} as {alias}"),
                    None => name.clone(),
                })
                .collect();
            line(
                out,
                0,
                &format!(
                    "import type {{ {} }} from \"./{TYPES_FILE}.js\";",
                    imports.join(", ")
                ),
            );
        }
    }
}

/// Whether any hub or type refers to `Ty::Named(name)`, through any type.
fn mentions(ty: &Ty, found: &mut BTreeSet<String>) {
    match ty {
        Ty::Named(name) => {
            found.insert(name.clone());
        }
        Ty::Array(inner) | Ty::Map(inner) | Ty::Nullable(inner) => mentions(inner, found),
        Ty::Tuple(items) => items.iter().for_each(|item| mentions(item, found)),
        _ => {}
    }
}

/// Every type a hub's signatures mention directly.
fn hub_types(hub: &Hub) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let signatures = hub
        .methods
        .iter()
        .map(|method| (&method.params, &method.result))
        .chain(
            hub.client_methods
                .iter()
                .map(|method| (&method.params, &method.result)),
        );
    for (params, result) in signatures {
        params
            .iter()
            .for_each(|param| mentions(&param.ty, &mut found));
        if let Some(result) = result {
            mentions(result, &mut found);
        }
    }
    found
}
