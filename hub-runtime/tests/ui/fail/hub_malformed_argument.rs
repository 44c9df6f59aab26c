// A malformed argument loses neither the others nor the hub: `client = ...` still applies, so its
// calls to clients add no errors.
use hub_runtime::prelude::*;

#[hub_runtime::client]
pub trait PingClient {
    async fn pong(&self);
}

pub struct PingHub;

#[hub_runtime::hub(client = PingClient, crate = hub_runtime)]
impl PingHub {
    pub async fn ping(&self, ctx: &Ctx<Self>) {
        ctx.clients().caller().pong().await;
    }
}

fn main() {}
