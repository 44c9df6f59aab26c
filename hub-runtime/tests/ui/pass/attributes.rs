//! `#[hub(rename)]`, `#[hub(skip)]`, private helpers, `#[client(rename)]`.

use hub_runtime::prelude::*;

#[hub_runtime::client]
pub trait RenamedClient {
    #[client(rename = "onMessage")]
    async fn message(&self, text: String);
    #[client(rename = "Tick")]
    async fn tick(&self, n: u64);
}

pub struct AttrHub {
    prefix: String,
}

#[hub_runtime::hub(client = RenamedClient)]
impl AttrHub {
    #[hub(rename = "Ping")]
    pub fn ping_pong(&self) -> &'static str {
        "pong"
    }

    #[hub(rename = "send-message")]
    pub async fn send(&self, ctx: &Ctx<Self>, text: String) {
        ctx.clients().all().message(self.decorate(&text)).await;
        ctx.clients().caller().tick(1).await;
    }

    /// Public for Rust code, not callable by clients.
    #[hub(skip)]
    pub fn configure(&mut self, prefix: &str) {
        self.prefix = prefix.to_owned();
    }

    /// Skipped methods may have any shape.
    #[hub(skip)]
    pub fn new() -> Self {
        AttrHub { prefix: String::new() }
    }

    /// Private helpers are not hub methods, whatever their signature.
    fn decorate(&self, text: &str) -> String {
        format!("{}{}", self.prefix, text)
    }

    fn generic_helper<T: ToString>(value: T) -> String {
        value.to_string()
    }

    pub(crate) fn crate_helper(self) -> String {
        Self::generic_helper(self.prefix)
    }
}

fn main() {
    let mut hub = AttrHub::new();
    hub.configure(">");
    let _ = hub.ping_pong();
    let _ = hub.crate_helper();
}
