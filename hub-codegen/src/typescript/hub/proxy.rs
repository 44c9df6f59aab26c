//! The proxy class: a method per hub method, and `send`, the fire-and-forget variants of those
//! without a result.

use hub_schema::MethodKind;

use super::connection::hub_path;
use super::names::{
    MethodNames, factory_name, member_names, param_names, proxy_name, register_name,
};
use super::signatures::call_args;
use crate::Error;
use crate::model::{Hub, Method};
use crate::typescript::generator::{Generator, Scope};
use crate::typescript::notes::Notes;
use crate::typescript::text::{jsdoc, line};

/// Proxy members of the generator's own, and `then` (which would make proxies thenable): hub
/// methods of these names get a trailing `_`.
const PROXY_MEMBERS: &[&str] = &["connection", "send", "constructor", "then"];
/// Functions the proxy's method bodies call; parameters of these names get a trailing `_`.
const PROXY_LOCALS: &[&str] = &["hubStream", "toStreamResult"];

impl Generator<'_> {
    /// The proxy class of `hub`.
    pub(super) fn proxy(&self, scope: &Scope, hub: &Hub, out: &mut String) -> Result<(), Error> {
        let names = MethodNames {
            members: member_names(
                hub.methods.iter().map(|method| method.name.as_str()),
                PROXY_MEMBERS,
                |method| format!("{}.{method}", hub.name),
                "#[hub(rename = \"...\")]",
            )?,
            params: hub
                .methods
                .iter()
                .map(|method| param_names(&method.params, PROXY_LOCALS))
                .collect(),
        };
        proxy_doc(out, hub);
        line(out, 0, &format!("export class {} {{", proxy_name(hub)));
        jsdoc(
            out,
            2,
            &[String::from("The connection the calls go through.")],
        );
        line(out, 2, "readonly connection: HubConnection;");
        let sendable: Vec<usize> = (0..hub.methods.len())
            .filter(|&index| has_send_variant(&hub.methods[index]))
            .collect();
        self.send_member(scope, hub, &names, &sendable, out);
        out.push('\n');
        constructor(out, hub, &names, &sendable);
        for (index, method) in hub.methods.iter().enumerate() {
            out.push('\n');
            self.method(
                scope,
                method,
                &names.members[index],
                &names.params[index],
                out,
            );
        }
        line(out, 0, "}");
        Ok(())
    }

    /// `send`: the invocations without a completion, of the methods `sendable` (indices).
    fn send_member(
        &self,
        scope: &Scope,
        hub: &Hub,
        names: &MethodNames,
        sendable: &[usize],
        out: &mut String,
    ) {
        jsdoc(
            out,
            2,
            &[String::from(
                "Fire-and-forget variants (`connection.send`) of the methods without a result (server streams and methods that return a value have none): each resolves once the invocation is sent, without waiting for the server, and never sees its error.",
            )],
        );
        if sendable.is_empty() {
            line(out, 2, "readonly send: {};");
            return;
        }
        line(out, 2, "readonly send: {");
        for &index in sendable {
            let method = &hub.methods[index];
            let mut doc = vec![
                method.description.clone().unwrap_or_default(),
                format!("Sends `{}` without waiting for it to run.", method.name),
            ];
            if let Some(authorization) = &method.authorization {
                doc.push(authorization.clone());
            }
            doc.extend(self.param_notes(&method.params, &names.params[index]));
            jsdoc(out, 4, &doc);
            line(
                out,
                4,
                &format!(
                    "{}({}): Promise<void>;",
                    names.members[index],
                    self.signature(scope, &method.params, &names.params[index])
                ),
            );
        }
        line(out, 2, "};");
    }

    /// The proxy's method for `method`, called `member`, with parameters `names`.
    fn method(
        &self,
        scope: &Scope,
        method: &Method,
        member: &str,
        names: &[String],
        out: &mut String,
    ) {
        let result = method.result.as_ref();
        let returns = result.map(|ty| self.ty(scope, ty));
        jsdoc(out, 2, &method_doc(self, method, names));
        let signature = self.signature(scope, &method.params, names);
        let args = call_args(&method.name, &method.params, names);
        match method.kind {
            MethodKind::Invoke => {
                let returns = returns.unwrap_or_else(|| String::from("void"));
                line(
                    out,
                    2,
                    &format!("{member}({signature}): Promise<{returns}> {{"),
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
                    &format!("{member}({signature}): HubStream<{item}> {{"),
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
}

/// Whether `method` has a fire-and-forget variant in `send`: an invocation without a result (a
/// Rust method returning `()` or `Result<(), E>`), client streams or not. A result sent for
/// nothing would be lost, and a server stream needs a subscriber.
fn has_send_variant(method: &Method) -> bool {
    method.kind == MethodKind::Invoke && method.result.is_none()
}

/// The class's documentation: the hub's, and how to use the proxy.
fn proxy_doc(out: &mut String, hub: &Hub) {
    let path = hub_path(hub);
    let served = path
        .as_ref()
        .map(|path| format!(" (served at `{path}`)"))
        .unwrap_or_default();
    let mut about = format!(
        "Typed calls to the hub `{}`{served} through a `HubConnection` of `@microsoft/signalr`: one method per hub method, and fire-and-forget variants of those without a result in `send`.",
        hub.name
    );
    if path.is_some() {
        about.push_str(&format!(
            " Create the connection with {{@link {}}}.",
            factory_name(hub)
        ));
    }
    if !hub.client_methods.is_empty() {
        about.push_str(&format!(
            " Receive the hub's calls with {{@link {}}}.",
            register_name(hub)
        ));
    }
    let mut doc = vec![hub.description.clone().unwrap_or_default(), about];
    if let Some(authorization) = &hub.authorization {
        doc.push(format!(
            "{authorization} Pass its credentials with `accessTokenFactory`: without them the connection fails with status 401, and with 403 for a user the server refuses."
        ));
    }
    jsdoc(out, 0, &doc);
}

/// The constructor, which fills `send` with the methods `sendable` (indices).
fn constructor(out: &mut String, hub: &Hub, names: &MethodNames, sendable: &[usize]) {
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
        for &index in sendable {
            let method = &hub.methods[index];
            line(
                out,
                6,
                &format!(
                    "{}: ({}) => this.connection.send({}),",
                    names.members[index],
                    names.params[index].join(", "),
                    call_args(&method.name, &method.params, &names.params[index])
                ),
            );
        }
        line(out, 4, "};");
    }
    line(out, 2, "}");
}

/// A proxy method's documentation: the method's, what the call does, and notes.
fn method_doc(generator: &Generator<'_>, method: &Method, names: &[String]) -> Vec<String> {
    let result = method.result.as_ref();
    let mut doc = vec![method.description.clone().unwrap_or_default()];
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
    if let Some(authorization) = &method.authorization {
        doc.push(format!(
            "{authorization} Otherwise it fails with `Failed to invoke '{}' because user is unauthorized`.",
            method.name
        ));
    }
    if method.params.iter().filter(|param| param.stream).count() > 1 {
        doc.push(String::from(
            "Warning: `@microsoft/signalr` (up to 10.0 at least) uploads only the first of two adjacent stream arguments; the call fails on the server.",
        ));
    }
    doc.extend(generator.param_notes(&method.params, names));
    if let Some(text) = result.and_then(|ty| Notes::of(ty, generator.protocol).text()) {
        doc.push(format!("@returns {text}"));
    }
    doc
}
