//! Runtime behaviour over a real socket: keep-alive, timeouts, handshake, shutdown, slow clients,
//! user and group targets, error texts, ordering, lifecycle hooks and message framing.
//!
//! Each test starts its own server on `127.0.0.1:0` with its own small hub, talks the raw JSON hub
//! protocol over a WebSocket, and stops the server at the end. Every wait is bounded; absence of
//! a message is proven by a later message arriving first (the server keeps per-connection order).

#![allow(missing_docs, unreachable_pub)]

mod support;

use std::net::SocketAddr;
use std::time::Instant;

use hub_runtime::prelude::*;
use serde_json::{Value, json};
use support::*;
use tokio::sync::mpsc;
use tokio::time::timeout;

// ---------------------------------------------------------------------------------------------
// 1. Keep-alive

mod keep_alive {
    use super::*;

    pub struct QuietHub;

    #[hub_runtime::hub]
    impl QuietHub {
        pub fn echo(&self, text: String) -> String {
            text
        }
    }

    #[tokio::test]
    async fn idle_client_receives_pings_at_the_keep_alive_interval() {
        let server = serve(QuietHub, HubOptions::default().keep_alive_interval(ms(100))).await;
        let mut client = Client::connect(server.addr, "").await;
        let start = Instant::now();
        assert_eq!(client.next().await, json!({"type": 6}));
        assert_eq!(client.next().await, json!({"type": 6}));
        assert_eq!(client.next().await, json!({"type": 6}));
        // Three pings, each after 100 ms of server silence: not a burst.
        let elapsed = start.elapsed();
        assert!(elapsed >= ms(220), "three pings came within {elapsed:?}");
        // The connection is still usable.
        let done = client.invoke("1", "Echo", json!(["x"])).await;
        assert_eq!(done["result"], "x");
        server.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Client timeout

mod client_timeout {
    use super::*;

    pub struct WatchedHub {
        pub disconnected: mpsc::UnboundedSender<(String, Option<String>)>,
    }

    #[hub_runtime::hub]
    impl WatchedHub {
        pub fn echo(&self, text: String) -> String {
            text
        }

        pub fn who_am_i(&self, ctx: &Ctx<Self>) -> String {
            ctx.connection_id().to_string()
        }

        async fn on_disconnected(&self, ctx: &Ctx<Self>, error: Option<HubError>) {
            let _ = self.disconnected.send((
                ctx.connection_id().to_string(),
                error.map(|e| e.to_string()),
            ));
        }
    }

    #[tokio::test]
    async fn silent_client_is_closed_with_an_error_and_a_pinging_one_is_not() {
        let (tx, mut disconnected) = mpsc::unbounded_channel();
        let server = serve(
            WatchedHub { disconnected: tx },
            HubOptions::default().client_timeout_interval(ms(300)),
        )
        .await;

        // A client that keeps pinging every 100 ms for 900 ms (three timeouts) stays connected.
        let mut lively = Client::connect_ready(server.addr, "").await;
        let lively_task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(ms(100));
            for _ in 0..9 {
                ticks.tick().await;
                lively.send(json!({"type": 6})).await;
            }
            let done = lively.invoke("2", "Echo", json!(["still here"])).await;
            assert_eq!(done["result"], "still here");
            lively
        });

        let mut silent = Client::connect(server.addr, "").await;
        let id = silent.invoke("1", "WhoAmI", json!([])).await["result"]
            .as_str()
            .unwrap()
            .to_owned();
        let start = Instant::now();
        assert_eq!(
            silent.next().await,
            json!({"type": 7, "error": "Connection closed with an error.", "allowReconnect": true})
        );
        let elapsed = start.elapsed();
        assert!(elapsed >= ms(250), "timed out after only {elapsed:?}");
        silent.expect_closed().await;

        let (gone, error) = timeout(WAIT, disconnected.recv())
            .await
            .expect("on_disconnected did not run")
            .unwrap();
        assert_eq!(gone, id);
        assert!(
            error.is_some(),
            "on_disconnected got no error for a timeout"
        );

        let mut lively = timeout(WAIT * 2, lively_task)
            .await
            .expect("the pinging client's task hung")
            .expect("the pinging client was disconnected");
        assert!(
            disconnected.try_recv().is_err(),
            "the pinging client was disconnected"
        );
        drop(lively.ws.close(None).await);
        server.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Handshake

mod handshake {
    use super::*;

    pub struct EchoHub;

    #[hub_runtime::hub]
    impl EchoHub {
        pub fn echo(&self, text: String) -> String {
            text
        }
    }

    #[tokio::test]
    async fn unknown_protocol_is_refused() {
        let server = serve(EchoHub, HubOptions::default()).await;
        let mut client = Client::open(server.addr, "").await;
        client
            .send_text("{\"protocol\":\"xml\",\"version\":1}\u{1e}")
            .await;
        assert_eq!(
            client.next().await,
            json!({"error": "The protocol 'xml' is not supported."})
        );
        client.expect_closed().await;
        server.stop().await;
    }

    #[tokio::test]
    async fn unsupported_version_is_refused() {
        let server = serve(EchoHub, HubOptions::default()).await;
        let mut client = Client::open(server.addr, "").await;
        client
            .send_text("{\"protocol\":\"json\",\"version\":99}\u{1e}")
            .await;
        assert_eq!(
            client.next().await,
            json!({"error": "The server does not support version 99 of the 'json' protocol."})
        );
        client.expect_closed().await;
        server.stop().await;
    }

    #[tokio::test]
    async fn missing_handshake_is_canceled_after_the_timeout() {
        let server = serve(EchoHub, HubOptions::default().handshake_timeout(ms(200))).await;
        let start = Instant::now();
        let mut client = Client::open(server.addr, "").await;
        assert_eq!(
            client.next().await,
            json!({"error": "Handshake was canceled."})
        );
        let elapsed = start.elapsed();
        assert!(elapsed >= ms(180), "canceled after only {elapsed:?}");
        client.expect_closed().await;
        server.stop().await;
    }

    #[tokio::test]
    async fn handshake_split_over_frames_and_followed_by_an_invocation_in_the_same_frame() {
        let server = serve(EchoHub, HubOptions::default()).await;

        // Handshake and invocation in one frame.
        let mut client = Client::open(server.addr, "").await;
        client
            .send_text(format!(
                "{HANDSHAKE}{}",
                frame(&[invocation("1", "Echo", json!(["same frame"]))])
            ))
            .await;
        assert_eq!(client.next().await, json!({}));
        assert_eq!(
            client.next().await,
            json!({"type": 3, "invocationId": "1", "result": "same frame"})
        );

        // Handshake in two frames.
        let mut split = Client::open(server.addr, "").await;
        split.send_text("{\"protocol\":\"js").await;
        split.send_text("on\",\"version\":1}\u{1e}").await;
        assert_eq!(split.next().await, json!({}));
        let done = split.invoke("1", "Echo", json!(["split"])).await;
        assert_eq!(done["result"], "split");
        server.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Graceful shutdown

mod shutdown {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    pub struct SlowGoodbyeHub {
        pub goodbyes: Arc<AtomicUsize>,
    }

    #[hub_runtime::hub(client = super::Notes)]
    impl SlowGoodbyeHub {
        pub fn echo(&self, text: String) -> String {
            text
        }

        /// Tells the caller it started, then never returns.
        pub async fn hang(&self, ctx: &Ctx<Self>) {
            ctx.clients().caller().note("hanging".into()).await;
            std::future::pending::<()>().await;
        }

        async fn on_disconnected(&self, _ctx: &Ctx<Self>) {
            // Slow on purpose: shutdown must wait for it.
            tokio::time::sleep(ms(100)).await;
            self.goodbyes.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn shutdown_closes_everyone_with_allow_reconnect_and_waits_for_on_disconnected() {
        let goodbyes = Arc::new(AtomicUsize::new(0));
        let server = serve(
            SlowGoodbyeHub {
                goodbyes: goodbyes.clone(),
            },
            HubOptions::default(),
        )
        .await;
        assert_eq!(
            http_status(server.addr, "POST", "/hub/negotiate?negotiateVersion=1").await,
            200
        );
        let mut first = Client::connect_ready(server.addr, "").await;
        let mut second = Client::connect_ready(server.addr, "").await;
        assert_eq!(server.context.connection_count(), 2);

        timeout(WAIT, server.context.shutdown())
            .await
            .expect("shutdown did not resolve");
        assert_eq!(
            goodbyes.load(Ordering::SeqCst),
            2,
            "shutdown resolved before every on_disconnected finished"
        );
        assert_eq!(server.context.connection_count(), 0);

        for client in [&mut first, &mut second] {
            assert_eq!(
                client.next_non_ping().await,
                json!({"type": 7, "allowReconnect": true})
            );
            client.expect_closed().await;
        }

        assert_eq!(
            http_status(server.addr, "POST", "/hub/negotiate?negotiateVersion=1").await,
            503
        );
        let refused = tokio_tungstenite::connect_async(format!("ws://{}{PATH}", server.addr)).await;
        match refused {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 503)
            }
            Err(other) => panic!("expected a 503 for a new WebSocket, got {other}"),
            Ok(_) => panic!("a new WebSocket was accepted after shutdown"),
        }
        server.stop().await;
    }

    /// `HubOptions::shutdown_timeout`: "How long `HubContext::shutdown` waits for connections to
    /// close after it sent them Close".
    #[tokio::test]
    async fn shutdown_gives_up_on_stuck_connections_after_the_shutdown_timeout() {
        let goodbyes = Arc::new(AtomicUsize::new(0));
        let server = serve(
            SlowGoodbyeHub {
                goodbyes: goodbyes.clone(),
            },
            HubOptions::default().shutdown_timeout(ms(300)),
        )
        .await;
        let mut client = Client::connect_ready(server.addr, "").await;
        // A hub method that never returns keeps its connection task busy.
        client.send(send_only("Hang", json!([]))).await;
        assert_eq!(client.next_non_ping().await, note("hanging"));

        let start = Instant::now();
        let context = server.context.clone();
        let shutdown = tokio::spawn(async move { context.shutdown().await });
        // The client is told, and its socket closes, although its call still runs.
        assert_eq!(
            client.next_non_ping().await,
            json!({"type": 7, "allowReconnect": true})
        );
        client.expect_closed().await;
        let resolved = timeout(WAIT, shutdown).await;
        assert!(
            resolved.is_ok(),
            "shutdown with shutdown_timeout(300ms) still waited after {:?} for a connection \
             whose hub method never returns",
            start.elapsed()
        );
        server.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Slow clients

mod slow_client {
    use super::*;

    pub struct FloodHub {
        pub disconnected: mpsc::UnboundedSender<(String, Option<String>)>,
    }

    #[hub_runtime::hub(client = super::Notes)]
    impl FloodHub {
        pub fn echo(&self, text: String) -> String {
            text
        }

        pub fn who_am_i(&self, ctx: &Ctx<Self>) -> String {
            ctx.connection_id().to_string()
        }

        /// Sends `count` items to the caller at once.
        pub async fn flood(&self, ctx: &Ctx<Self>, count: u64) {
            for n in 0..count {
                ctx.clients().caller().item(n, String::new()).await;
            }
        }

        async fn on_disconnected(&self, ctx: &Ctx<Self>, error: Option<HubError>) {
            let _ = self.disconnected.send((
                ctx.connection_id().to_string(),
                error.map(|e| e.to_string()),
            ));
        }
    }

    fn slow_close() -> Value {
        json!({"type": 7, "error": "Connection closed with an error.", "allowReconnect": true})
    }

    /// Reads the slow client's backlog: some items, then (if the server could still write it)
    /// the Close, then the end.
    async fn drain_until_close(client: &mut Client, sent: u64) -> u64 {
        let mut items = 0;
        while let Some(message) = client.event().await {
            match message["type"].as_i64() {
                Some(1) if message["target"] == "Item" => items += 1,
                Some(3) | Some(6) => {}
                _ => {
                    assert_eq!(message, slow_close());
                    client.expect_closed().await;
                    break;
                }
            }
        }
        assert!(
            items < sent,
            "the slow client got all {sent} items: it was never cut off"
        );
        items
    }

    /// A client that never reads while messages keep coming (one at a time, giving the server
    /// every chance to write) fills its TCP buffers, then its queue (room for 4 items of
    /// 16 KiB): it must be disconnected, and another client keeps working.
    #[tokio::test]
    async fn a_client_that_never_reads_is_disconnected_and_others_keep_working() {
        let (tx, mut disconnected) = mpsc::unbounded_channel();
        let server = serve(
            FloodHub { disconnected: tx },
            HubOptions::default().outbound_buffer_limit(64 * 1024),
        )
        .await;
        let mut slow = Client::connect(server.addr, "").await;
        let slow_id = slow.invoke("id", "WhoAmI", json!([])).await["result"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut fast = Client::connect_ready(server.addr, "").await;
        let fast_id = fast.invoke("id", "WhoAmI", json!([])).await["result"]
            .as_str()
            .unwrap()
            .to_owned();

        // At most 32 MiB (loopback TCP buffers hold a few MiB for a reader that never reads),
        // stopping as soon as the server gave up on the slow client. The fast client gets a note
        // now and then.
        const MAX_ITEMS: u64 = 2048;
        let padding = "x".repeat(16 * 1024);
        let clients = server.context.clients();
        let mut sent = 0;
        let mut notes_to_fast = 0;
        let mut gone = None;
        while sent < MAX_ITEMS {
            clients.client(&slow_id).item(sent, padding.clone()).await;
            sent += 1;
            if sent % 64 == 0 {
                clients
                    .client(&fast_id)
                    .note(format!("note {notes_to_fast}"))
                    .await;
                notes_to_fast += 1;
            }
            // Let the connection tasks run (write, notice the overflow, end).
            tokio::task::yield_now().await;
            if let Ok(event) = disconnected.try_recv() {
                gone = Some(event);
                break;
            }
        }

        // The other client kept receiving, and a round trip works.
        for n in 0..notes_to_fast {
            assert_eq!(fast.next_non_ping().await, note(&format!("note {n}")));
        }
        let done = fast.invoke("1", "Echo", json!(["fast"])).await;
        assert_eq!(done["result"], "fast");

        let (id, error) = match gone {
            Some(event) => event,
            None => timeout(WAIT, disconnected.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "the client that never reads was not disconnected (on_disconnected did not run) \
                         within {WAIT:?} after {sent} items of 16 KiB with outbound_buffer_limit(64 KiB); \
                         connections still registered: {}",
                        server.context.connection_count()
                    )
                })
                .unwrap(),
        };
        assert_eq!(id, slow_id);
        assert!(
            error.is_some(),
            "a slow client's on_disconnected got no error"
        );
        assert_eq!(server.context.connection_count(), 1);

        drain_until_close(&mut slow, sent).await;
        // Still fine after all that.
        let done = fast.invoke("2", "Echo", json!(["still fast"])).await;
        assert_eq!(done["result"], "still fast");
        server.stop().await;
    }

    /// A hub method that sends far more than the queue holds to its caller, in one go.
    #[tokio::test]
    async fn a_burst_beyond_the_queue_disconnects_the_caller_only() {
        let (tx, mut disconnected) = mpsc::unbounded_channel();
        let server = serve(
            FloodHub { disconnected: tx },
            // Room for about 4 items (some 90 bytes each with their queue slots).
            HubOptions::default().outbound_buffer_limit(400),
        )
        .await;
        let mut slow = Client::connect(server.addr, "").await;
        let slow_id = slow.invoke("id", "WhoAmI", json!([])).await["result"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut fast = Client::connect_ready(server.addr, "").await;

        slow.send(invocation("flood", "Flood", json!([10_000])))
            .await;
        let (id, error) = timeout(WAIT, disconnected.recv())
            .await
            .expect("the flooded client was not disconnected")
            .unwrap();
        assert_eq!(id, slow_id);
        assert!(error.is_some());

        let done = fast.invoke("1", "Echo", json!(["fast"])).await;
        assert_eq!(done["result"], "fast");
        drain_until_close(&mut slow, 10_000).await;
        server.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 6. User targets

mod users {
    use super::*;

    pub struct UserHub;

    #[hub_runtime::hub(client = super::Notes)]
    impl UserHub {
        pub fn echo(&self, text: String) -> String {
            text
        }

        pub fn my_user(&self, ctx: &Ctx<Self>) -> Option<String> {
            ctx.user_id().map(str::to_owned)
        }

        pub async fn to_user(&self, ctx: &Ctx<Self>, user: String, text: String) {
            ctx.clients().user(&user).note(text).await;
        }

        pub async fn to_all(&self, ctx: &Ctx<Self>, text: String) {
            ctx.clients().all().note(text).await;
        }
    }

    #[tokio::test]
    async fn a_user_target_reaches_every_connection_of_that_user_and_nobody_else() {
        let server = serve(
            UserHub,
            HubOptions::default().user_id_provider(|req| req.query_param("user")),
        )
        .await;
        let mut alice1 = Client::connect_ready(server.addr, "?user=alice").await;
        let mut alice2 = Client::connect_ready(server.addr, "?user=alice").await;
        let mut bob = Client::connect_ready(server.addr, "?user=bob").await;
        assert_eq!(
            alice2.invoke("u", "MyUser", json!([])).await["result"],
            "alice"
        );
        assert_eq!(bob.invoke("u", "MyUser", json!([])).await["result"], "bob");

        // From a hub method (bob sends to alice), then from outside the hub.
        let done = bob
            .invoke("1", "ToUser", json!(["alice", "for alice"]))
            .await;
        assert_eq!(done, json!({"type": 3, "invocationId": "1"}));
        server
            .context
            .clients()
            .user("alice")
            .note("alice again".into())
            .await;
        bob.send(invocation("2", "ToAll", json!(["for all"]))).await;
        // Bob got neither alice message: the broadcast is the first thing he sees.
        assert_eq!(bob.next_non_ping().await, note("for all"));
        assert_eq!(
            bob.next_non_ping().await,
            json!({"type": 3, "invocationId": "2"})
        );

        for alice in [&mut alice1, &mut alice2] {
            assert_eq!(alice.next_non_ping().await, note("for alice"));
            assert_eq!(alice.next_non_ping().await, note("alice again"));
            assert_eq!(alice.next_non_ping().await, note("for all"));
        }
        server.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Groups

mod groups {
    use super::*;

    pub struct GroupHub {
        pub disconnected: mpsc::UnboundedSender<String>,
    }

    #[hub_runtime::hub(client = super::Notes)]
    impl GroupHub {
        pub fn echo(&self, text: String) -> String {
            text
        }

        pub fn who_am_i(&self, ctx: &Ctx<Self>) -> String {
            ctx.connection_id().to_string()
        }

        pub async fn join(&self, ctx: &Ctx<Self>, group: String) -> Result<(), HubError> {
            ctx.groups()
                .add_to_group(ctx.connection_id(), &group)
                .await?;
            Ok(())
        }

        pub async fn leave(&self, ctx: &Ctx<Self>, group: String) -> Result<(), HubError> {
            ctx.groups()
                .remove_from_group(ctx.connection_id(), &group)
                .await?;
            Ok(())
        }

        async fn on_disconnected(&self, ctx: &Ctx<Self>) {
            let _ = self.disconnected.send(ctx.connection_id().to_string());
        }
    }

    async fn member(addr: SocketAddr, groups: &[&str]) -> (Client, String) {
        let mut client = Client::connect_ready(addr, "").await;
        let id = client.invoke("id", "WhoAmI", json!([])).await["result"]
            .as_str()
            .unwrap()
            .to_owned();
        for (n, group) in groups.iter().enumerate() {
            let done = client
                .invoke(&format!("join{n}"), "Join", json!([group]))
                .await;
            assert_eq!(done, json!({"type": 3, "invocationId": format!("join{n}")}));
        }
        (client, id)
    }

    #[tokio::test]
    async fn multi_group_targets_deliver_once_and_members_leave_on_disconnect() {
        let (tx, mut disconnected) = mpsc::unbounded_channel();
        let server = serve(GroupHub { disconnected: tx }, HubOptions::default()).await;
        let (mut ab, ab_id) = member(server.addr, &["a", "b"]).await;
        let (mut a, a_id) = member(server.addr, &["a"]).await;
        let (mut b, _) = member(server.addr, &["b"]).await;
        let (mut none, _) = member(server.addr, &[]).await;
        let clients = server.context.clients();

        // groups(["a", "b"]): once for the member of both.
        clients.groups(["a", "b"]).note("a or b".into()).await;
        clients.all().note("marker 1".into()).await;
        assert_eq!(ab.next_non_ping().await, note("a or b"));
        assert_eq!(ab.next_non_ping().await, note("marker 1"));
        assert_eq!(a.next_non_ping().await, note("a or b"));
        assert_eq!(a.next_non_ping().await, note("marker 1"));
        assert_eq!(b.next_non_ping().await, note("a or b"));
        assert_eq!(b.next_non_ping().await, note("marker 1"));
        assert_eq!(none.next_non_ping().await, note("marker 1"));

        // group_except("a", [ab]): only `a`.
        clients
            .group_except("a", [&ab_id])
            .note("a but not ab".into())
            .await;
        clients.all().note("marker 2".into()).await;
        assert_eq!(a.next_non_ping().await, note("a but not ab"));
        assert_eq!(a.next_non_ping().await, note("marker 2"));
        assert_eq!(ab.next_non_ping().await, note("marker 2"));
        assert_eq!(b.next_non_ping().await, note("marker 2"));
        assert_eq!(none.next_non_ping().await, note("marker 2"));

        // `a` disconnects: group "a" is left with `ab` only.
        a.ws.close(None).await.unwrap();
        let gone = timeout(WAIT, disconnected.recv())
            .await
            .expect("on_disconnected did not run")
            .unwrap();
        assert_eq!(gone, a_id);
        assert_eq!(server.context.connection_count(), 3);
        clients.group("a").note("a after the leave".into()).await;
        clients.all().note("marker 3".into()).await;
        assert_eq!(ab.next_non_ping().await, note("a after the leave"));
        assert_eq!(ab.next_non_ping().await, note("marker 3"));
        assert_eq!(b.next_non_ping().await, note("marker 3"));
        assert_eq!(none.next_non_ping().await, note("marker 3"));

        // `ab` leaves "a": the group is empty now.
        let done = ab.invoke("leave", "Leave", json!(["a"])).await;
        assert_eq!(done, json!({"type": 3, "invocationId": "leave"}));
        clients.group("a").note("to nobody".into()).await;
        clients.groups(["a", "b"]).note("b only".into()).await;
        clients.all().note("marker 4".into()).await;
        assert_eq!(ab.next_non_ping().await, note("b only"));
        assert_eq!(ab.next_non_ping().await, note("marker 4"));
        assert_eq!(b.next_non_ping().await, note("b only"));
        assert_eq!(b.next_non_ping().await, note("marker 4"));
        assert_eq!(none.next_non_ping().await, note("marker 4"));
        server.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 8. Errors

mod errors {
    use super::*;

    pub struct FailingHub;

    #[hub_runtime::hub(client = super::Notes)]
    impl FailingHub {
        pub fn echo(&self, text: String) -> String {
            text
        }

        pub fn refuse(&self) -> Result<u32, HubError> {
            Err(HubError::new("nope"))
        }

        pub fn parse(&self, text: String) -> Result<u32, HubError> {
            Ok(text.parse::<u32>()?)
        }

        pub fn parse_std(&self, text: String) -> Result<u32, std::num::ParseIntError> {
            text.parse::<u32>()
        }

        pub fn boom(&self) -> u32 {
            panic!("boom on purpose")
        }

        pub async fn say(&self, ctx: &Ctx<Self>, text: String) {
            ctx.clients().caller().note(text).await;
        }
    }

    #[tokio::test]
    async fn hub_errors_and_std_errors_without_detailed_errors() {
        let server = serve(FailingHub, HubOptions::default()).await;
        let mut client = Client::connect_ready(server.addr, "").await;
        assert_eq!(
            client.invoke("1", "Refuse", json!([])).await,
            error(
                "1",
                "An unexpected error occurred invoking 'Refuse' on the server. HubException: nope"
            )
        );
        assert_eq!(
            client.invoke("2", "Parse", json!(["x"])).await,
            error(
                "2",
                "An unexpected error occurred invoking 'Parse' on the server."
            )
        );
        assert_eq!(
            client.invoke("3", "ParseStd", json!(["x"])).await,
            error(
                "3",
                "An unexpected error occurred invoking 'ParseStd' on the server."
            )
        );
        assert_eq!(
            client.invoke("4", "Parse", json!(["42"])).await,
            json!({"type": 3, "invocationId": "4", "result": 42})
        );
        server.stop().await;
    }

    #[tokio::test]
    async fn std_errors_with_detailed_errors_show_type_and_message() {
        let server = serve(FailingHub, HubOptions::default().detailed_errors(true)).await;
        let mut client = Client::connect_ready(server.addr, "").await;
        assert_eq!(
            client.invoke("1", "Parse", json!(["x"])).await,
            error(
                "1",
                "An unexpected error occurred invoking 'Parse' on the server. ParseIntError: invalid digit found in string"
            )
        );
        assert_eq!(
            client.invoke("2", "ParseStd", json!(["x"])).await,
            error(
                "2",
                "An unexpected error occurred invoking 'ParseStd' on the server. ParseIntError: invalid digit found in string"
            )
        );
        assert_eq!(
            client.invoke("3", "Refuse", json!([])).await,
            error(
                "3",
                "An unexpected error occurred invoking 'Refuse' on the server. HubException: nope"
            )
        );
        server.stop().await;
    }

    #[tokio::test]
    async fn a_panicking_method_fails_its_invocation_and_the_connection_survives() {
        let server = serve(FailingHub, HubOptions::default()).await;
        let mut client = Client::connect_ready(server.addr, "").await;
        let mut other = Client::connect_ready(server.addr, "").await;
        assert_eq!(
            client.invoke("1", "Boom", json!([])).await,
            error(
                "1",
                "An unexpected error occurred invoking 'Boom' on the server."
            )
        );
        assert_eq!(
            client.invoke("2", "Echo", json!(["alive"])).await["result"],
            "alive"
        );
        // Twice: the first panic left nothing broken behind.
        assert_eq!(
            client.invoke("3", "Boom", json!([])).await,
            error(
                "3",
                "An unexpected error occurred invoking 'Boom' on the server."
            )
        );
        assert_eq!(
            client.invoke("4", "Echo", json!(["alive"])).await["result"],
            "alive"
        );
        assert_eq!(
            other.invoke("1", "Echo", json!(["other"])).await["result"],
            "other"
        );
        server.stop().await;
    }

    #[tokio::test]
    async fn streaming_mismatches_are_refused_with_the_aspnet_texts() {
        let server = serve(FailingHub, HubOptions::default()).await;
        let mut client = Client::connect_ready(server.addr, "").await;
        client
            .send(json!({"type": 4, "invocationId": "1", "target": "Echo", "arguments": ["x"]}))
            .await;
        assert_eq!(
            client.next_non_ping().await,
            error(
                "1",
                "The client attempted to invoke the non-streaming 'Echo' method with a streaming invocation."
            )
        );
        client
            .send(json!({
                "type": 1, "invocationId": "2", "target": "Echo",
                "arguments": ["x"], "streamIds": ["1"]
            }))
            .await;
        assert_eq!(
            client.next_non_ping().await,
            error(
                "2",
                "An unexpected error occurred invoking 'Echo' on the server. HubException: Client sent 1 stream(s), Hub method expects 0."
            )
        );
        assert_eq!(
            client.invoke("3", "Echo", json!(["fine"])).await["result"],
            "fine"
        );
        server.stop().await;
    }

    #[tokio::test]
    async fn fire_and_forget_invocations_never_get_a_completion() {
        let server = serve(FailingHub, HubOptions::default().detailed_errors(true)).await;
        let mut client = Client::connect_ready(server.addr, "").await;
        client
            .send_text(frame(&[
                send_only("Echo", json!(["nobody waits"])),
                send_only("Refuse", json!([])),
                send_only("Boom", json!([])),
                send_only("Parse", json!(["x"])),
                send_only("NoSuchMethod", json!([])),
                send_only("Echo", json!([1, 2, 3])),
                json!({"type": 1, "target": "Echo", "arguments": ["x"], "streamIds": ["1"]}),
                send_only("Say", json!(["ran"])),
            ]))
            .await;
        client
            .send(invocation("last", "Echo", json!(["last"])))
            .await;
        // The fire-and-forget Say did run; nothing else came before the last Completion.
        assert_eq!(client.next_non_ping().await, note("ran"));
        assert_eq!(
            client.next_non_ping().await,
            json!({"type": 3, "invocationId": "last", "result": "last"})
        );
        server.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 9. Ordering

mod ordering {
    use super::*;

    pub struct OrderHub;

    #[hub_runtime::hub(client = super::Notes)]
    impl OrderHub {
        pub fn echo(&self, text: String) -> String {
            text
        }

        /// Tells the caller `n`, then returns `n` at once.
        pub async fn tell_then_return(&self, ctx: &Ctx<Self>, n: u64) -> u64 {
            ctx.clients().caller().note(format!("n{n}")).await;
            n
        }

        /// Tells the caller `n`, then returns `n`; earlier calls take longer.
        pub async fn tell_wait_return(&self, ctx: &Ctx<Self>, n: u64, of: u64) -> u64 {
            ctx.clients().caller().note(format!("n{n}")).await;
            tokio::time::sleep(ms((of - n) % 4)).await;
            n
        }
    }

    #[tokio::test]
    async fn messages_sent_by_a_call_precede_its_completion_and_calls_complete_in_order() {
        let server = serve(OrderHub, HubOptions::default()).await;
        let mut client = Client::connect_ready(server.addr, "").await;

        client
            .send(invocation("single", "TellThenReturn", json!([7])))
            .await;
        assert_eq!(client.next_non_ping().await, note("n7"));
        assert_eq!(
            client.next_non_ping().await,
            json!({"type": 3, "invocationId": "single", "result": 7})
        );

        // Back to back: 40 in separate frames, 40 more in one frame.
        const N: u64 = 80;
        for n in 0..N / 2 {
            client
                .send(invocation(&n.to_string(), "TellWaitReturn", json!([n, N])))
                .await;
        }
        let batch: Vec<Value> = (N / 2..N)
            .map(|n| invocation(&n.to_string(), "TellWaitReturn", json!([n, N])))
            .collect();
        client.send_text(frame(&batch)).await;
        for n in 0..N {
            assert_eq!(client.next_non_ping().await, note(&format!("n{n}")));
            assert_eq!(
                client.next_non_ping().await,
                json!({"type": 3, "invocationId": n.to_string(), "result": n})
            );
        }
        server.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 10. on_connected failing

mod on_connected {
    use super::*;

    pub struct PickyHub;

    #[hub_runtime::hub]
    impl PickyHub {
        pub fn echo(&self, text: String) -> String {
            text
        }

        async fn on_connected(&self, ctx: &Ctx<Self>) -> Result<(), HubError> {
            if ctx.request().query_param("reject").is_some() {
                return Err(HubError::new("go away"));
            }
            Ok(())
        }
    }

    #[tokio::test]
    async fn an_error_from_on_connected_closes_the_connection_without_reconnect() {
        let server = serve(PickyHub, HubOptions::default()).await;
        let mut welcome = Client::connect_ready(server.addr, "").await;

        let mut rejected = Client::connect(server.addr, "?reject=1").await;
        // Sent right away: must not run, since on_connected failed.
        rejected.send(invocation("1", "Echo", json!(["x"]))).await;
        assert_eq!(
            rejected.next_non_ping().await,
            json!({"type": 7, "error": "Connection closed with an error. HubException: go away"})
        );
        rejected.expect_closed().await;

        assert_eq!(
            welcome.invoke("2", "Echo", json!(["ok"])).await["result"],
            "ok"
        );
        server.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// 11. Framing

mod framing {
    use super::*;

    pub struct EchoHub;

    #[hub_runtime::hub]
    impl EchoHub {
        pub fn echo(&self, text: String) -> String {
            text
        }
    }

    #[tokio::test]
    async fn messages_split_across_frames_and_several_in_one_frame() {
        let server = serve(EchoHub, HubOptions::default()).await;
        let mut client = Client::connect_ready(server.addr, "").await;

        // One message in two frames.
        let whole = frame(&[invocation("1", "Echo", json!(["split"]))]);
        let (head, tail) = whole.split_at(whole.len() / 2);
        client.send_text(head).await;
        client.send_text(tail).await;
        assert_eq!(client.next_non_ping().await, result("1", json!("split")));

        // Two messages in one frame.
        client
            .send_text(frame(&[
                invocation("2", "Echo", json!(["two"])),
                invocation("3", "Echo", json!(["in one"])),
            ]))
            .await;
        assert_eq!(client.next_non_ping().await, result("2", json!("two")));
        assert_eq!(client.next_non_ping().await, result("3", json!("in one")));

        // A frame that ends one message and starts the next, and a separator alone.
        let text = frame(&[
            invocation("4", "Echo", json!(["four"])),
            invocation("5", "Echo", json!(["five"])),
        ]);
        let cut = text.find(RS).unwrap() + 10;
        let (first, rest) = text.split_at(cut);
        let (body, separator) = rest.split_at(rest.len() - 1);
        client.send_text(first).await;
        assert_eq!(client.next_non_ping().await, result("4", json!("four")));
        client.send_text(body).await;
        client.send_text(separator).await;
        assert_eq!(client.next_non_ping().await, result("5", json!("five")));

        // A message in three frames.
        let whole: Vec<char> = frame(&[invocation("6", "Echo", json!(["three parts, é"]))])
            .chars()
            .collect();
        for chunk in whole.chunks(whole.len() / 3 + 1) {
            client.send_text(chunk.iter().collect::<String>()).await;
        }
        assert_eq!(
            client.next_non_ping().await,
            result("6", json!("three parts, é"))
        );
        server.stop().await;
    }
}
