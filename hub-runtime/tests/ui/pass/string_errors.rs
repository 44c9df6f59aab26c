//! A message is an error too: `Err(text)` reaches the client as `HubError::new(text)` would.

use futures_util::Stream;
use hub_runtime::prelude::*;

pub struct MessageHub;

#[hub_runtime::hub]
impl MessageHub {
    pub fn sync_value(&self, n: u32) -> Result<u32, String> {
        if n == 0 { Err(format!("{n} is not allowed")) } else { Ok(n) }
    }

    pub fn sync_unit(&self) -> Result<(), &'static str> {
        Err("no")
    }

    pub async fn async_value(&self, text: String) -> Result<String, String> {
        Ok(text)
    }

    pub async fn async_unit(&self) -> Result<(), String> {
        Err(String::from("no"))
    }

    pub fn items(&self) -> impl Stream<Item = Result<u32, String>> {
        futures_util::stream::iter([Ok(1), Err(String::from("stop"))])
    }

    pub fn started(&self, count: u32) -> Result<impl Stream<Item = u32>, &'static str> {
        if count > 10 {
            return Err("too many");
        }
        Ok(futures_util::stream::iter(0..count))
    }

    pub async fn started_items(
        &self,
    ) -> Result<impl Stream<Item = Result<u32, &'static str>>, String> {
        Ok(futures_util::stream::iter([Ok(1), Err("stop")]))
    }

    fn on_connected(&self, ctx: &Ctx<Self>) -> Result<(), String> {
        match ctx.user_id() {
            Some(_) => Ok(()),
            None => Err(String::from("sign in first")),
        }
    }

    async fn on_disconnected(&self, _error: Option<HubError>) -> Result<(), &'static str> {
        Err("logged")
    }
}

fn main() {
    let _ = HubRouter::new("/messages", MessageHub);
}
