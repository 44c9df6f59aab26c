//! `<Hub>.cs`: the hub's interface and proxy (invocations, streams both ways), its sender (fire
//! and forget), and the receiver side: the client interface and its registration on a
//! `HubConnection`.

mod proxy;
mod receiver;
mod signatures;

use super::code::Code;
use super::context::Ctx;
use super::hub_names::HubNames;
use proxy::{interface, proxy, sender};
use receiver::{receiver, registration};
use signatures::signatures;

/// The contents of the hub's file (`ChatHub.cs`).
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
