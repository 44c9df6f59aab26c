//! Presence: the members and sizes of groups, the groups of a connection and the connections of
//! a user, asked from hub methods (`ctx.presence()`) and from outside (`HubContext::presence`),
//! as connections join, leave and go.
#![allow(missing_docs, unreachable_pub)]

mod support;

use hub_runtime::prelude::*;
use serde_json::{Value, json};
use support::*;

pub struct PresenceHub;

#[hub_runtime::hub]
impl PresenceHub {
    pub fn echo(&self, text: String) -> String {
        text
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

    pub async fn my_groups(&self, ctx: &Ctx<Self>) -> Result<Vec<String>, HubError> {
        let mut groups = ctx
            .presence()
            .connection_groups(ctx.connection_id())
            .await?;
        groups.sort();
        Ok(groups)
    }

    pub async fn watching(&self, ctx: &Ctx<Self>, group: String) -> Result<usize, HubError> {
        Ok(ctx.presence().group_size(&group).await?)
    }

    pub async fn online(&self, ctx: &Ctx<Self>, user: String) -> Result<usize, HubError> {
        Ok(ctx.presence().user_connection_count(&user).await?)
    }

    pub fn whoami(&self, ctx: &Ctx<Self>) -> String {
        ctx.connection_id().to_string()
    }
}

fn options() -> HubOptions {
    HubOptions::default().user_id_provider(|request| request.query_param("user"))
}

async fn id_of(client: &mut Client) -> String {
    match client.invoke("id", "Whoami", json!([])).await["result"].clone() {
        Value::String(id) => id,
        other => panic!("not an id: {other}"),
    }
}

async fn ask(client: &mut Client, method: &str, arguments: Value) -> Value {
    let answer = client.invoke("q", method, arguments).await;
    assert!(answer.get("error").is_none(), "{method}: {answer}");
    answer["result"].clone()
}

#[tokio::test]
async fn presence_follows_joins_leaves_and_disconnects() {
    let server = serve(PresenceHub, options()).await;
    let mut ada1 = Client::connect_ready(server.addr, "?user=ada").await;
    let mut ada2 = Client::connect_ready(server.addr, "?user=ada").await;
    let mut bob = Client::connect_ready(server.addr, "?user=bob").await;
    let (ada1_id, ada2_id, bob_id) = (
        id_of(&mut ada1).await,
        id_of(&mut ada2).await,
        id_of(&mut bob).await,
    );

    for client in [&mut ada1, &mut bob] {
        assert_eq!(
            client.invoke("j", "Join", json!(["cpu"])).await,
            completion("j")
        );
    }
    assert_eq!(
        ada1.invoke("j", "Join", json!(["mem"])).await,
        completion("j")
    );

    let mut cpu = vec![ada1_id.clone(), bob_id.clone()];
    cpu.sort();
    assert_eq!(ask(&mut ada2, "Members", json!(["cpu"])).await, json!(cpu));
    assert_eq!(ask(&mut ada2, "Watching", json!(["cpu"])).await, json!(2));
    assert_eq!(
        ask(&mut ada2, "Watching", json!(["nobody"])).await,
        json!(0)
    );
    assert_eq!(
        ask(&mut ada2, "Members", json!(["nobody"])).await,
        json!([])
    );
    assert_eq!(
        ask(&mut ada1, "MyGroups", json!([])).await,
        json!(["cpu", "mem"])
    );
    assert_eq!(ask(&mut ada2, "MyGroups", json!([])).await, json!([]));
    assert_eq!(ask(&mut bob, "Online", json!(["ada"])).await, json!(2));
    assert_eq!(ask(&mut bob, "Online", json!(["carol"])).await, json!(0));

    // From outside the hub, the same answers.
    let presence = server.context.presence();
    assert_eq!(presence.group_size("cpu").await.unwrap(), 2);
    let mut groups = presence.connection_groups(&ada1_id).await.unwrap();
    groups.sort();
    assert_eq!(groups, ["cpu", "mem"]);
    assert_eq!(presence.user_connection_count("bob").await.unwrap(), 1);

    // Leaving and disconnecting are seen.
    assert_eq!(
        bob.invoke("l", "Leave", json!(["cpu"])).await,
        completion("l")
    );
    assert_eq!(
        ask(&mut ada2, "Members", json!(["cpu"])).await,
        json!([ada1_id])
    );
    drop(ada1);
    let gone = async {
        loop {
            let size = presence.group_size("cpu").await.unwrap();
            let online = presence.user_connection_count("ada").await.unwrap();
            if size == 0 && online == 1 {
                return;
            }
            // The server notices the closed socket on its own schedule: wait on its events.
            tokio::task::yield_now().await;
            tokio::time::sleep(ms(10)).await;
        }
    };
    tokio::time::timeout(WAIT, gone)
        .await
        .expect("the disconnected connection left its group and its user");
    assert_eq!(ask(&mut bob, "Online", json!(["ada"])).await, json!(1));
    assert_eq!(
        presence.connection_groups(&ada2_id).await.unwrap(),
        Vec::<String>::new()
    );
    server.stop().await;
}
