//! The proxy's methods: a C# signature per hub method, kind of call and client-stream overload.

use hub_schema::MethodKind;

use crate::csharp::code::{Doc, escape};
use crate::csharp::context::Ctx;
use crate::csharp::hub_names::HubNames;
use crate::csharp::names::parameters;
use crate::csharp::scope::Scope;
use crate::model::{Method, Ty};

/// One C# method of the proxy: a hub method, or one overload of it.
pub(super) struct Signature<'m> {
    pub(super) method: &'m Method,
    /// `SendMessageAsync`.
    pub(super) name: String,
    pub(super) kind: Call,
    /// `string user, string message`.
    pub(super) params: String,
    /// `user, message`.
    pub(super) args: String,
    /// Takes client streams as `IAsyncEnumerable<T>` (the overload).
    pub(super) async_enumerable: bool,
}

/// What a proxy method does.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Call {
    /// Invokes a hub method.
    Invoke,
    /// Streams a hub method's items as an `IAsyncEnumerable`.
    Stream,
    /// Streams a hub method's items into a `ChannelReader`.
    StreamChannel,
}

/// The proxy's methods: one per hub method, call and client-stream overload.
pub(super) fn signatures<'m>(ctx: &Ctx<'_>, hub: &'m HubNames<'_>) -> Vec<Signature<'m>> {
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
pub(super) fn result_ty<'m>(ctx: &Ctx<'_>, method: &'m Method) -> Option<&'m Ty> {
    method
        .result
        .as_ref()
        .filter(|ty| method.kind == MethodKind::Stream || !matches!(ctx.resolve(ty), Ty::Unit))
}

/// A proxy method's return type.
pub(super) fn return_ty(ctx: &Ctx<'_>, signature: &Signature<'_>, scope: &Scope) -> String {
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

/// A proxy method's parameters, the cancellation token last.
pub(super) fn full_params(ctx: &Ctx<'_>, signature: &Signature<'_>, scope: &Scope) -> String {
    let token = ctx.fw("CancellationToken", scope);
    let token = format!("{token} cancellationToken = default({token})");
    if signature.params.is_empty() {
        token
    } else {
        format!("{}, {token}", signature.params)
    }
}

/// A proxy method's documentation.
pub(super) fn method_doc(ctx: &Ctx<'_>, signature: &Signature<'_>) -> Doc {
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
    if let Some(authorization) = &method.authorization {
        doc = doc.remark_markdown(&format!(
            "{authorization} Otherwise it fails with `Failed to invoke '{}' because user is unauthorized`.",
            method.name
        ));
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

/// The arguments of a call, as the `object[]` the connection takes.
pub(super) fn args_array(ctx: &Ctx<'_>, args: &str) -> String {
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
