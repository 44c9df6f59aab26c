//! A hub with a client trait, calling its clients through every target.

use hub_runtime::prelude::*;
use hub_runtime::manifest::schemars::JsonSchema;
use serde::{Deserialize, Serialize};

// Without a dependency of its own on schemars: the runtime's re-export.
#[derive(Serialize, Deserialize, JsonSchema)]
#[schemars(crate = "hub_runtime::manifest::schemars")]
pub struct Point {
    pub x: i32,
    pub y: i32,
}

#[hub_runtime::client]
pub trait DrawClient {
    /// Documented client method.
    async fn receive_message(&self, user: String, message: String);
    /// Borrowed parameters are fine on the client side: they are only serialized.
    async fn notice(&self, text: &str, points: &[Point]);
    async fn moved(&self, point: Point);
    async fn ping(&self);
}

pub struct DrawHub;

#[hub_runtime::hub(client = DrawClient)]
impl DrawHub {
    pub async fn every_target(&self, ctx: &Ctx<Self>, id: String, group: String, user: String) {
        let clients = ctx.clients();
        clients.all().ping().await;
        clients.caller().ping().await;
        clients.others().ping().await;
        clients.client(&id).ping().await;
        clients.clients([&id, &id]).ping().await;
        clients.clients(vec![id.clone()]).ping().await;
        clients.group(&group).ping().await;
        clients.groups(["a", "b"]).ping().await;
        clients.group_except(&group, [&id]).ping().await;
        clients.others_in_group(&group).ping().await;
        clients.user(&user).ping().await;
        clients.users(vec![user.clone()]).ping().await;
        clients.all_except([ctx.connection_id()]).ping().await;
    }

    pub async fn send(&self, ctx: &Ctx<Self>, user: String, message: String) {
        ctx.clients().all().receive_message(user, message).await;
        ctx.clients()
            .caller()
            .notice("sent", &[Point { x: 1, y: 2 }])
            .await;
    }

    /// The context parameter may come anywhere, or not at all.
    pub async fn move_to(&self, point: Point, ctx: &Ctx<Self>) {
        ctx.clients().others().moved(point).await;
    }

    pub async fn join(&self, ctx: &Ctx<Self>, group: String) {
        ctx.groups().add_to_group(ctx.connection_id(), &group).await;
        ctx.groups().remove_from_group(ctx.connection_id(), &group).await;
    }

    pub fn add(&self, a: i32, b: i32) -> i32 {
        a + b
    }
}

/// Code outside the hub reaches the clients through `HubContext`.
async fn notify(hub: HubContext<DrawHub>) {
    hub.clients().all().ping().await;
    hub.clients().client("some-id").notice("hi", &[]).await;
    hub.clients().group("g").moved(Point { x: 0, y: 0 }).await;
    hub.clients().group_except("g", ["a"]).ping().await;
    hub.clients().user("u").ping().await;
    hub.clients().users(["u", "v"]).ping().await;
    hub.clients().all_except(["a"]).ping().await;
    hub.clients().groups(["g", "h"]).ping().await;
    hub.clients().clients(["a"]).ping().await;
}

fn assert_send<T: Send>(_: &T) {}

fn main() {
    let router = HubRouter::new("/hubs/draw", DrawHub);
    let context: HubContext<DrawHub> = router.context();
    let future = notify(context);
    assert_send(&future);
    let _app: axum::Router = axum::Router::new().merge(router);
}
