//! `crate = "..."` on both macros: the generated code reaches the runtime through the given path,
//! with or without a leading `::`, here through a module that re-exports it.

mod framework {
    pub use hub_runtime as hub;
}

use framework::hub::Ctx;

#[framework::hub::client(crate = "crate::framework::hub")]
pub trait NewsClient {
    async fn headline(&self, text: String);
}

pub struct NewsHub;

#[framework::hub::hub(client = NewsClient, crate = "crate::framework::hub")]
impl NewsHub {
    pub async fn publish(&self, ctx: &Ctx<Self>, text: String) {
        ctx.clients().all().headline(text).await;
    }
}

#[hub_runtime::client(crate = "::hub_runtime")]
pub trait PlainClient {
    async fn ping(&self);
}

pub struct PlainHub;

#[hub_runtime::hub(crate = "::hub_runtime", client = PlainClient)]
impl PlainHub {
    pub fn echo(&self, text: String) -> String {
        text
    }
}

fn main() {
    let _ = framework::hub::HubRouter::new("/news", NewsHub);
    let _ = hub_runtime::HubRouter::new("/plain", PlainHub);
}
