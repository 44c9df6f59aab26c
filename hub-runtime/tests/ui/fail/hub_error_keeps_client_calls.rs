// A mistake in a hub with a client trait: the hub's calls to its clients, in the hub and through
// `HubContext`, still type-check, so the mistake is the only error reported.
use hub_runtime::prelude::*;

#[hub_runtime::client]
pub trait CounterClient {
    async fn counted(&self, count: u32);
}

pub struct CounterHub;

#[hub_runtime::hub(client = CounterClient)]
impl CounterHub {
    pub fn increment(&mut self) -> u32 {
        1
    }

    pub async fn announce(&self, ctx: &Ctx<Self>, count: u32) {
        ctx.clients().all().counted(count).await;
        ctx.clients().caller().counted(count).await;
    }
}

async fn announce_elsewhere(hub: HubContext<CounterHub>) {
    hub.clients().all().counted(0).await;
    hub.clients().group("g").counted(0).await;
}

fn main() {
    let router = HubRouter::new("/count", CounterHub);
    let _ = announce_elsewhere(router.context());
}
