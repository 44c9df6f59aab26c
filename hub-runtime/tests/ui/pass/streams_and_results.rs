// Server streams in every form, upload streams, and client results on single targets.
use futures_util::{Stream, StreamExt};
use hub_runtime::prelude::*;

#[hub_runtime::client]
pub trait AskClient {
    async fn confirm(&self, question: String) -> bool;
    async fn pick(&self, options: Vec<String>) -> Option<String>;
    async fn notify(&self, text: String);
}

pub struct StreamHub;

#[derive(Debug)]
pub struct Broken;

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("broken")
    }
}

impl std::error::Error for Broken {}

#[hub_runtime::hub(client = AskClient)]
impl StreamHub {
    pub fn counter(&self, count: u32) -> impl Stream<Item = u32> + Send + 'static {
        futures_util::stream::iter(0..count)
    }

    pub async fn fallible(&self) -> impl Stream<Item = Result<u32, HubError>> {
        futures_util::stream::iter([Ok(1), Err(HubError::new("stop"))])
    }

    pub fn checked(&self, count: u32) -> Result<impl Stream<Item = u32>, HubError> {
        if count > 100 {
            return Err(HubError::new("too many"));
        }
        Ok(futures_util::stream::iter(0..count))
    }

    pub fn checked_fallible(&self) -> Result<impl Stream<Item = Result<String, Broken>>, Broken> {
        Ok(futures_util::stream::iter([Ok(String::new()), Err(Broken)]))
    }

    pub async fn upload(&self, mut items: ClientStream<String>) -> Result<usize, HubError> {
        let mut count = 0;
        while let Some(item) = items.next().await {
            item?;
            count += 1;
        }
        Ok(count)
    }

    pub async fn two_uploads(
        &self,
        prefix: String,
        first: ClientStream<u32>,
        ctx: &Ctx<Self>,
        second: ClientStream<u32>,
    ) -> String {
        let _ = (first, second, ctx.connection_id());
        prefix
    }

    pub async fn ask_caller(&self, ctx: &Ctx<Self>, question: String) -> Result<bool, HubError> {
        Ok(ctx.clients().caller().confirm(question).await?)
    }

    pub async fn ask_one(&self, ctx: &Ctx<Self>, id: String) -> Option<String> {
        let caller = ctx.clients().caller();
        caller.notify("asking".into()).await;
        ctx.clients()
            .client(id)
            .pick(vec!["a".into()])
            .await
            .ok()
            .flatten()
    }
}

async fn from_outside(hub: HubContext<StreamHub>, id: String) -> Result<bool, ClientResultError> {
    hub.clients().client(id).confirm("ok?".into()).await
}

fn main() {
    let _ = from_outside;
}
