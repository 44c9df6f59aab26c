// The client's side of a hub: its generated caller over any `HubCaller`, and the handlers of an
// implementation of its client trait (borrowed parameters are lent from owned values).

use futures_util::StreamExt;
use hub_runtime::prelude::*;
use hub_runtime::remote::{CallError, Handlers, HubCaller};

#[hub_runtime::client]
pub trait ShapeClient {
    async fn drawn(&self, name: String, points: Vec<(i32, i32)>);
    async fn notice(&self, text: &str, tags: &[String]);
    async fn confirm(&self, question: String) -> bool;
}

pub struct ShapeHub;

#[hub_runtime::hub(client = ShapeClient)]
impl ShapeHub {
    pub async fn draw(&self, ctx: &Ctx<Self>, name: String) -> Result<usize, HubError> {
        ctx.clients().all().drawn(name, Vec::new()).await;
        Ok(0)
    }
    #[hub(rename = "Ping")]
    pub fn ping(&self) -> &'static str {
        "pong"
    }
    pub fn points(&self, count: u32) -> impl futures_util::Stream<Item = Result<u32, HubError>> {
        futures_util::stream::iter((0..count).map(Ok))
    }
    pub async fn upload(&self, _first: ClientStream<String>, _second: ClientStream<u8>) {}
}

struct Canvas;

impl ShapeClient for Canvas {
    async fn drawn(&self, _name: String, _points: Vec<(i32, i32)>) {}
    async fn notice(&self, _text: &str, _tags: &[String]) {}
    async fn confirm(&self, _question: String) -> bool {
        true
    }
}

pub async fn calls(connection: impl HubCaller) -> Result<(), CallError> {
    let hub = ShapeHubCaller::new(connection);
    let drawn: usize = hub.draw("square".to_owned()).await?;
    let pong: String = hub.ping().await?;
    hub.draw("sent".to_owned()).send().await?;
    let mut points = hub.points(3).await?;
    while let Some(point) = points.next().await {
        let _: u32 = point?;
    }
    let words = futures_util::stream::iter(vec!["a".to_owned()]);
    let bytes = futures_util::stream::iter(vec![1u8]);
    hub.upload(words, bytes).await?;
    let _ = (drawn, pong);
    Ok(())
}

fn main() {
    let handlers = Handlers::of::<ShapeClientProxy, _>(Canvas);
    assert_eq!(handlers.len(), 3);
}
