//! The connection loop under mixed load: answers, stream items and messages from other tasks
//! all arrive, in order per source, and a call's own answer never costs its client the
//! connection.
#![allow(missing_docs, unreachable_pub)]

mod support;

use futures_util::{Stream, StreamExt, stream};
use hub_runtime::prelude::*;
use serde_json::{Value, json};
use support::*;

pub struct LoopHub;

#[hub_runtime::hub(client = Notes)]
impl LoopHub {
    /// Returns its argument.
    pub fn echo(&self, text: String) -> String {
        text
    }

    /// Yields once, then sends `count` notes to the caller and returns `count`.
    pub async fn later(&self, ctx: &Ctx<Self>, count: u64) -> u64 {
        tokio::time::sleep(ms(5)).await;
        for n in 0..count {
            ctx.clients().caller().note(format!("n{n}")).await;
        }
        count
    }

    /// Returns `n` after sleeping 0 to 2 ms.
    pub async fn slow_echo(&self, n: u64) -> u64 {
        tokio::time::sleep(ms(n % 3)).await;
        n
    }

    /// `0..count`, yielding between items.
    pub fn counter(&self, count: u32) -> impl Stream<Item = u32> + Send + 'static {
        stream::iter(0..count).then(|n| async move {
            tokio::task::yield_now().await;
            n
        })
    }
}

/// The Completion of a call that filled its caller's queue still goes out: the connection's own
/// answers do not count against the queue's limit.
#[tokio::test]
async fn a_full_queue_does_not_lose_the_callers_completion() {
    // Room for the two notes (under 100 bytes each with their queue slots) and no more.
    let options = HubOptions::default().outbound_buffer_limit(200);
    let server = serve(LoopHub, options).await;
    let mut client = Client::connect_ready(server.addr, "").await;
    client.send(invocation("1", "Later", json!([2]))).await;
    let mut got = Vec::new();
    loop {
        let message = client.next_non_ping().await;
        let done = message["type"] == 3;
        got.push(message);
        if done {
            break;
        }
    }
    let notes: Vec<&Value> = got.iter().filter(|m| m["type"] == 1).collect();
    assert_eq!(notes.len(), 2, "{got:?}");
    assert_eq!(got.last().unwrap()["result"], 2, "{got:?}");
    server.stop().await;
}

/// Many calls running in parallel, a long server stream, and broadcasts from another task, all
/// on one connection: everything arrives, the stream's items in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn calls_streams_and_broadcasts_interleave_without_loss() {
    for _ in 0..5 {
        let server = serve(
            LoopHub,
            HubOptions::default().maximum_parallel_invocations_per_client(3),
        )
        .await;
        let mut client = Client::connect_ready(server.addr, "").await;
        let mut messages: Vec<Value> = (0..300)
            .map(|i| invocation(&format!("c{i}"), "SlowEcho", json!([i])))
            .collect();
        messages.push(stream_invocation("s", "Counter", json!([3000])));
        client.send_all(&messages).await;
        let context = server.context.clone();
        let broadcasts = tokio::spawn(async move {
            for i in 0..500 {
                context.clients().all().note(format!("b{i}")).await;
                if i % 50 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        });
        let (mut calls, mut items, mut notes, mut stream_ended) = (0, 0u64, 0, false);
        while calls < 300 || !stream_ended || notes < 500 {
            let message = client.next_non_ping().await;
            match (message["type"].as_i64(), message["invocationId"].as_str()) {
                (Some(2), Some("s")) => {
                    assert_eq!(message["item"], items, "stream items in order");
                    items += 1;
                }
                (Some(3), Some("s")) => stream_ended = true,
                (Some(3), Some(_)) => calls += 1,
                (Some(1), _) => notes += 1,
                _ => panic!("unexpected {message}"),
            }
        }
        assert_eq!(items, 3000);
        broadcasts.await.unwrap();
        server.stop().await;
    }
}

/// Counts its synchronous calls: which invocations ran.
pub struct CountingHub {
    calls: std::sync::atomic::AtomicU64,
}

#[hub_runtime::hub(client = Notes)]
impl CountingHub {
    /// Returns its argument (what `Client::ready` calls).
    pub fn echo(&self, text: String) -> String {
        text
    }

    /// The number of calls of `bump` so far, this one included.
    pub fn bump(&self) -> u64 {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1
    }

    /// Returns `text` after 5 ms.
    pub async fn wait(&self, text: String) -> String {
        tokio::time::sleep(ms(5)).await;
        text
    }
}

fn counting_hub() -> CountingHub {
    CountingHub {
        calls: std::sync::atomic::AtomicU64::new(0),
    }
}

/// A synchronous method may run while it is bound, but never ahead of the calls before it:
/// with one invocation at a time, its Completion follows theirs.
#[tokio::test]
async fn a_synchronous_call_waits_for_the_calls_before_it() {
    let server = serve(counting_hub(), HubOptions::default()).await;
    let mut client = Client::connect_ready(server.addr, "").await;
    client
        .send_all(&[
            invocation("1", "Wait", json!(["first"])),
            invocation("2", "Bump", json!([])),
            invocation("3", "Wait", json!(["third"])),
            invocation("4", "Bump", json!([])),
        ])
        .await;
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(client.next_non_ping().await);
    }
    assert_eq!(
        got,
        [
            result("1", json!("first")),
            result("2", json!(1)),
            result("3", json!("third")),
            result("4", json!(2)),
        ]
    );
    server.stop().await;
}

/// An invocation id stays taken while its call waits or runs, however many calls wait with it
/// (a few are found by looking through them, more through a set of their ids), and is free
/// again once the call finished.
#[tokio::test]
async fn an_invocation_id_is_taken_until_its_call_finished() {
    let server = serve(LoopHub, HubOptions::default()).await;
    let mut client = Client::connect_ready(server.addr, "").await;
    for waiting in [2u64, 20] {
        let mut sent: Vec<Value> = (0..waiting)
            .map(|n| invocation(&format!("c{n}"), "SlowEcho", json!([n])))
            .collect();
        let last = format!("c{}", waiting - 1);
        sent.push(invocation("c0", "SlowEcho", json!([7])));
        sent.push(invocation(&last, "SlowEcho", json!([7])));
        client.send_all(&sent).await;
        let mut results = Vec::new();
        let mut refused = Vec::new();
        while results.len() < waiting as usize || refused.len() < 2 {
            let message = client.next_non_ping().await;
            match message["error"].as_str() {
                Some(text) => refused.push(text.to_owned()),
                None => results.push(message),
            }
        }
        assert_eq!(
            refused,
            [
                "Invocation ID 'c0' is already in use.".to_owned(),
                format!("Invocation ID '{last}' is already in use."),
            ]
        );
        let expected: Vec<Value> = (0..waiting)
            .map(|n| result(&format!("c{n}"), json!(n)))
            .collect();
        assert_eq!(results, expected);
    }
    // Every id is free again.
    assert_eq!(
        client.invoke("c0", "SlowEcho", json!([3])).await,
        result("c0", json!(3))
    );
    server.stop().await;
}

/// A synchronous method runs only once every check of its invocation passed: an invocation
/// refused for its arguments, its kind or its id never runs it.
#[tokio::test]
async fn a_refused_invocation_never_runs_a_synchronous_method() {
    let server = serve(counting_hub(), HubOptions::default()).await;
    let mut client = Client::connect_ready(server.addr, "").await;
    // Too many arguments.
    let refused = client.invoke("1", "Bump", json!([1])).await;
    assert_eq!(refused["type"], 3);
    assert!(refused["error"].is_string(), "{refused}");
    // A streaming invocation of a method that does not stream.
    client.send(stream_invocation("2", "Bump", json!([]))).await;
    let refused = client.next_non_ping().await;
    assert_eq!(
        refused,
        error(
            "2",
            "The client attempted to invoke the non-streaming 'Bump' method with a streaming invocation."
        )
    );
    // An id still in use by a running call.
    client
        .send_all(&[
            invocation("x", "Wait", json!(["w"])),
            invocation("x", "Bump", json!([])),
        ])
        .await;
    assert_eq!(
        client.next_non_ping().await,
        error("x", "Invocation ID 'x' is already in use.")
    );
    assert_eq!(client.next_non_ping().await, result("x", json!("w")));
    // The first call that passed every check is the first to run.
    assert_eq!(
        client.invoke("5", "Bump", json!([])).await,
        result("5", json!(1))
    );
    server.stop().await;
}
