//! The chat example: the ChatHub of the SignalR samples at `/hubs/chat`, and an HTTP endpoint that
//! pushes notifications to every client through `HubContext`. The binary serves [`app`].

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use hub_runtime::ConnectionRouter;
use hub_runtime::connection::{Connection, ConnectionHandler};
use hub_runtime::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// What the server calls on chat clients.
#[hub_runtime::client]
pub trait ChatClient {
    /// A chat message from `user`.
    async fn receive_message(&self, user: String, message: String);
    /// `connection_id` joined `group_name`.
    async fn user_joined(&self, connection_id: String, group_name: String);
    /// `connection_id` left `group_name`.
    async fn user_left(&self, connection_id: String, group_name: String);
    /// A client connected.
    async fn user_connected(&self, connection_id: String);
    /// A client disconnected.
    async fn user_disconnected(&self, connection_id: String);
    /// A notification pushed by the server (`POST /api/notifications/broadcast`).
    async fn receive_notification(&self, notification: Notification);
}

/// A server notification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Notification {
    /// The text posted to the notification endpoint.
    pub message: String,
    /// When the server sent it, RFC 3339.
    #[schemars(extend("format" = "date-time"))]
    pub timestamp: String,
}

/// The chat hub. It holds no state: connections and groups live in the runtime.
pub struct ChatHub;

#[hub_runtime::hub(client = ChatClient)]
impl ChatHub {
    /// Sends a message to everybody.
    pub async fn send_message(&self, ctx: &Ctx<Self>, user: String, message: String) {
        ctx.clients().all().receive_message(user, message).await;
    }

    /// Sends a message to one group.
    pub async fn send_message_to_group(
        &self,
        ctx: &Ctx<Self>,
        group_name: String,
        user: String,
        message: String,
    ) {
        ctx.clients()
            .group(&group_name)
            .receive_message(user, message)
            .await;
    }

    /// Joins a group and tells its members (the caller included).
    pub async fn join_group(&self, ctx: &Ctx<Self>, group_name: String) -> Result<(), HubError> {
        let id = ctx.connection_id();
        ctx.groups().add_to_group(id, &group_name).await?;
        ctx.clients()
            .group(&group_name)
            .user_joined(id.to_string(), group_name)
            .await;
        Ok(())
    }

    /// Leaves a group and tells the remaining members.
    pub async fn leave_group(&self, ctx: &Ctx<Self>, group_name: String) -> Result<(), HubError> {
        let id = ctx.connection_id();
        ctx.groups().remove_from_group(id, &group_name).await?;
        ctx.clients()
            .group(&group_name)
            .user_left(id.to_string(), group_name)
            .await;
        Ok(())
    }

    /// Returns its argument.
    pub fn echo(&self, message: String) -> String {
        message
    }

    /// Sends a message to everybody but the caller.
    pub async fn broadcast(&self, ctx: &Ctx<Self>, message: String) {
        ctx.clients()
            .others()
            .receive_message(ctx.connection_id().to_string(), message)
            .await;
    }

    /// Sends a message to one connection.
    pub async fn whisper(&self, ctx: &Ctx<Self>, to_connection_id: String, message: String) {
        ctx.clients()
            .client(&to_connection_id)
            .receive_message(ctx.connection_id().to_string(), message)
            .await;
    }

    async fn on_connected(&self, ctx: &Ctx<Self>) {
        ctx.clients()
            .all()
            .user_connected(ctx.connection_id().to_string())
            .await;
    }

    async fn on_disconnected(&self, ctx: &Ctx<Self>, _error: Option<HubError>) {
        ctx.clients()
            .all()
            .user_disconnected(ctx.connection_id().to_string())
            .await;
    }
}

/// `POST /api/notifications/broadcast` with a JSON string: `ReceiveNotification` to every client.
async fn broadcast_notification(
    State(hub): State<HubContext<ChatHub>>,
    Json(message): Json<String>,
) -> StatusCode {
    let timestamp = OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| String::from("1970-01-01T00:00:00Z"));
    hub.clients()
        .all()
        .receive_notification(Notification { message, timestamp })
        .await;
    StatusCode::ACCEPTED
}

/// A plain connection handler (no hub protocol) that sends every message back: any client of
/// the SignalR transports (the official clients' `HttpConnection`) can talk to it, over
/// WebSockets, Server-Sent Events or long polling.
#[derive(Debug, Default)]
pub struct Echo;

impl ConnectionHandler for Echo {
    async fn on_connected(&self, mut connection: Connection) {
        while let Ok(Some(frame)) = connection.recv().await {
            if connection.send(frame).await.is_err() {
                return;
            }
        }
        connection.close().await;
    }
}

/// The hub at `/hubs/chat` (its manifest served), `POST /api/notifications/broadcast`, and the
/// [`Echo`] connection handler at `/echo`.
pub fn app(hub: HubRouter<ChatHub>) -> Router {
    let context = hub.context();
    Router::new()
        .route("/api/notifications/broadcast", post(broadcast_notification))
        .with_state(context)
        .merge(hub)
        .merge(ConnectionRouter::new("/echo", Echo))
}

/// The chat hub's name on a Redis backplane: the full name of the SignalR samples' `ChatHub`
/// class, so that ASP.NET servers of that sample can share the backplane.
pub const REDIS_HUB_NAME: &str = "ChatSample.Hubs.ChatHub";

/// The chat hub's router with `options`, serving its manifest and the hub explorer
/// (`/hubs/chat/explorer`).
pub fn hub(options: HubOptions) -> HubRouter<ChatHub> {
    HubRouter::new("/hubs/chat", ChatHub)
        .options(options)
        .serve_manifest()
        .serve_explorer()
}
