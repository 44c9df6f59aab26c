//! What one client can make the server do to others, and the limits that bound it: negotiate
//! versions, early data, pending negotiations, bursts, bookkeeping caps.
#![allow(missing_docs, unreachable_pub)]

mod support;

use hub_runtime::prelude::*;
use serde_json::{Value, json};
use support::*;

pub struct PlainHub;

#[hub_runtime::hub(client = Notes)]
impl PlainHub {
    pub fn echo(&self, text: String) -> String {
        text
    }
}

fn body(response: &Response) -> Value {
    serde_json::from_slice(&response.body).unwrap_or_else(|e| panic!("{e}: {}", response.text()))
}

/// Negative versions are refused as ASP.NET refuses them, and an app can refuse version 0 (whose
/// token is the public connection id).
#[tokio::test]
async fn negotiate_refuses_versions_below_the_minimum() {
    let server = serve(PlainHub, HubOptions::default()).await;
    let negative = http(
        server.addr,
        "POST",
        "/hub/negotiate?negotiateVersion=-1",
        &[],
        b"",
    )
    .await;
    assert_eq!(negative.status, 200);
    assert_eq!(
        body(&negative),
        json!({"error": "The client requested version '-1', but the server does not support this version."})
    );
    let zero = http(server.addr, "POST", "/hub/negotiate", &[], b"").await;
    assert_eq!(body(&zero)["negotiateVersion"], 0);
    let above = http(
        server.addr,
        "POST",
        "/hub/negotiate?negotiateVersion=7",
        &[],
        b"",
    )
    .await;
    assert_eq!(body(&above)["negotiateVersion"], 1);
    server.stop().await;

    let strict = serve(PlainHub, HubOptions::default().minimum_negotiate_version(1)).await;
    let implicit = http(strict.addr, "POST", "/hub/negotiate", &[], b"").await;
    assert_eq!(
        body(&implicit),
        json!({"error": "The client requested version '0', but the server does not support this version."})
    );
    let explicit = http(
        strict.addr,
        "POST",
        "/hub/negotiate?negotiateVersion=0",
        &[],
        b"",
    )
    .await;
    assert_eq!(body(&explicit), body(&implicit));
    let current = http(
        strict.addr,
        "POST",
        "/hub/negotiate?negotiateVersion=1",
        &[],
        b"",
    )
    .await;
    let current = body(&current);
    assert_eq!(current["negotiateVersion"], 1);
    assert_ne!(current["connectionToken"], current["connectionId"]);
    strict.stop().await;
}
