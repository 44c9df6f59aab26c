//! Connecting to a hub whose URL path the manifest gives: the path as a constant, and a factory
//! of connections to it.

use super::names::{factory_name, path_constant_name};
use crate::model::Hub;
use crate::typescript::Protocol;
use crate::typescript::generator::Generator;
use crate::typescript::names::string_literal;
use crate::typescript::text::{jsdoc, line};

/// The hub's URL path as the server normalizes it: one leading `/`, no trailing `/` (`/` for
/// the root). `None` when the manifest does not say.
pub(in crate::typescript) fn hub_path(hub: &Hub) -> Option<String> {
    let path = hub.path.as_deref()?;
    let trimmed = path.trim_end_matches('/');
    Some(if trimmed.starts_with('/') {
        trimmed.to_owned()
    } else {
        format!("/{trimmed}")
    })
}

impl Generator<'_> {
    /// `CHAT_HUB_PATH` and `createChatHubConnection`, for a hub served at `path`.
    pub(super) fn connection_factory(&self, hub: &Hub, path: &str, out: &mut String) {
        let constant = path_constant_name(hub);
        jsdoc(
            out,
            0,
            &[format!(
                "The URL path the hub `{}` is served at, relative to the server's base URL.",
                hub.name
            )],
        );
        line(
            out,
            0,
            &format!("export const {constant} = {};", string_literal(path)),
        );
        out.push('\n');

        let messagepack = self.protocol == Protocol::MessagePack;
        let mut doc = vec![
            format!(
                "A connection to the hub `{}`, built and not started: register receivers, then `start()` it.",
                hub.name
            ),
            format!(
                "Its URL is `baseUrl` without trailing slashes, followed by {{@link {constant}}}: `http://localhost:5000` and `http://localhost:5000/` give `http://localhost:5000{path}`, and a base with a path prefix keeps it (`https://example.com/app/` gives `https://example.com/app{path}`). `baseUrl` has no query or fragment; in a browser it may be relative to the page (`\"\"` for the page's origin)."
            ),
        ];
        if messagepack {
            doc.push(String::from(
                "The hub protocol is MessagePack (`@microsoft/signalr-protocol-msgpack`), which this client's types are generated for.",
            ));
        }
        doc.push(String::from(
            "@param baseUrl The server's URL, with the prefix the hub's routes are nested under, if any.",
        ));
        doc.push(String::from(
            "@param options HTTP connection options, as `withUrl` takes them: `accessTokenFactory`, `transport`, `headers`, `withCredentials`...",
        ));
        doc.push(format!(
            "@param configure Further settings of the builder (`withAutomaticReconnect()`, `configureLogging(...)`, `withServerTimeout(...)`...), applied before the hub's URL {}.",
            if messagepack {
                "and protocol are set, so a `withUrl` or `withHubProtocol` there changes neither"
            } else {
                "is set, so a `withUrl` there does not change it"
            }
        ));
        jsdoc(out, 0, &doc);
        line(
            out,
            0,
            &format!(
                "export function {}(baseUrl: string, options?: IHttpConnectionOptions, configure?: (builder: HubConnectionBuilder) => void): HubConnection {{",
                factory_name(hub)
            ),
        );
        line(out, 2, "const builder = new HubConnectionBuilder();");
        line(out, 2, "configure?.(builder);");
        line(
            out,
            2,
            &format!(
                "builder.withUrl(`${{baseUrl.replace(/\\/+$/, \"\")}}${{{constant}}}`, options ?? {{}});"
            ),
        );
        if messagepack {
            line(
                out,
                2,
                "builder.withHubProtocol(new MessagePackHubProtocol());",
            );
        }
        line(out, 2, "return builder.build();");
        line(out, 0, "}");
    }
}
