//! `<Hub>.cs`: the hub's interface and proxy (invocations, streams both ways), its sender (fire
//! and forget), and the receiver side: the client interface and its registration on a
//! `HubConnection`.

use hub_schema::MethodKind;

use super::code::{Code, Doc, escape, literal};
use super::context::Ctx;
use super::hub_names::HubNames;
use super::names::parameters;
use super::scope::Scope;
use crate::model::{Method, Ty};

pub(super) fn generate(ctx: &Ctx<'_>, hub: &HubNames<'_>) -> String {
    let mut code = Code::default();
    ctx.header(
        &mut code,
        &format!(
            "The {} hub. Needs Microsoft.AspNetCore.SignalR.Client {} and System.Text.Json 5.0 or later.",
            hub.name,
            if hub.hub.client_methods.iter().any(|m| m.result.is_some()) {
                "7.0 or later (client results)"
            } else {
                "5.0 or later"
            }
        ),
        false,
    );
    code.line(format!("namespace {}", ctx.namespace()));
    code.open();
    ctx.usings(&mut code);
    let methods = signatures(ctx, hub);
    let mut members: Vec<String> = ["Connection", "Send", "Path", "_connection", "_send"]
        .iter()
        .map(|name| (*name).to_owned())
        .collect();
    members.extend(methods.iter().map(|m| m.name.clone()));
    let scope = ctx.top_scope().members(members);
    code.blank();
    interface(ctx, &mut code, hub, &methods, &scope);
    code.blank();
    proxy(ctx, &mut code, hub, &methods, &scope);
    code.blank();
    sender(ctx, &mut code, hub, &methods, &scope);
    if let Some(client) = &hub.client {
        code.blank();
        receiver(ctx, &mut code, hub, client);
        code.blank();
        registration(ctx, &mut code, hub, client);
    }
    code.close();
    code.finish()
}

/// One C# method of the proxy: a hub method, or one overload of it.
struct Signature<'m> {
    method: &'m Method,
    /// `SendMessageAsync`.
    name: String,
    kind: Call,
    /// `string user, string message`.
    params: String,
    /// `user, message`.
    args: String,
    /// Takes client streams as `IAsyncEnumerable<T>` (the overload).
    async_enumerable: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Call {
    Invoke,
    Stream,
    StreamChannel,
}

fn signatures<'m>(ctx: &Ctx<'_>, hub: &'m HubNames<'_>) -> Vec<Signature<'m>> {
    let plain = ctx.top_scope();
    let mut out = Vec::new();
    for (method, cs) in hub.hub.methods.iter().zip(&hub.methods) {
        let names = parameters(
            method.params.iter().map(|param| param.name.as_str()),
            &["cancellationToken"],
        );
        let has_streams = method.params.iter().any(|param| param.stream);
        let overloads: &[bool] = if has_streams {
            &[false, true]
        } else {
            &[false]
        };
        let calls: &[Call] = match method.kind {
            MethodKind::Invoke => &[Call::Invoke],
            MethodKind::Stream => &[Call::Stream, Call::StreamChannel],
        };
        for &call in calls {
            for &async_enumerable in overloads {
                let params: Vec<String> = method
                    .params
                    .iter()
                    .zip(&names)
                    .map(|(param, name)| {
                        let ty = ctx.ty(&param.ty, &plain);
                        let ty = match (param.stream, async_enumerable) {
                            (false, _) => ty,
                            (true, false) => format!("{}<{ty}>", ctx.fw("ChannelReader", &plain)),
                            (true, true) => format!("{}<{ty}>", ctx.fw("IAsyncEnumerable", &plain)),
                        };
                        format!("{ty} {name}")
                    })
                    .collect();
                out.push(Signature {
                    method,
                    name: match call {
                        Call::StreamChannel => format!("{cs}ChannelAsync"),
                        _ => format!("{cs}Async"),
                    },
                    kind: call,
                    params: params.join(", "),
                    args: names.join(", "),
                    async_enumerable,
                });
            }
        }
    }
    out
}

/// The value of an invocation (`None`: completes without one; `()` counts as none), or the item
/// of a stream (`object` when the manifest has none).
fn result_ty<'m>(ctx: &Ctx<'_>, method: &'m Method) -> Option<&'m Ty> {
    method
        .result
        .as_ref()
        .filter(|ty| method.kind == MethodKind::Stream || !matches!(ctx.resolve(ty), Ty::Unit))
}

fn return_ty(ctx: &Ctx<'_>, signature: &Signature<'_>, scope: &Scope) -> String {
    let item = || {
        result_ty(ctx, signature.method)
            .map(|ty| ctx.ty(ty, scope))
            .unwrap_or_else(|| ctx.ty(&Ty::Unit, scope))
    };
    let task = ctx.fw("Task", scope);
    match signature.kind {
        Call::Invoke => match result_ty(ctx, signature.method) {
            Some(ty) => format!("{task}<{}>", ctx.ty(ty, scope)),
            None => task,
        },
        Call::Stream => format!("{}<{}>", ctx.fw("IAsyncEnumerable", scope), item()),
        Call::StreamChannel => format!("{task}<{}<{}>>", ctx.fw("ChannelReader", scope), item()),
    }
}

fn full_params(ctx: &Ctx<'_>, signature: &Signature<'_>, scope: &Scope) -> String {
    let token = ctx.fw("CancellationToken", scope);
    let token = format!("{token} cancellationToken = default({token})");
    if signature.params.is_empty() {
        token
    } else {
        format!("{}, {token}", signature.params)
    }
}

fn method_doc(ctx: &Ctx<'_>, signature: &Signature<'_>) -> Doc {
    let method = signature.method;
    let wire = escape(&method.name);
    let what = match signature.kind {
        Call::Invoke => match result_ty(ctx, method) {
            Some(_) => format!("Invokes <c>{wire}</c> on the hub and returns its result."),
            None => format!("Invokes <c>{wire}</c> on the hub and completes when it has."),
        },
        Call::Stream => format!(
            "Streams the items of <c>{wire}</c> from the hub; the stream ends when the hub's does, and the token (or disposing the enumerator) cancels it."
        ),
        Call::StreamChannel => format!(
            "Streams the items of <c>{wire}</c> from the hub into a channel (no <c>await foreach</c> needed); the token cancels the stream."
        ),
    };
    let mut doc = Doc::new(method.description.as_deref(), &what);
    if method.description.is_some() {
        doc = doc.remark(what);
    }
    if method.params.iter().any(|param| param.stream) {
        doc = doc.remark(if signature.async_enumerable {
            "Client streams are uploaded item by item until the enumerable ends."
        } else {
            "Client streams are uploaded item by item until the channel completes."
        });
    }
    if signature.kind != Call::StreamChannel {
        doc = doc.remark("A failure of the hub method is thrown as a <c>HubException</c>.");
    }
    doc
}

fn interface(
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

fn args_array(ctx: &Ctx<'_>, args: &str) -> String {
    let object = if ctx.options.nullable {
        "object?"
    } else {
        "object"
    };
    if args.is_empty() {
        format!("new {object}[0]")
    } else {
        format!("new {object}[] {{ {args} }}")
    }
}

fn proxy(
    ctx: &Ctx<'_>,
    code: &mut Code,
    hub: &HubNames<'_>,
    methods: &[Signature<'_>],
    scope: &Scope,
) {
    let connection = ctx.fw("HubConnection", scope);
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
    if let Some(path) = &hub.hub.path {
        code.doc(&Doc::new(
            None,
            "The path the hub is served at, relative to the server's base URL.",
        ));
        code.line(format!("public const string Path = {};", literal(path)));
        code.blank();
    }
    code.line(format!("private readonly {connection} _connection;"));
    code.line(format!(
        "private readonly {} _send;",
        ctx.gen_name(&format!("{}Sender", hub.name), scope)
    ));
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
    code.line(format!(
        "_send = new {}(connection);",
        ctx.gen_name(&format!("{}Sender", hub.name), scope)
    ));
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
    code.line(format!(
        "public {} Send",
        ctx.gen_name(&format!("{}Sender", hub.name), scope)
    ));
    code.open();
    code.line("get { return _send; }");
    code.close();
    for signature in methods {
        code.blank();
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
    code.close();
}

fn sender(
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
        code.doc(
            &Doc::new(
                signature.method.description.as_deref(),
                &format!("Sends <c>{wire}</c> to the hub without waiting for it."),
            )
            .remark(format!(
                "Sends <c>{wire}</c> to the hub without waiting for it."
            )),
        );
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

fn receiver(ctx: &Ctx<'_>, code: &mut Code, hub: &HubNames<'_>, client: &str) {
    let scope = ctx.top_scope().members(hub.client_methods.iter().cloned());
    code.doc(
        &Doc::new(
            None,
            &format!("The methods the hub <c>{}</c> calls on this client.", hub.name),
        )
        .remark(format!(
            "Implement it and pass it to <c>HubConnection.Register{client}</c> (in <c>{client}Registration</c>) before starting the connection."
        )),
    );
    code.line(format!("public interface I{client}"));
    code.open();
    for (index, (method, name)) in hub
        .hub
        .client_methods
        .iter()
        .zip(&hub.client_methods)
        .enumerate()
    {
        if index > 0 {
            code.blank();
        }
        let wire = escape(&method.name);
        let mut doc = Doc::new(
            method.description.as_deref(),
            &format!("Called when the hub sends <c>{wire}</c>."),
        );
        if method.description.is_some() {
            doc = doc.remark(format!("Called when the hub sends <c>{wire}</c>."));
        }
        if method.result.is_some() {
            doc = doc.remark(
                "A client result: the value the task completes with is sent back to the hub, and an exception is reported to it as an error.",
            );
        }
        code.doc(&doc);
        let params = parameters(method.params.iter().map(|param| param.name.as_str()), &[]);
        let task = ctx.fw("Task", &scope);
        let ret = match &method.result {
            Some(ty) => format!("{task}<{}>", ctx.ty(ty, &scope)),
            None => task,
        };
        code.line(format!(
            "{ret} {name}({});",
            method
                .params
                .iter()
                .zip(&params)
                .map(|(param, name)| format!("{} {name}", ctx.ty(&param.ty, &scope)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    code.close();
}

fn registration(ctx: &Ctx<'_>, code: &mut Code, hub: &HubNames<'_>, client: &str) {
    if ctx.options.nullable {
        code.line("#nullable disable");
    }
    let handlers: Vec<String> = hub
        .client_methods
        .iter()
        .map(|name| format!("Handle{name}"))
        .collect();
    let scope = ctx.plain_scope(
        handlers
            .iter()
            .cloned()
            .chain([format!("Register{client}"), String::from("Registrations")]),
    );
    let task = ctx.fw("Task", &scope);
    let disposable = ctx.fw("IDisposable", &scope);
    let interface = ctx.gen_name(&format!("I{client}"), &scope);
    code.doc(&Doc::new(
        None,
        &format!("Registers an <c>I{client}</c> on a <c>HubConnection</c>."),
    ));
    code.line(format!("public static class {client}Registration"));
    code.open();
    code.doc(
        &Doc::new(
            None,
            &format!(
                "Routes the calls of the hub <c>{}</c> to <paramref name=\"receiver\"/>.",
                hub.name
            ),
        )
        .remark("Dispose the result to remove every handler registered here."),
    );
    code.line(format!(
        "public static {disposable} Register{client}(this {} connection, {interface} receiver)",
        ctx.fw("HubConnection", &scope)
    ));
    code.open();
    for param in ["connection", "receiver"] {
        code.line(format!("if ({param} == null)"));
        code.open();
        code.line(format!(
            "throw new {}(\"{param}\");",
            ctx.fw("ArgumentNullException", &scope)
        ));
        code.close();
    }
    let list = ctx.fw("List", &scope);
    let func = ctx.fw("Func", &scope);
    code.line(format!(
        "{list}<{disposable}> registrations = new {list}<{disposable}>();"
    ));
    code.line("try");
    code.open();
    for (index, (method, handler)) in hub.hub.client_methods.iter().zip(&handlers).enumerate() {
        let ret = if method.result.is_some() {
            format!("{task}<object>")
        } else {
            task.clone()
        };
        let types: Vec<String> = method
            .params
            .iter()
            .map(|param| format!("typeof({})", ctx.ty(&param.ty, &scope)))
            .collect();
        let types = if types.is_empty() {
            format!("new {}[0]", ctx.fw("Type", &scope))
        } else {
            format!(
                "new {}[] {{ {} }}",
                ctx.fw("Type", &scope),
                types.join(", ")
            )
        };
        code.line(format!(
            "{func}<object[], object, {ret}> handler{} = {handler};",
            index + 1
        ));
        code.line(format!(
            "registrations.Add(connection.On({}, {types}, handler{}, receiver));",
            literal(&method.name),
            index + 1
        ));
    }
    code.close();
    code.line("catch");
    code.open();
    code.line(format!(
        "foreach ({disposable} registration in registrations)"
    ));
    code.open();
    code.line("registration.Dispose();");
    code.close();
    code.line("throw;");
    code.close();
    code.line("return new Registrations(registrations.ToArray());");
    code.close();
    for ((method, name), handler) in hub
        .hub
        .client_methods
        .iter()
        .zip(&hub.client_methods)
        .zip(&handlers)
    {
        code.blank();
        let args: Vec<String> = method
            .params
            .iter()
            .enumerate()
            .map(|(index, param)| format!("({})args[{index}]", ctx.ty(&param.ty, &scope)))
            .collect();
        let call = format!("(({interface})state).{name}({})", args.join(", "));
        if method.result.is_some() {
            code.line(format!(
                "private static async {task}<object> {handler}(object[] args, object state)"
            ));
            code.open();
            code.line(format!("return await {call}.ConfigureAwait(false);"));
        } else {
            code.line(format!(
                "private static {task} {handler}(object[] args, object state)"
            ));
            code.open();
            code.line(format!("return {call};"));
        }
        code.close();
    }
    code.blank();
    code.line(format!("private sealed class Registrations : {disposable}"));
    code.open();
    code.line(format!("private {disposable}[] _items;"));
    code.blank();
    code.line(format!("public Registrations({disposable}[] items)"));
    code.open();
    code.line("_items = items;");
    code.close();
    code.blank();
    code.line("public void Dispose()");
    code.open();
    code.line(format!(
        "{disposable}[] items = {}.Exchange(ref _items, null);",
        ctx.fw("Interlocked", &scope)
    ));
    code.line("if (items == null)");
    code.open();
    code.line("return;");
    code.close();
    code.line(format!("foreach ({disposable} item in items)"));
    code.open();
    code.line("item.Dispose();");
    code.close();
    code.close();
    code.close();
    code.close();
}
