//! The server's metrics, as a recorder the app installs sees them: connections by transport,
//! their duration, messages both ways, invocations, and why connections ended.
#![allow(missing_docs, unreachable_pub)]

mod support;

use std::collections::HashMap;

use hub_runtime::prelude::*;
use metrics_util::CompositeKey;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use serde_json::json;
use support::*;

pub struct MeteredHub;

#[hub_runtime::hub(client = Notes)]
impl MeteredHub {
    pub fn echo(&self, text: String) -> String {
        text
    }

    pub async fn say(&self, ctx: &Ctx<Self>, text: String) {
        ctx.clients().all().note(text).await;
    }
}

/// Adds a snapshot (which resets what it reports) to the values so far, by metric name and
/// labels (`name{k=v,...}`).
fn read(snapshotter: &Snapshotter, totals: &mut HashMap<String, DebugValue>) {
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let key: CompositeKey = key;
        let key = key.key();
        let mut labels: Vec<String> = key
            .labels()
            .map(|label| format!("{}={}", label.key(), label.value()))
            .collect();
        labels.sort();
        let name = format!("{}{{{}}}", key.name(), labels.join(","));
        let merged = match (totals.remove(&name), value) {
            (Some(DebugValue::Counter(a)), DebugValue::Counter(b)) => DebugValue::Counter(a + b),
            (Some(DebugValue::Gauge(a)), DebugValue::Gauge(b)) => {
                DebugValue::Gauge((a.into_inner() + b.into_inner()).into())
            }
            (Some(DebugValue::Histogram(mut a)), DebugValue::Histogram(b)) => {
                a.extend(b);
                DebugValue::Histogram(a)
            }
            (_, value) => value,
        };
        totals.insert(name, merged);
    }
}

fn counter(values: &HashMap<String, DebugValue>, key: &str) -> u64 {
    match values.get(key) {
        Some(DebugValue::Counter(value)) => *value,
        other => panic!(
            "{key}: {other:?}; all: {:?}",
            values.keys().collect::<Vec<_>>()
        ),
    }
}

fn gauge(values: &HashMap<String, DebugValue>, key: &str) -> f64 {
    match values.get(key) {
        Some(DebugValue::Gauge(value)) => value.into_inner(),
        other => panic!(
            "{key}: {other:?}; all: {:?}",
            values.keys().collect::<Vec<_>>()
        ),
    }
}

#[tokio::test]
async fn connections_messages_and_endings_are_recorded() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder
        .install()
        .expect("the only recorder of this test binary");

    let mut totals = HashMap::new();
    let server = serve(MeteredHub, HubOptions::default()).await;
    let mut first = Client::connect_ready(server.addr, "").await;
    let mut second = Client::connect_ready(server.addr, "").await;
    read(&snapshotter, &mut totals);
    let values = &totals;
    assert_eq!(
        gauge(
            values,
            "signalr.server.active_connections{signalr.transport=web_sockets}"
        ),
        2.0
    );
    assert_eq!(
        counter(values, "signalr.server.invocations{signalr.hub=/hub}"),
        2,
        "the two ready() echoes"
    );

    second.send(send_only("Say", json!(["to all"]))).await;
    assert_eq!(first.next_non_ping().await, note("to all"));
    assert_eq!(second.next_non_ping().await, note("to all"));
    second.ready().await;
    // A message that is not a hub message drops its connection: counted, with its reason.
    first.send_text("not json\u{1e}").await;
    assert_eq!(first.next().await["type"], 7);
    first.expect_closed().await;
    second.ready().await;
    drop(second);
    server.stop().await;

    read(&snapshotter, &mut totals);
    let values = &totals;
    assert_eq!(
        gauge(
            values,
            "signalr.server.active_connections{signalr.transport=web_sockets}"
        ),
        0.0
    );
    // Two echoes each, the broadcast, one more echo each but the dropped one's.
    assert_eq!(
        counter(values, "signalr.server.invocations{signalr.hub=/hub}"),
        5
    );
    // The invocations, the handshakes aside, and the malformed message that was read.
    assert!(counter(values, "signalr.server.messages.received{signalr.hub=/hub}") >= 5);
    // Four Completions, the two notes, the Close message of the dropped connection (and the
    // shutdown's Close to the other, if it had not noticed its client left).
    let sent = counter(values, "signalr.server.messages.sent{signalr.hub=/hub}");
    assert!((7..=8).contains(&sent), "sent {sent}");
    assert_eq!(
        counter(
            values,
            "signalr.server.connections.closed{reason=protocol_error,signalr.hub=/hub}"
        ),
        1
    );
    let durations = values
        .iter()
        .filter(|(key, _)| key.starts_with("signalr.server.connection.duration{"))
        .map(|(_, value)| match value {
            DebugValue::Histogram(samples) => samples.len(),
            other => panic!("{other:?}"),
        })
        .sum::<usize>();
    assert_eq!(durations, 2, "one duration per connection");
}
