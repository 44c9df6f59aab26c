use hub_runtime::prelude::*;

#[hub_runtime::client]
pub trait ChatClient {
    async fn receive_message(&self, user: String, message: String);
}

pub struct ChatHub;

#[hub_runtime::hub(client = ChatClient)]
impl ChatHub {
    pub async fn send_message(&self, ctx: &Ctx<Self>, user: String, message: String) {
        ctx.clients().all().recieve_message(user, message).await;
    }
}

fn main() {}
