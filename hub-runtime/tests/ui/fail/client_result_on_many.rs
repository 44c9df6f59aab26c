// A client result can only be awaited from one connection: `all()` does not offer it.
use hub_runtime::prelude::*;

#[hub_runtime::client]
pub trait AskClient {
    async fn confirm(&self, question: String) -> bool;
}

pub struct AskHub;

#[hub_runtime::hub(client = AskClient)]
impl AskHub {
    pub async fn ask_everyone(&self, ctx: &Ctx<Self>, question: String) -> bool {
        ctx.clients().all().confirm(question).await.unwrap_or(false)
    }
}

fn main() {}
