//! The receiver side of a hub module: the interface of what the hub calls on its clients, and
//! the function that registers an implementation on a connection.

use super::names::{MethodNames, member_names, param_names, register_name};
use crate::Error;
use crate::model::{ClientMethod, Hub};
use crate::typescript::generator::{Generator, Scope};
use crate::typescript::names::string_literal;
use crate::typescript::notes::Notes;
use crate::typescript::text::{jsdoc, line};

/// What the registration's handlers refer to; parameters of this name get a trailing `_`.
const RECEIVER_LOCALS: &[&str] = &["receiver"];

impl Generator<'_> {
    /// The receiver interface of `hub` and its registration function.
    pub(super) fn receiver(&self, scope: &Scope, hub: &Hub, out: &mut String) -> Result<(), Error> {
        let names = MethodNames {
            members: member_names(
                hub.client_methods.iter().map(|method| method.name.as_str()),
                &["constructor"],
                |method| format!("{} client method {method}", hub.name),
                "#[client(rename = \"...\")]",
            )?,
            params: hub
                .client_methods
                .iter()
                .map(|method| param_names(&method.params, RECEIVER_LOCALS))
                .collect(),
        };
        self.receiver_interface(scope, hub, &names, out);
        out.push('\n');
        self.registration(scope, hub, &names, out);
        Ok(())
    }

    /// The interface users implement, named after the hub's client.
    fn receiver_interface(&self, scope: &Scope, hub: &Hub, names: &MethodNames, out: &mut String) {
        jsdoc(
            out,
            0,
            &[format!(
                "What the hub `{}` calls on its clients: implement it and register it on a connection with {{@link {}}}.",
                hub.name,
                register_name(hub)
            )],
        );
        line(out, 0, &format!("export interface {} {{", hub.client_name));
        for (index, method) in hub.client_methods.iter().enumerate() {
            let params = &names.params[index];
            jsdoc(out, 2, &receiver_method_doc(self, method, params));
            line(
                out,
                2,
                &format!(
                    "{}({}): {};",
                    names.members[index],
                    self.signature(scope, &method.params, params),
                    self.client_result(scope, method)
                ),
            );
        }
        line(out, 0, "}");
    }

    /// What a receiver method returns: its result or a promise of it.
    fn client_result(&self, scope: &Scope, method: &ClientMethod) -> String {
        match &method.result {
            Some(ty) => {
                let ty = self.ty(scope, ty);
                format!("{ty} | Promise<{ty}>")
            }
            None => String::from("void | Promise<void>"),
        }
    }

    /// The function that registers a receiver's methods as handlers on a connection, and
    /// returns the function that unregisters them.
    fn registration(&self, scope: &Scope, hub: &Hub, names: &MethodNames, out: &mut String) {
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
                "export function {}(connection: HubConnection, receiver: {}): () => void {{",
                register_name(hub),
                hub.client_name
            ),
        );
        let handlers: Vec<String> = names
            .members
            .iter()
            .map(|member| handler_name(member))
            .collect();
        for (index, method) in hub.client_methods.iter().enumerate() {
            let params = &names.params[index];
            let signature = self.signature(scope, &method.params, params);
            let call = format!("receiver.{}({})", names.members[index], params.join(", "));
            let result = method
                .result
                .is_some()
                .then(|| self.client_result(scope, method));
            handler(out, &handlers[index], &signature, &call, result.as_deref());
        }
        subscriptions(out, 2, "on", hub, &handlers);
        line(out, 2, "return () => {");
        subscriptions(out, 4, "off", hub, &handlers);
        line(out, 2, "};");
        line(out, 0, "}");
    }
}

/// A receiver method's documentation: the method's, when it is called, and notes.
fn receiver_method_doc(
    generator: &Generator<'_>,
    method: &ClientMethod,
    params: &[String],
) -> Vec<String> {
    let mut doc = vec![
        method.description.clone().unwrap_or_default(),
        format!("Called for the hub's `{}` calls.", method.name),
    ];
    if method.result.is_some() {
        doc.push(String::from(
            "A client result: what it returns (or resolves to) is sent back to the server; what it throws (or rejects with) fails the server's call with its message.",
        ));
    }
    doc.extend(generator.param_notes(&method.params, params));
    if let Some(text) = method
        .result
        .as_ref()
        .and_then(|ty| Notes::of(ty, generator.protocol).text())
    {
        doc.push(format!("@returns {text}"));
    }
    doc
}

/// The handler of a receiver method in the registration: `onReceiveMessage`.
fn handler_name(member: &str) -> String {
    let mut chars = member.chars();
    let first = chars
        .next()
        .map(|ch| ch.to_ascii_uppercase())
        .unwrap_or('_');
    format!("on{first}{}", chars.as_str())
}

/// The handler `name`, which calls the receiver (`call`): a client result (`result`, its type)
/// is returned; otherwise the call is awaited and its value dropped.
fn handler(out: &mut String, name: &str, signature: &str, call: &str, result: Option<&str>) {
    match result {
        Some(result) => {
            line(
                out,
                2,
                &format!("const {name} = ({signature}): {result} => {call};"),
            );
        }
        None => {
            // Awaited and dropped: a value returned by mistake would make the official client
            // log an error, as it expects none.
            line(
                out,
                2,
                &format!("const {name} = async ({signature}): Promise<void> => {{"),
            );
            line(out, 4, &format!("await {call};"));
            line(out, 2, "};");
        }
    }
}

/// `connection.on` (or `off`, the `verb`) of each client method's handler.
fn subscriptions(out: &mut String, indent: usize, verb: &str, hub: &Hub, handlers: &[String]) {
    for (method, handler) in hub.client_methods.iter().zip(handlers) {
        line(
            out,
            indent,
            &format!(
                "connection.{verb}({}, {handler});",
                string_literal(&method.name)
            ),
        );
    }
}
