//! One module per hub: the proxy class, the receiver interface and its registration function.

use std::collections::BTreeMap;

use hub_schema::MethodKind;

use super::names::{binding, camel, string_literal};
use super::{Generator, HEADER, Notes, STREAMS_FILE, Scope, TYPES_FILE, hub_types, jsdoc, line};
use crate::Error;
use crate::model::{Hub, Param};

/// Proxy members of the generator's own, and `then` (which would make proxies thenable): hub
/// methods of these names get a trailing `_`.
const PROXY_MEMBERS: &[&str] = &["connection", "send", "constructor", "then"];
/// Functions the proxy's method bodies call; parameters of these names get a trailing `_`.
const PROXY_LOCALS: &[&str] = &["hubStream", "toStreamResult"];
/// What the registration's handlers refer to; parameters of this name get a trailing `_`.
const RECEIVER_LOCALS: &[&str] = &["receiver"];
/// Global or imported types a hub module refers to: types of these names are imported under
/// an alias (`Promise as Promise_`).
const SHADOWED: &[&str] = &["HubConnection", "Promise"];

/// Whether the hub's module needs the stream helpers.
pub(super) fn streams(hub: &Hub) -> bool {
    hub.methods.iter().any(|method| {
        method.kind == MethodKind::Stream || method.params.iter().any(|param| param.stream)
    })
}

/// `ChatHubProxy`.
pub(super) fn proxy_name(hub: &Hub) -> String {
    format!("{}Proxy", hub.name)
}

/// `registerChatClient`.
pub(super) fn register_name(hub: &Hub) -> String {
    format!("register{}", hub.client_name)
}

/// camelCase member names, made distinct from `reserved`; two that are still equal are an error.
fn member_names<'m>(
    methods: impl Iterator<Item = &'m str>,
    reserved: &[&str],
    location: impl Fn(&str) -> String,
    attribute: &str,
) -> Result<Vec<String>, Error> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    let mut names = Vec::new();
    for method in methods {
        let mut name = camel(method);
        while reserved.contains(&name.as_str()) {
            name.push('_');
        }
        if let Some(previous) = seen.insert(name.clone(), method) {
            return Err(Error {
                location: location(method),
                message: format!(
                    "its TypeScript name would be `{name}`, as that of `{previous}`: give one another wire name with `{attribute}`"
                ),
            });
        }
        names.push(name);
    }
    Ok(names)
}

/// Parameter names: camelCase, distinct, none in `taken` or reserved.
fn param_names(params: &[Param], taken: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for param in params {
        let mut avoid: Vec<&str> = taken.to_vec();
        avoid.extend(names.iter().map(String::as_str));
        let name = binding(&param.name, &avoid);
        names.push(name);
    }
    names
}

impl Generator<'_> {
    /// A parameter's type: the item type in a [`HubStreamSource`] for a client stream.
    fn param_ty(&self, scope: &Scope, param: &Param) -> String {
        let ty = self.ty(scope, &param.ty);
        if param.stream {
            format!("HubStreamSource<{ty}>")
        } else {
            ty
        }
    }

    /// `@param` notes (dates, 64-bit integers) of parameters.
    fn param_notes(params: &[Param], names: &[String]) -> Vec<String> {
        params
            .iter()
            .zip(names)
            .filter_map(|(param, name)| {
                Notes::of(&param.ty)
                    .text()
                    .map(|text| format!("@param {name} {text}"))
            })
            .collect()
    }

    /// The module of `hub`.
    pub(super) fn hub_file(&self, hub: &Hub) -> Result<String, Error> {
        let used = hub_types(hub);
        let mut scope = Scope::default();
        for name in &used {
            if SHADOWED.contains(&name.as_str()) {
                let mut alias = format!("{name}_");
                while self.model.type_def(&alias).is_some() {
                    alias.push('_');
                }
                scope.aliases.insert(name.clone(), alias);
            }
        }
        let server_streams = hub
            .methods
            .iter()
            .any(|method| method.kind == MethodKind::Stream);
        let client_streams = hub
            .methods
            .iter()
            .any(|method| method.params.iter().any(|param| param.stream));

        let mut out = String::from(HEADER);
        out.push('\n');
        line(
            &mut out,
            0,
            "import type { HubConnection } from \"@microsoft/signalr\";",
        );
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
                &mut out,
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
                &mut out,
                0,
                &format!(
                    "import type {{ {} }} from \"./{TYPES_FILE}.js\";",
                    imports.join(", ")
                ),
            );
        }
        out.push('\n');
        self.proxy(&scope, hub, &mut out)?;
        if !hub.client_methods.is_empty() {
            out.push('\n');
            self.receiver(&scope, hub, &mut out)?;
        }
        Ok(out)
    }

    fn proxy(&self, scope: &Scope, hub: &Hub, out: &mut String) -> Result<(), Error> {
        let members = member_names(
            hub.methods.iter().map(|method| method.name.as_str()),
            PROXY_MEMBERS,
            |method| format!("{}.{method}", hub.name),
            "#[hub(rename = \"...\")]",
        )?;
        let params: Vec<Vec<String>> = hub
            .methods
            .iter()
            .map(|method| param_names(&method.params, PROXY_LOCALS))
            .collect();
        let served = hub
            .path
            .as_ref()
            .map(|path| format!(" (served at `{path}`)"))
            .unwrap_or_default();
        let mut about = format!(
            "Typed calls to the hub `{}`{served} through a `HubConnection` of `@microsoft/signalr`: one method per hub method, and their fire-and-forget variants in `send`.",
            hub.name
        );
        if !hub.client_methods.is_empty() {
            about.push_str(&format!(
                " Receive the hub's calls with {{@link {}}}.",
                register_name(hub)
            ));
        }
        jsdoc(
            out,
            0,
            &[hub.description.clone().unwrap_or_default(), about],
        );
        line(out, 0, &format!("export class {} {{", proxy_name(hub)));
        jsdoc(
            out,
            2,
            &[String::from("The connection the calls go through.")],
        );
        line(out, 2, "readonly connection: HubConnection;");

        // `send`: the invocations without a completion.
        jsdoc(
            out,
            2,
            &[String::from(
                "Fire-and-forget variants of the methods that are not server streams (`connection.send`): each resolves once the invocation is sent, without waiting for the server, and never sees its result or error.",
            )],
        );
        let sendable: Vec<usize> = (0..hub.methods.len())
            .filter(|&index| hub.methods[index].kind == MethodKind::Invoke)
            .collect();
        if sendable.is_empty() {
            line(out, 2, "readonly send: {};");
        } else {
            line(out, 2, "readonly send: {");
            for &index in &sendable {
                let method = &hub.methods[index];
                let mut doc = vec![
                    method.description.clone().unwrap_or_default(),
                    format!("Sends `{}` without waiting for it to run.", method.name),
                ];
                doc.extend(Self::param_notes(&method.params, &params[index]));
                jsdoc(out, 4, &doc);
                line(
                    out,
                    4,
                    &format!(
                        "{}({}): Promise<void>;",
                        members[index],
                        self.signature(scope, &method.params, &params[index])
                    ),
                );
            }
            line(out, 2, "};");
        }
        out.push('\n');

        jsdoc(
            out,
            2,
            &[String::from(
                "Calls go through `connection`, which the caller starts (`connection.start()`) and stops.",
            )],
        );
        line(out, 2, "constructor(connection: HubConnection) {");
        line(out, 4, "this.connection = connection;");
        if sendable.is_empty() {
            line(out, 4, "this.send = {};");
        } else {
            line(out, 4, "this.send = {");
            for &index in &sendable {
                let method = &hub.methods[index];
                line(
                    out,
                    6,
                    &format!(
                        "{}: ({}) => this.connection.send({}),",
                        members[index],
                        params[index].join(", "),
                        call_args(&method.name, &method.params, &params[index])
                    ),
                );
            }
            line(out, 4, "};");
        }
        line(out, 2, "}");

        for (index, method) in hub.methods.iter().enumerate() {
            out.push('\n');
            let names = &params[index];
            let mut doc = vec![method.description.clone().unwrap_or_default()];
            let result = method.result.as_ref();
            let returns = result.map(|ty| self.ty(scope, ty));
            match method.kind {
                MethodKind::Invoke if result.is_some() => doc.push(format!(
                    "Invokes `{}`: resolves with its result, rejects with the server's error.",
                    method.name
                )),
                MethodKind::Invoke => doc.push(format!(
                    "Invokes `{}`: resolves once the server has run it, rejects with the server's error.",
                    method.name
                )),
                MethodKind::Stream => doc.push(format!(
                    "Streams the items of `{}`: iterate with `for await` (leaving the loop early cancels the stream on the server) or `subscribe` (disposing the subscription cancels it). The stream throws, or calls `error`, with the server's error.",
                    method.name
                )),
            }
            if method.params.iter().filter(|param| param.stream).count() > 1 {
                doc.push(String::from(
                    "Warning: `@microsoft/signalr` (up to 10.0 at least) uploads only the first of two adjacent stream arguments; the call fails on the server.",
                ));
            }
            doc.extend(Self::param_notes(&method.params, names));
            if let Some(text) = result.and_then(|ty| Notes::of(ty).text()) {
                doc.push(format!("@returns {text}"));
            }
            jsdoc(out, 2, &doc);
            let signature = self.signature(scope, &method.params, names);
            let args = call_args(&method.name, &method.params, names);
            match method.kind {
                MethodKind::Invoke => {
                    let returns = returns.unwrap_or_else(|| String::from("void"));
                    line(
                        out,
                        2,
                        &format!("{}({signature}): Promise<{returns}> {{", members[index]),
                    );
                    line(
                        out,
                        4,
                        &format!("return this.connection.invoke<{returns}>({args});"),
                    );
                }
                MethodKind::Stream => {
                    let item = returns.unwrap_or_else(|| String::from("unknown"));
                    line(
                        out,
                        2,
                        &format!("{}({signature}): HubStream<{item}> {{", members[index]),
                    );
                    line(
                        out,
                        4,
                        &format!("return hubStream(this.connection.stream<{item}>({args}));"),
                    );
                }
            }
            line(out, 2, "}");
        }
        line(out, 0, "}");
        Ok(())
    }

    /// `a: A, b: B`.
    fn signature(&self, scope: &Scope, params: &[Param], names: &[String]) -> String {
        params
            .iter()
            .zip(names)
            .map(|(param, name)| format!("{name}: {}", self.param_ty(scope, param)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn receiver(&self, scope: &Scope, hub: &Hub, out: &mut String) -> Result<(), Error> {
        let members = member_names(
            hub.client_methods.iter().map(|method| method.name.as_str()),
            &["constructor"],
            |method| format!("{} client method {method}", hub.name),
            "#[client(rename = \"...\")]",
        )?;
        let params: Vec<Vec<String>> = hub
            .client_methods
            .iter()
            .map(|method| param_names(&method.params, RECEIVER_LOCALS))
            .collect();
        let register = register_name(hub);
        let client = &hub.client_name;

        jsdoc(
            out,
            0,
            &[format!(
                "What the hub `{}` calls on its clients: implement it and register it on a connection with {{@link {register}}}.",
                hub.name
            )],
        );
        line(out, 0, &format!("export interface {client} {{"));
        let mut returns = Vec::new();
        for (index, method) in hub.client_methods.iter().enumerate() {
            let names = &params[index];
            let mut doc = vec![
                method.description.clone().unwrap_or_default(),
                format!("Called for the hub's `{}` calls.", method.name),
            ];
            if method.result.is_some() {
                doc.push(String::from(
                    "A client result: what it returns (or resolves to) is sent back to the server; what it throws (or rejects with) fails the server's call with its message.",
                ));
            }
            doc.extend(Self::param_notes(&method.params, names));
            if let Some(text) = method.result.as_ref().and_then(|ty| Notes::of(ty).text()) {
                doc.push(format!("@returns {text}"));
            }
            jsdoc(out, 2, &doc);
            let result = match &method.result {
                Some(ty) => {
                    let ty = self.ty(scope, ty);
                    format!("{ty} | Promise<{ty}>")
                }
                None => String::from("void | Promise<void>"),
            };
            line(
                out,
                2,
                &format!(
                    "{}({}): {result};",
                    members[index],
                    self.signature(scope, &method.params, names)
                ),
            );
            returns.push(result);
        }
        line(out, 0, "}");
        out.push('\n');

        jsdoc(
            out,
            0,
            &[
                String::from(
                    "Registers `receiver` as the handler of the hub's calls on `connection` (`connection.on` with the wire names). Register before `connection.start()` so as to miss nothing. Arguments are passed as the server sent them, unchecked.",
                ),
                String::from(
                    "@returns A function that unregisters exactly these handlers (`connection.off`).",
                ),
            ],
        );
        line(
            out,
            0,
            &format!(
                "export function {register}(connection: HubConnection, receiver: {client}): () => void {{"
            ),
        );
        let handlers: Vec<String> = members
            .iter()
            .map(|member| {
                let mut chars = member.chars();
                let first = chars
                    .next()
                    .map(|ch| ch.to_ascii_uppercase())
                    .unwrap_or('_');
                format!("on{first}{}", chars.as_str())
            })
            .collect();
        for (index, method) in hub.client_methods.iter().enumerate() {
            let names = &params[index];
            let signature = self.signature(scope, &method.params, names);
            let call = format!("receiver.{}({})", members[index], names.join(", "));
            if method.result.is_some() {
                line(
                    out,
                    2,
                    &format!(
                        "const {} = ({signature}): {} => {call};",
                        handlers[index], returns[index]
                    ),
                );
            } else {
                // Awaited and dropped: a value returned by mistake would make the official client
                // log an error, as it expects none.
                line(
                    out,
                    2,
                    &format!(
                        "const {} = async ({signature}): Promise<void> => {{",
                        handlers[index]
                    ),
                );
                line(out, 4, &format!("await {call};"));
                line(out, 2, "};");
            }
        }
        for (index, method) in hub.client_methods.iter().enumerate() {
            line(
                out,
                2,
                &format!(
                    "connection.on({}, {});",
                    string_literal(&method.name),
                    handlers[index]
                ),
            );
        }
        line(out, 2, "return () => {");
        for (index, method) in hub.client_methods.iter().enumerate() {
            line(
                out,
                4,
                &format!(
                    "connection.off({}, {});",
                    string_literal(&method.name),
                    handlers[index]
                ),
            );
        }
        line(out, 2, "};");
        line(out, 0, "}");
        Ok(())
    }
}

/// `"Wire", a, toStreamResult(b)`.
fn call_args(wire: &str, params: &[Param], names: &[String]) -> String {
    std::iter::once(string_literal(wire))
        .chain(params.iter().zip(names).map(|(param, name)| {
            if param.stream {
                format!("toStreamResult({name})")
            } else {
                name.clone()
            }
        }))
        .collect::<Vec<_>>()
        .join(", ")
}
