//! A hub without `client = ...`: it calls no client method, but can manage groups.

use hub_runtime::prelude::*;

pub struct EchoHub;

#[hub_runtime::hub]
impl EchoHub {
    pub fn echo(&self, text: String) -> String {
        text
    }

    pub async fn join(&self, ctx: &Ctx<Self>, group: String) {
        ctx.groups().add_to_group(ctx.connection_id(), group).await;
    }
}

/// An empty hub is a hub too.
pub struct EmptyHub;

#[hub_runtime::hub]
impl EmptyHub {}

fn main() {
    let router = HubRouter::new("/echo", EchoHub);
    let _context: HubContext<EchoHub> = router.context();
    let _ = HubRouter::new("/empty", EmptyHub);
}
