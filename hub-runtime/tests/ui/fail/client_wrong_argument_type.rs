use hub_runtime::prelude::*;

#[hub_runtime::client]
pub trait ChatClient {
    async fn receive_message(&self, user: String, message: String);
}

pub struct ChatHub;

#[hub_runtime::hub(client = ChatClient)]
impl ChatHub {
    pub async fn send_message(&self, ctx: &Ctx<Self>, user: String, count: u32) {
        ctx.clients().all().receive_message(user, count).await;
    }
}

fn main() {}
