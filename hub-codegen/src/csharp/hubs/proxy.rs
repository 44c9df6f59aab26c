//! The caller's side of a hub: its interface, the proxy that implements it over a connection,
//! and the sender of fire-and-forget calls.

use super::signatures::{
    Call, Signature, args_array, full_params, method_doc, result_ty, return_ty,
};
use crate::csharp::code::{Code, Doc, escape, literal};
use crate::csharp::context::Ctx;
use crate::csharp::hub_names::HubNames;
use crate::csharp::scope::Scope;
use crate::model::Ty;

/// `I<Hub>`: the hub's methods.
pub(super) fn interface(
    ctx: &Ctx<'_>,
    code: &mut Code,
    hub: &HubNames<'_>,
    methods: &[Signature<'_>],
    scope: &Scope,
) {
    let mut doc = Doc::new(
        hub.hub.description.as_deref(),
        &format!("The methods of the hub <c>{}</c>.", hub.name),
    );
    if let Some(path) = &hub.hub.path {
        doc = doc.remark(format!("Served at <c>{}</c>.", escape(path)));
    }
    doc = doc.remark(format!(
        "Implemented by <c>{}Proxy</c> over a <c>HubConnection</c>.",
        hub.name
    ));
    if let Some(authorization) = &hub.hub.authorization {
        doc = doc.remark_markdown(&format!(
            "{authorization} Pass its credentials with the connection's `AccessTokenProvider`: without them starting the connection fails with status 401, and with 403 for a user the server refuses."
        ));
    }
    code.doc(&doc);
    code.line(format!("public interface I{}", hub.name));
    code.open();
    for (index, signature) in methods.iter().enumerate() {
        if index > 0 {
            code.blank();
        }
        code.doc(&method_doc(ctx, signature));
        code.line(format!(
            "{} {}({});",
            return_ty(ctx, signature, scope),
            signature.name,
            full_params(ctx, signature, scope)
        ));
    }
    code.close();
}

/// `<Hub>Proxy`: the hub's methods, called over a connection.
pub(super) fn proxy(
    ctx: &Ctx<'_>,
    code: &mut Code,
    hub: &HubNames<'_>,
    methods: &[Signature<'_>],
    scope: &Scope,
) {
    code.doc(&Doc::new(
        None,
        &format!(
            "Calls the hub <c>{}</c> over a <c>HubConnection</c>.",
            hub.name
        ),
    ));
    code.line(format!(
        "public sealed class {}Proxy : {}",
        hub.name,
        ctx.gen_name(&format!("I{}", hub.name), scope)
    ));
    code.open();
    proxy_state(ctx, code, hub, scope);
    for signature in methods {
        code.blank();
        proxy_method(ctx, code, signature, scope);
    }
    code.close();
}

/// The proxy's path constant, its connection and sender, its constructor, and the properties
/// that expose them.
fn proxy_state(ctx: &Ctx<'_>, code: &mut Code, hub: &HubNames<'_>, scope: &Scope) {
    let connection = ctx.fw("HubConnection", scope);
    let sender = ctx.gen_name(&format!("{}Sender", hub.name), scope);
    if let Some(path) = &hub.hub.path {
        code.doc(&Doc::new(
            None,
            "The path the hub is served at, relative to the server's base URL.",
        ));
        code.line(format!("public const string Path = {};", literal(path)));
        code.blank();
    }
    code.doc(&Doc::new(
        None,
        "The contract hash of the manifest this proxy was generated from. A server serves its own as the <c>ETag</c> of <c>GET {hub path}/manifest</c>: a different one means its hubs differ from what this client was generated for.",
    ));
    code.line(format!(
        "public const string ManifestHash = {};",
        literal(ctx.manifest_hash)
    ));
    code.blank();
    code.line(format!("private readonly {connection} _connection;"));
    code.line(format!("private readonly {sender} _send;"));
    code.blank();
    code.doc(&Doc::new(
        None,
        "A proxy that calls the hub over <paramref name=\"connection\"/> (started or not).",
    ));
    code.line(format!("public {}Proxy({connection} connection)", hub.name));
    code.open();
    code.line("if (connection == null)");
    code.open();
    code.line(format!(
        "throw new {}(\"connection\");",
        ctx.fw("ArgumentNullException", scope)
    ));
    code.close();
    code.line("_connection = connection;");
    code.line(format!("_send = new {sender}(connection);"));
    code.close();
    code.blank();
    code.doc(&Doc::new(None, "The connection the hub is called over."));
    code.line(format!("public {connection} Connection"));
    code.open();
    code.line("get { return _connection; }");
    code.close();
    code.blank();
    code.doc(&Doc::new(
        None,
        "The hub's invocations as fire and forget: no result, no completion awaited from the hub.",
    ));
    code.line(format!("public {sender} Send"));
    code.open();
    code.line("get { return _send; }");
    code.close();
}

/// A proxy method: the connection's invocation or stream of the hub method.
fn proxy_method(ctx: &Ctx<'_>, code: &mut Code, signature: &Signature<'_>, scope: &Scope) {
    code.line("/// <inheritdoc/>");
    code.line(format!(
        "public {} {}({})",
        return_ty(ctx, signature, scope),
        signature.name,
        full_params(ctx, signature, scope)
    ));
    code.open();
    let wire = literal(&signature.method.name);
    let args = args_array(ctx, &signature.args);
    let call = match signature.kind {
        Call::Invoke => match result_ty(ctx, signature.method) {
            Some(ty) => format!("InvokeCoreAsync<{}>", ctx.ty(ty, scope)),
            None => String::from("InvokeCoreAsync"),
        },
        Call::Stream | Call::StreamChannel => {
            let item = result_ty(ctx, signature.method)
                .map(|ty| ctx.ty(ty, scope))
                .unwrap_or_else(|| ctx.ty(&Ty::Unit, scope));
            if signature.kind == Call::Stream {
                format!("StreamAsyncCore<{item}>")
            } else {
                format!("StreamAsChannelCoreAsync<{item}>")
            }
        }
    };
    code.line(format!(
        "return _connection.{call}({wire}, {args}, cancellationToken);"
    ));
    code.close();
}

/// `<Hub>Sender`: the hub's invocations as fire and forget.
pub(super) fn sender(
    ctx: &Ctx<'_>,
    code: &mut Code,
    hub: &HubNames<'_>,
    methods: &[Signature<'_>],
    scope: &Scope,
) {
    let connection = ctx.fw("HubConnection", scope);
    let task = ctx.fw("Task", scope);
    code.doc(
        &Doc::new(
            None,
            &format!(
                "Fire-and-forget calls of the hub <c>{}</c> (<c>HubConnection.SendCoreAsync</c>).",
                hub.name
            ),
        )
        .remark(
            "The returned task completes once the message is sent: the hub's result and failures are not reported.",
        ),
    );
    code.line(format!("public sealed class {}Sender", hub.name));
    code.open();
    code.line(format!("private readonly {connection} _connection;"));
    code.blank();
    code.line(format!(
        "internal {}Sender({connection} connection)",
        hub.name
    ));
    code.open();
    code.line("_connection = connection;");
    code.close();
    for signature in methods.iter().filter(|s| s.kind == Call::Invoke) {
        code.blank();
        let wire = escape(&signature.method.name);
        let what = format!("Sends <c>{wire}</c> to the hub without waiting for it.");
        let mut doc = Doc::new(signature.method.description.as_deref(), &what);
        if signature.method.description.is_some() {
            doc = doc.remark(what);
        }
        if let Some(authorization) = &signature.method.authorization {
            doc = doc.remark_markdown(&format!(
                "{authorization} Otherwise the server refuses the call, and a send does not report it."
            ));
        }
        code.doc(&doc);
        code.line(format!(
            "public {task} {}({})",
            signature.name,
            full_params(ctx, signature, scope)
        ));
        code.open();
        code.line(format!(
            "return _connection.SendCoreAsync({}, {}, cancellationToken);",
            literal(&signature.method.name),
            args_array(ctx, &signature.args)
        ));
        code.close();
    }
    code.close();
}
