// A hub without `client = ...` has proxies without client methods: the error says what to add.
use hub_runtime::prelude::*;

#[hub_runtime::client]
pub trait ChatClient {
    async fn receive_message(&self, text: String);
}

pub struct ChatHub;

#[hub_runtime::hub]
impl ChatHub {
    pub async fn send(&self, ctx: &Ctx<Self>, text: String) {
        ctx.clients().all().receive_message(text).await;
    }
}

fn main() {}
