//! A message is an error: a hub method, stream or lifecycle hook that returns `Err(text)` with a
//! `String` or `&'static str` error fails as `Err(HubError::new(text))` would, and the client
//! receives `text` as a `HubException`, with detailed errors off.
//!
//! Same style as `runtime.rs`: a server on `127.0.0.1:0`, the raw JSON hub protocol over a
//! WebSocket, every wait bounded.

#![allow(missing_docs, unreachable_pub)]

mod support;

use futures_util::{Stream, stream};
use hub_runtime::HubFilter;
use hub_runtime::prelude::*;
use serde_json::json;
use support::*;

pub struct MessageHub;

#[hub_runtime::hub]
impl MessageHub {
    pub fn echo(&self, text: String) -> String {
        text
    }

    pub fn parse(&self, text: String) -> Result<u32, String> {
        text.parse()
            .map_err(|_| format!("`{text}` is not a number"))
    }

    pub fn check(&self, ok: bool) -> Result<(), &'static str> {
        if ok { Ok(()) } else { Err("not ok") }
    }

    pub async fn lookup(&self, name: String) -> Result<String, &'static str> {
        match name.as_str() {
            "ada" => Ok(String::from("Ada Lovelace")),
            _ => Err("no such user"),
        }
    }

    pub async fn forget(&self, name: String) -> Result<(), String> {
        Err(format!("{name} is remembered"))
    }

    pub fn count_to_three(&self) -> impl Stream<Item = Result<u32, String>> + Send + 'static {
        stream::iter(vec![Ok(1), Ok(2), Err(String::from("three is too many"))])
    }

    pub fn limited(
        &self,
        count: u32,
    ) -> Result<impl Stream<Item = u32> + Send + 'static, &'static str> {
        if count > 10 {
            return Err("at most 10");
        }
        Ok(stream::iter(0..count))
    }

    async fn on_connected(&self, ctx: &Ctx<Self>) -> Result<(), String> {
        match ctx.request().query_param("reject") {
            Some(reason) => Err(format!("rejected: {reason}")),
            None => Ok(()),
        }
    }
}

fn invocation_error(method: &str, text: &str) -> String {
    format!("An unexpected error occurred invoking '{method}' on the server. HubException: {text}")
}

/// A filter that changes nothing: with a filter, a synchronous method runs in a future rather
/// than while it is bound.
struct PassThrough;

impl HubFilter for PassThrough {}

#[tokio::test]
async fn a_sync_method_fails_with_its_message() {
    sync_method_fails_with_its_message(HubOptions::default()).await;
}

#[tokio::test]
async fn a_sync_method_run_in_a_future_fails_with_its_message() {
    sync_method_fails_with_its_message(HubOptions::default().add_filter(PassThrough)).await;
}

async fn sync_method_fails_with_its_message(options: HubOptions) {
    let server = serve(MessageHub, options).await;
    let mut client = Client::connect_ready(server.addr, "").await;
    assert_eq!(
        client.invoke("1", "Parse", json!(["12"])).await,
        result("1", json!(12))
    );
    assert_eq!(
        client.invoke("2", "Parse", json!(["twelve"])).await,
        error("2", &invocation_error("Parse", "`twelve` is not a number"))
    );
    assert_eq!(
        client.invoke("3", "Check", json!([false])).await,
        error("3", &invocation_error("Check", "not ok"))
    );
    assert_eq!(
        client.invoke("4", "Check", json!([true])).await,
        completion("4")
    );
    server.stop().await;
}

#[tokio::test]
async fn an_async_method_fails_with_its_message() {
    let server = serve(MessageHub, HubOptions::default()).await;
    let mut client = Client::connect_ready(server.addr, "").await;
    assert_eq!(
        client.invoke("1", "Lookup", json!(["ada"])).await,
        result("1", json!("Ada Lovelace"))
    );
    assert_eq!(
        client.invoke("2", "Lookup", json!(["bob"])).await,
        error("2", &invocation_error("Lookup", "no such user"))
    );
    assert_eq!(
        client.invoke("3", "Forget", json!(["ada"])).await,
        error("3", &invocation_error("Forget", "ada is remembered"))
    );
    server.stop().await;
}

#[tokio::test]
async fn a_stream_ends_with_the_message_of_its_failed_item() {
    let server = serve(MessageHub, HubOptions::default()).await;
    let mut client = Client::connect_ready(server.addr, "").await;
    client
        .send(stream_invocation("1", "CountToThree", json!([])))
        .await;
    for n in 1..=2 {
        assert_eq!(
            client.next_non_ping().await,
            json!({"type": 2, "invocationId": "1", "item": n})
        );
    }
    assert_eq!(
        client.next_non_ping().await,
        error(
            "1",
            "An error occurred on the server while streaming results. HubException: three is too many"
        )
    );
    server.stop().await;
}

#[tokio::test]
async fn a_stream_that_fails_to_start_completes_with_its_message() {
    let server = serve(MessageHub, HubOptions::default()).await;
    let mut client = Client::connect_ready(server.addr, "").await;
    client
        .send(stream_invocation("1", "Limited", json!([11])))
        .await;
    assert_eq!(
        client.next_non_ping().await,
        error("1", &invocation_error("Limited", "at most 10"))
    );
    server.stop().await;
}

#[tokio::test]
async fn on_connected_closes_the_connection_with_its_message() {
    let server = serve(MessageHub, HubOptions::default()).await;
    let mut client = Client::connect(server.addr, "?reject=full").await;
    assert_eq!(
        client.next_non_ping().await,
        json!({"type": 7, "error": "Connection closed with an error. HubException: rejected: full"})
    );
    client.expect_closed().await;
    server.stop().await;
}
