//! Scale-out on a real `redis-server` (started by the test on a free port): three servers of one
//! hub in this process, each with its own Redis connections and server name, and raw JSON
//! clients spread over them. Every target reaches exactly the right connections exactly once;
//! groups change across servers; client results cross servers; a Redis restart is survived.
#![cfg(feature = "redis")]
#![allow(missing_docs, unreachable_pub)]

mod support;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hub_runtime::prelude::*;
use hub_runtime::{RedisBackplane, RedisOptions};
use serde_json::{Value, json};
use support::*;
use tokio::net::TcpListener;
use tokio::time::{Instant, timeout};

pub struct Fleet;

#[hub_runtime::hub(client = Notes)]
impl Fleet {
    pub fn echo(&self, text: String) -> String {
        text
    }

    pub fn whoami(&self, ctx: &Ctx<Self>) -> String {
        ctx.connection_id().to_string()
    }

    /// Sends `text` to the target `kind` names; the error text if the backplane failed.
    pub async fn send(
        &self,
        ctx: &Ctx<Self>,
        kind: String,
        names: Vec<String>,
        except: Vec<String>,
        text: String,
    ) -> String {
        let clients = ctx.clients();
        let first = names.first().cloned().unwrap_or_default();
        let delivery = match kind.as_str() {
            "all" => clients.all().note(text).checked().await,
            "all_except" => clients.all_except(except).note(text).checked().await,
            "client" => clients.client(&first).note(text).checked().await,
            "clients" => clients.clients(names).note(text).checked().await,
            "group" => clients.group(&first).note(text).checked().await,
            "groups" => clients.groups(names).note(text).checked().await,
            "group_except" => {
                clients
                    .group_except(&first, except)
                    .note(text)
                    .checked()
                    .await
            }
            "others_in_group" => {
                ctx.clients()
                    .others_in_group(&first)
                    .note(text)
                    .checked()
                    .await
            }
            "others" => ctx.clients().others().note(text).checked().await,
            "user" => clients.user(&first).note(text).checked().await,
            "users" => clients.users(names).note(text).checked().await,
            other => panic!("unknown target {other}"),
        };
        match delivery {
            Ok(()) => "ok".to_owned(),
            Err(error) => error.to_string(),
        }
    }

    pub async fn join(&self, ctx: &Ctx<Self>, connection: String, group: String) -> String {
        match ctx.groups().add_to_group(&connection, &group).await {
            Ok(()) => "ok".to_owned(),
            Err(error) => error.to_string(),
        }
    }

    pub async fn leave(&self, ctx: &Ctx<Self>, connection: String, group: String) -> String {
        match ctx.groups().remove_from_group(&connection, &group).await {
            Ok(()) => "ok".to_owned(),
            Err(error) => error.to_string(),
        }
    }

    pub async fn watching(&self, ctx: &Ctx<Self>, group: String) -> Result<usize, HubError> {
        Ok(ctx.presence().group_size(&group).await?)
    }

    pub async fn members(&self, ctx: &Ctx<Self>, group: String) -> Result<Vec<String>, HubError> {
        let mut ids: Vec<String> = ctx
            .presence()
            .group_connections(&group)
            .await?
            .iter()
            .map(ToString::to_string)
            .collect();
        ids.sort();
        Ok(ids)
    }

    pub async fn online(&self, ctx: &Ctx<Self>, user: String) -> Result<usize, HubError> {
        Ok(ctx.presence().user_connection_count(&user).await?)
    }

    /// Asks connection `id` (on any server) for a client result.
    pub async fn ask(&self, ctx: &Ctx<Self>, id: String, question: String) -> String {
        match ctx.clients().client(&id).confirm(question).await {
            Ok(answer) => format!("answer: {answer}"),
            Err(error) => format!("error: {error}"),
        }
    }
}

#[hub_runtime::client]
pub trait Notes {
    async fn note(&self, text: String);
    async fn confirm(&self, question: String) -> String;
}

/// A `redis-server` of its own on a free loopback port, stopped on drop.
struct Redis {
    port: u16,
    child: Option<Child>,
}

impl Redis {
    async fn start() -> Redis {
        let port = free_port().await;
        let mut redis = Redis { port, child: None };
        redis.run().await;
        redis
    }

    async fn run(&mut self) {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is required (Debian package redis-server)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "redis-server did not start");
            tokio::time::sleep(ms(20)).await;
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// One server of the hub on the backplane.
struct Node {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Node {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn node(redis: &Redis, name: &str) -> Node {
    let backplane = RedisBackplane::connect(RedisOptions::new(redis.url()).server_name(name))
        .await
        .expect("Redis is up");
    let router = HubRouter::new(PATH, Fleet)
        .options(HubOptions::default().user_id_provider(|request| request.query_param("user")))
        .lifetime_manager(backplane.hub("Tests.Fleet"));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, axum::Router::new().merge(router))
            .await
            .unwrap();
    });
    Node { addr, task }
}

/// A raw client that keeps the Notes it receives while it waits for its calls' Completions.
struct Peer {
    client: Client,
    notes: std::collections::VecDeque<String>,
}

impl Peer {
    async fn connect(addr: SocketAddr, query: &str) -> Peer {
        Peer {
            client: Client::connect_ready(addr, query).await,
            notes: Default::default(),
        }
    }

    /// The next message that is not a Note (kept) or a Ping.
    async fn next_other(&mut self) -> Value {
        loop {
            let message = self.client.next_non_ping().await;
            if message["target"] == json!("Note") {
                self.notes
                    .push_back(message["arguments"][0].as_str().unwrap().to_owned());
            } else {
                return message;
            }
        }
    }

    async fn invoke(&mut self, id: &str, method: &str, arguments: Value) -> Value {
        self.client.send(invocation(id, method, arguments)).await;
        let answer = self.next_other().await;
        assert_eq!(answer["invocationId"], json!(id), "{answer}");
        answer
    }

    /// The next Note's text.
    async fn note(&mut self) -> String {
        if let Some(note) = self.notes.pop_front() {
            return note;
        }
        let message = self.client.next_non_ping().await;
        assert_eq!(message["target"], json!("Note"), "{message}");
        message["arguments"][0].as_str().unwrap().to_owned()
    }
}

async fn id_of(peer: &mut Peer) -> String {
    let answer = peer.invoke("id", "Whoami", json!([])).await;
    answer["result"].as_str().expect("an id").to_owned()
}

async fn call(peer: &mut Peer, method: &str, arguments: Value) -> Value {
    let answer = peer.invoke("c", method, arguments).await;
    assert!(answer.get("error").is_none(), "{method}: {answer}");
    answer["result"].clone()
}

async fn send(peer: &mut Peer, kind: &str, names: &[&str], except: &[&str], text: &str) {
    let result = call(peer, "Send", json!([kind, names, except, text])).await;
    assert_eq!(result, json!("ok"), "send {kind} {text}");
}

/// Sends an end marker to everybody from each server (through `senders`, one client on each):
/// messages from one server arrive in the order it sent them, so once a client has every
/// marker, it has everything sent before them.
async fn send_ends(senders: &mut [&mut Peer], round: &str) -> Vec<String> {
    let mut ends = Vec::new();
    for (i, sender) in senders.iter_mut().enumerate() {
        let end = format!("end {round} {i}");
        send(sender, "all", &[], &[], &end).await;
        ends.push(end);
    }
    ends
}

/// The Note texts a client receives until it has every end marker, sorted (messages from
/// different servers may interleave).
async fn notes_until(peer: &mut Peer, ends: &[String]) -> Vec<String> {
    let mut notes = Vec::new();
    let mut missing: Vec<&String> = ends.iter().collect();
    while !missing.is_empty() {
        let text = peer.note().await;
        match missing.iter().position(|end| **end == text) {
            Some(at) => {
                missing.remove(at);
            }
            None => notes.push(text),
        }
    }
    notes.sort();
    notes
}

/// Waits until a presence count across the servers is `expected` (servers subscribe as they
/// start): bounded.
async fn wait_watching(peer: &mut Peer, group: &str, expected: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let answer = peer.invoke("w", "Watching", json!([group])).await;
        if answer["result"] == json!(expected) {
            return;
        }
        assert!(Instant::now() < deadline, "{group}: {answer}");
        tokio::time::sleep(ms(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_target_reaches_exactly_its_connections_across_three_servers() {
    let redis = Redis::start().await;
    let nodes = [
        node(&redis, "node-a").await,
        node(&redis, "node-b").await,
        node(&redis, "node-c").await,
    ];
    // a1, a2 on A; b1 on B; c1 on C. Users: ann (a1, c1), bob (b1).
    let mut a1 = Peer::connect(nodes[0].addr, "?user=ann").await;
    let mut a2 = Peer::connect(nodes[0].addr, "").await;
    let mut b1 = Peer::connect(nodes[1].addr, "?user=bob").await;
    let mut c1 = Peer::connect(nodes[2].addr, "?user=ann").await;
    let ids = [
        id_of(&mut a1).await,
        id_of(&mut a2).await,
        id_of(&mut b1).await,
        id_of(&mut c1).await,
    ];
    let [ia1, ia2, ib1, ic1] = [&*ids[0], &*ids[1], &*ids[2], &*ids[3]];

    // Groups: red = a1 (joined by itself), b1 (joined from A), c1 (joined from B);
    // blue = b1, c1 (joined by itself).
    assert_eq!(
        call(&mut a1, "Join", json!([ia1, "red"])).await,
        json!("ok")
    );
    assert_eq!(
        call(&mut a2, "Join", json!([ib1, "red"])).await,
        json!("ok")
    );
    assert_eq!(
        call(&mut b1, "Join", json!([ic1, "red"])).await,
        json!("ok")
    );
    assert_eq!(
        call(&mut b1, "Join", json!([ib1, "blue"])).await,
        json!("ok")
    );
    assert_eq!(
        call(&mut c1, "Join", json!([ic1, "blue"])).await,
        json!("ok")
    );
    // An unknown connection is ignored at once, as in ASP.NET.
    assert_eq!(
        call(&mut c1, "Join", json!(["nobody", "red"])).await,
        json!("ok")
    );
    wait_watching(&mut a2, "red", 3).await;
    let mut blue = vec![ib1, ic1];
    blue.sort();
    assert_eq!(call(&mut a2, "Members", json!(["blue"])).await, json!(blue));
    assert_eq!(call(&mut b1, "Online", json!(["ann"])).await, json!(2));

    // Each send from a server other than some of its recipients'.
    send(&mut a2, "all", &[], &[], "all").await;
    send(&mut b1, "all_except", &[], &[ia1, ic1], "all_except").await;
    send(&mut c1, "client", &[ia2], &[], "client").await;
    send(&mut a1, "clients", &[ib1, ic1, ib1], &[], "clients").await;
    send(&mut a2, "group", &["red"], &[], "group").await;
    send(&mut c1, "groups", &["red", "blue"], &[], "groups").await;
    send(&mut a2, "group_except", &["red"], &[ib1], "group_except").await;
    send(&mut c1, "others_in_group", &["red"], &[], "others_in_group").await;
    send(&mut b1, "others", &[], &[], "others").await;
    send(&mut b1, "user", &["ann"], &[], "user").await;
    send(&mut a2, "users", &["ann", "bob", "ann"], &[], "users").await;
    let ends = send_ends(&mut [&mut a1, &mut b1, &mut c1], "1").await;

    let a1_notes = notes_until(&mut a1, &ends).await;
    let a2_notes = notes_until(&mut a2, &ends).await;
    let b1_notes = notes_until(&mut b1, &ends).await;
    let c1_notes = notes_until(&mut c1, &ends).await;
    let expect = |list: &[&str]| {
        let mut list: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
        list.sort();
        list
    };
    assert_eq!(
        a1_notes,
        expect(&[
            "all",
            "group",
            "groups",
            "group_except",
            "others_in_group",
            "others",
            "user",
            "users"
        ])
    );
    assert_eq!(a2_notes, expect(&["all", "all_except", "client", "others"]));
    assert_eq!(
        b1_notes,
        expect(&[
            "all",
            "all_except",
            "clients",
            "group",
            "groups",
            "others_in_group",
            "users"
        ])
    );
    assert_eq!(
        c1_notes,
        expect(&[
            "all",
            "clients",
            "group",
            "groups",
            "group_except",
            "others",
            "user",
            "users"
        ])
    );

    // Leaving from another server: red is a1 and c1 now.
    assert_eq!(
        call(&mut c1, "Leave", json!([ib1, "red"])).await,
        json!("ok")
    );
    wait_watching(&mut a1, "red", 2).await;
    send(&mut b1, "group", &["red"], &[], "red again").await;
    let ends = send_ends(&mut [&mut a1, &mut b1, &mut c1], "2").await;
    assert_eq!(notes_until(&mut a1, &ends).await, expect(&["red again"]));
    assert_eq!(notes_until(&mut b1, &ends).await, expect(&[]));
    assert_eq!(notes_until(&mut c1, &ends).await, expect(&["red again"]));
    assert_eq!(notes_until(&mut a2, &ends).await, expect(&[]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_results_cross_servers_and_fail_clearly_when_the_client_goes() {
    let redis = Redis::start().await;
    let a = node(&redis, "node-a").await;
    let b = node(&redis, "node-b").await;
    let mut asker = Peer::connect(a.addr, "").await;
    let mut answerer = Peer::connect(b.addr, "").await;
    let answerer_id = id_of(&mut answerer).await;

    asker
        .client
        .send(invocation("q1", "Ask", json!([answerer_id, "sure?"])))
        .await;
    let question = answerer.next_other().await;
    assert_eq!(question["target"], json!("Confirm"), "{question}");
    assert_eq!(question["arguments"], json!(["sure?"]));
    let id = question["invocationId"].as_str().unwrap().to_owned();
    answerer.client.send(result(&id, json!("yes"))).await;
    assert_eq!(asker.next_other().await, result("q1", json!("answer: yes")));

    // The client answers with an error.
    asker
        .client
        .send(invocation("q2", "Ask", json!([answerer_id, "again?"])))
        .await;
    let question = answerer.next_other().await;
    let id = question["invocationId"].as_str().unwrap().to_owned();
    answerer.client.send(error(&id, "no way")).await;
    assert_eq!(
        asker.next_other().await,
        result("q2", json!("error: no way"))
    );

    // The client leaves while the question is open: an error, not a timeout.
    asker
        .client
        .send(invocation(
            "q3",
            "Ask",
            json!([answerer_id, "still there?"]),
        ))
        .await;
    let question = answerer.next_other().await;
    assert_eq!(question["target"], json!("Confirm"));
    drop(answerer);
    let started = Instant::now();
    let answer = asker.next_other().await;
    assert_eq!(answer["invocationId"], json!("q3"));
    assert!(
        answer["result"].as_str().unwrap().starts_with("error:"),
        "{answer}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));

    // A connection no server has (any more).
    let answer = asker
        .invoke("q4", "Ask", json!(["nobody", "anyone?"]))
        .await;
    assert_eq!(
        answer["result"],
        json!("error: The connection does not exist.")
    );
    let answer = asker
        .invoke("q5", "Ask", json!([answerer_id, "anyone?"]))
        .await;
    assert!(
        answer["result"].as_str().unwrap().starts_with("error:"),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_resumes_after_a_redis_restart_and_local_delivery_never_stops() {
    let mut redis = Redis::start().await;
    let a = node(&redis, "node-a").await;
    let b = node(&redis, "node-b").await;
    let mut a1 = Peer::connect(a.addr, "").await;
    let mut a2 = Peer::connect(a.addr, "").await;
    let mut b1 = Peer::connect(b.addr, "").await;
    let ia2 = id_of(&mut a2).await;
    let ib1 = id_of(&mut b1).await;
    assert_eq!(call(&mut a2, "Join", json!([ia2, "g"])).await, json!("ok"));
    assert_eq!(call(&mut b1, "Join", json!([ib1, "g"])).await, json!("ok"));
    wait_watching(&mut a1, "g", 2).await;
    send(&mut a1, "group", &["g"], &[], "before").await;
    assert_eq!(a2.note().await, "before");
    assert_eq!(b1.note().await, "before");

    redis.stop();
    // Redis is down: this server's own members still get the message; the send says what
    // failed.
    // (Once the server has seen Redis go: its subscriber's connection closes at once.)
    let deadline = Instant::now() + Duration::from_secs(10);
    for n in 0.. {
        let text = format!("during {n}");
        let answer = call(&mut a1, "Send", json!(["group", ["g"], [], text])).await;
        assert_eq!(a2.note().await, text);
        if answer.as_str().unwrap().contains("unavailable") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the send never reported Redis gone: {answer}"
        );
        tokio::time::sleep(ms(20)).await;
    }

    redis.run().await;
    // Both subscribers reconnect and subscribe again; sends get through once they have.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut n = 0;
    loop {
        n += 1;
        let text = format!("after {n}");
        let answer = call(&mut a1, "Send", json!(["group", ["g"], [], text])).await;
        assert_eq!(a2.note().await, text);
        if answer == json!("ok") {
            // Published: B gets it if it listens again, or a later one (or one sent while Redis
            // was away, if the publisher still had it when Redis came back).
            let got = timeout(ms(300), b1.note()).await;
            if let Ok(text) = got {
                assert!(
                    text.starts_with("after ") || text.starts_with("during "),
                    "{text}"
                );
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "delivery across servers did not resume"
        );
        tokio::time::sleep(ms(100)).await;
    }
    // And from B to A too, in order.
    send(&mut b1, "group", &["g"], &[], "back").await;
    assert_eq!(a2.note().await, "back");
}

/// MessagePack of a str (fixstr or str8: the names here are short).
fn mp_str(out: &mut Vec<u8>, text: &str) {
    if text.len() < 32 {
        out.push(0xA0 | text.len() as u8);
    } else {
        out.push(0xD9);
        out.push(text.len() as u8);
    }
    out.extend_from_slice(text.as_bytes());
}

/// MessagePack of a bin8.
fn mp_bin(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(0xC4);
    out.push(bytes.len() as u8);
    out.extend_from_slice(bytes);
}

/// What an ASP.NET server publishes for `Clients.All.SendAsync("Note", text)` with the JSON
/// protocol only (RedisProtocol.WriteInvocation): [[], {"json": bin}].
fn aspnet_invocation(text: &str, result: Option<(&str, &str)>) -> Vec<u8> {
    let json = match result {
        Some((id, _)) => format!(
            "{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Confirm\",\"arguments\":[\"{text}\"]}}\u{1e}"
        ),
        None => format!("{{\"type\":1,\"target\":\"Note\",\"arguments\":[\"{text}\"]}}\u{1e}"),
    };
    let mut out = vec![if result.is_some() { 0x94 } else { 0x92 }, 0x90, 0x81];
    mp_str(&mut out, "json");
    mp_bin(&mut out, json.as_bytes());
    if let Some((id, channel)) = result {
        mp_str(&mut out, id);
        mp_str(&mut out, channel);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aspnet_server_on_the_same_backplane_reaches_and_is_answered_byte_for_byte() {
    use futures_util::StreamExt;
    use redis::AsyncCommands;

    let redis = Redis::start().await;
    let node = node(&redis, "node-a").await;
    let mut peer = Peer::connect(node.addr, "").await;
    let id = id_of(&mut peer).await;
    let client = redis::Client::open(redis.url()).unwrap();
    let mut publisher = client.get_multiplexed_async_connection().await.unwrap();
    let mut pubsub = client.get_async_pubsub().await.unwrap();
    pubsub
        .subscribe("Tests.Fleet:internal:ack:S")
        .await
        .unwrap();
    pubsub
        .subscribe("Tests.Fleet:internal:return:S")
        .await
        .unwrap();
    let mut replies = pubsub.into_on_message();
    let mut next_reply = async || {
        let message = timeout(WAIT, replies.next())
            .await
            .expect("a reply")
            .unwrap();
        (
            message.get_channel_name().to_owned(),
            message.get_payload_bytes().to_vec(),
        )
    };

    // Clients.All from the ASP.NET server.
    let _: usize = publisher
        .publish("Tests.Fleet:all", aspnet_invocation("from aspnet", None))
        .await
        .unwrap();
    assert_eq!(peer.note().await, "from aspnet");

    // Groups.AddToGroupAsync(id, "g") from the ASP.NET server: a group command, acknowledged on
    // its ack channel as [42].
    let mut command = vec![0x95, 42];
    mp_str(&mut command, "S");
    command.push(0x01);
    mp_str(&mut command, "g");
    mp_str(&mut command, &id);
    let _: usize = publisher
        .publish("Tests.Fleet:internal:groups", command)
        .await
        .unwrap();
    assert_eq!(
        next_reply().await,
        ("Tests.Fleet:internal:ack:S".to_owned(), vec![0x91, 42])
    );
    let _: usize = publisher
        .publish("Tests.Fleet:group:g", aspnet_invocation("to g", None))
        .await
        .unwrap();
    assert_eq!(peer.note().await, "to g");

    // Clients.Client(id).InvokeAsync<string>("Confirm") from the ASP.NET server: the answer
    // comes back on its return channel as ["json", bin(the client's Completion)].
    let _: usize = publisher
        .publish(
            format!("Tests.Fleet:connection:{id}"),
            aspnet_invocation("sure?", Some(("inv-1", "Tests.Fleet:internal:return:S"))),
        )
        .await
        .unwrap();
    let question = peer.next_other().await;
    assert_eq!(question["invocationId"], json!("inv-1"));
    assert_eq!(question["arguments"], json!(["sure?"]));
    peer.client.send(result("inv-1", json!("yes"))).await;
    let (channel, payload) = next_reply().await;
    assert_eq!(channel, "Tests.Fleet:internal:return:S");
    let completion = br#"{"type":3,"invocationId":"inv-1","result":"yes"}"#;
    let mut expected = vec![0x92];
    mp_str(&mut expected, "json");
    let mut framed = completion.to_vec();
    framed.push(0x1e);
    mp_bin(&mut expected, &framed);
    assert_eq!(payload, expected);

    // What this server publishes, an ASP.NET server reads: the first two items of an
    // invocation are ASP.NET's layout.
    let mut listener = client.get_async_pubsub().await.unwrap();
    listener.subscribe("Tests.Fleet:all").await.unwrap();
    let mut published = listener.into_on_message();
    let sent = call(&mut peer, "Send", json!(["all", [], [], "from rust"])).await;
    assert_eq!(sent, json!("ok"));
    assert_eq!(peer.note().await, "from rust");
    let message = timeout(WAIT, published.next()).await.unwrap().unwrap();
    let payload = message.get_payload_bytes();
    assert_eq!(
        &payload[..3],
        &[0x93, 0x90, 0x82],
        "[excluded, {{json, messagepack}}, origin]"
    );
    let json_at = payload
        .windows(4)
        .position(|w| w == b"json")
        .expect("a json entry");
    let frame = br#"{"type":1,"target":"Note","arguments":["from rust"]}"#;
    assert_eq!(
        &payload[json_at + 4..json_at + 6],
        &[0xC4, frame.len() as u8 + 1]
    );
    assert_eq!(&payload[json_at + 6..json_at + 6 + frame.len()], frame);
}
