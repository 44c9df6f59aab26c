//! The receiver's side of a hub: the interface of what it calls on clients, and the
//! registration of an implementation on a connection.

use crate::csharp::code::{Code, Doc, escape, literal};
use crate::csharp::context::Ctx;
use crate::csharp::hub_names::HubNames;
use crate::csharp::names::parameters;
use crate::csharp::scope::Scope;
use crate::model::ClientMethod;

/// `I<Client>`: what the hub calls on this client.
pub(super) fn receiver(ctx: &Ctx<'_>, code: &mut Code, hub: &HubNames<'_>, client: &str) {
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

/// `<Client>Registration`: the extension that registers an `I<Client>` on a connection.
pub(super) fn registration(ctx: &Ctx<'_>, code: &mut Code, hub: &HubNames<'_>, client: &str) {
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
    code.doc(&Doc::new(
        None,
        &format!("Registers an <c>I{client}</c> on a <c>HubConnection</c>."),
    ));
    code.line(format!("public static class {client}Registration"));
    code.open();
    register_method(ctx, code, hub, client, &handlers, &scope);
    let interface = ctx.gen_name(&format!("I{client}"), &scope);
    for ((method, name), handler) in hub
        .hub
        .client_methods
        .iter()
        .zip(&hub.client_methods)
        .zip(&handlers)
    {
        code.blank();
        handler_method(
            ctx,
            code,
            method,
            &format!("(({interface})state).{name}"),
            handler,
            &scope,
        );
    }
    code.blank();
    registrations_class(ctx, code, &scope);
    code.close();
}

/// `Register<Client>`: a handler per client method, all removed again if one fails.
fn register_method(
    ctx: &Ctx<'_>,
    code: &mut Code,
    hub: &HubNames<'_>,
    client: &str,
    handlers: &[String],
    scope: &Scope,
) {
    let disposable = ctx.fw("IDisposable", scope);
    let interface = ctx.gen_name(&format!("I{client}"), scope);
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
        ctx.fw("HubConnection", scope)
    ));
    code.open();
    for param in ["connection", "receiver"] {
        code.line(format!("if ({param} == null)"));
        code.open();
        code.line(format!(
            "throw new {}(\"{param}\");",
            ctx.fw("ArgumentNullException", scope)
        ));
        code.close();
    }
    let list = ctx.fw("List", scope);
    code.line(format!(
        "{list}<{disposable}> registrations = new {list}<{disposable}>();"
    ));
    code.line("try");
    code.open();
    for (index, (method, handler)) in hub.hub.client_methods.iter().zip(handlers).enumerate() {
        add_handler(ctx, code, method, handler, index + 1, scope);
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
}

/// Registers the handler of `method` (the `number`th) with the argument types it reads.
fn add_handler(
    ctx: &Ctx<'_>,
    code: &mut Code,
    method: &ClientMethod,
    handler: &str,
    number: usize,
    scope: &Scope,
) {
    let task = ctx.fw("Task", scope);
    let ret = if method.result.is_some() {
        format!("{task}<object>")
    } else {
        task
    };
    let types: Vec<String> = method
        .params
        .iter()
        .map(|param| format!("typeof({})", ctx.ty(&param.ty, scope)))
        .collect();
    let types = if types.is_empty() {
        format!("new {}[0]", ctx.fw("Type", scope))
    } else {
        format!("new {}[] {{ {} }}", ctx.fw("Type", scope), types.join(", "))
    };
    code.line(format!(
        "{}<object[], object, {ret}> handler{number} = {handler};",
        ctx.fw("Func", scope)
    ));
    code.line(format!(
        "registrations.Add(connection.On({}, {types}, handler{number}, receiver));",
        literal(&method.name)
    ));
}

/// The handler `handler` of `method`: calls `receiver_method` (on the receiver, the state)
/// with the arguments cast to their types.
fn handler_method(
    ctx: &Ctx<'_>,
    code: &mut Code,
    method: &ClientMethod,
    receiver_method: &str,
    handler: &str,
    scope: &Scope,
) {
    let task = ctx.fw("Task", scope);
    let args: Vec<String> = method
        .params
        .iter()
        .enumerate()
        .map(|(index, param)| format!("({})args[{index}]", ctx.ty(&param.ty, scope)))
        .collect();
    let call = format!("{receiver_method}({})", args.join(", "));
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

/// `Registrations`: what `Register<Client>` returns, which removes the handlers once.
fn registrations_class(ctx: &Ctx<'_>, code: &mut Code, scope: &Scope) {
    let disposable = ctx.fw("IDisposable", scope);
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
        ctx.fw("Interlocked", scope)
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
}
