// Uses every API of the generated chat client, type-checked by `tsc --strict` (see ../tsconfig.json
// and hub-codegen's tests); tests/node/typed/ runs them against the chat example.

import { HubConnectionBuilder, type HubConnection } from "@microsoft/signalr";

import { ChatHubProxy, registerChatClient, type ChatClient, type Notification } from "../chat/index.js";

export async function chat(url: string): Promise<void> {
  const connection: HubConnection = new HubConnectionBuilder().withUrl(url).build();
  const hub = new ChatHubProxy(connection);

  // Receivers: one method per client method; register before start() to miss nothing.
  const receiver: ChatClient = {
    receiveMessage(user: string, message: string): void {
      void `${user}: ${message}`;
    },
    userJoined: (connectionId, groupName) => void [connectionId, groupName],
    userLeft: async (connectionId: string, groupName: string): Promise<void> => {
      await Promise.resolve([connectionId, groupName]);
    },
    userConnected: (connectionId) => void connectionId,
    userDisconnected: (connectionId) => void connectionId,
    receiveNotification(notification: Notification): void {
      const sent: Date = new Date(notification.timestamp);
      void [notification.message, sent];
    },
  };
  const unregister: () => void = registerChatClient(connection, receiver);

  await connection.start();
  await hub.sendMessage("ada", "hello");
  await hub.sendMessageToGroup("rustaceans", "ada", "hello");
  await hub.joinGroup("rustaceans");
  await hub.leaveGroup("rustaceans");
  const echoed: string = await hub.echo("ping");
  await hub.broadcast("to the others");
  await hub.whisper(connection.connectionId ?? "", "psst");

  // Fire and forget, for the methods without a result: resolved once sent.
  await hub.send.sendMessage("ada", "hello");
  await hub.send.sendMessageToGroup("rustaceans", "ada", "hello");
  await hub.send.joinGroup("rustaceans");
  await hub.send.leaveGroup("rustaceans");
  await hub.send.broadcast("to the others");
  await hub.send.whisper("id", "psst");

  // @ts-expect-error: arguments are checked
  await hub.sendMessage("ada");
  // @ts-expect-error: so are results
  const wrong: number = await hub.echo("ping");
  // @ts-expect-error: a method with a result has no fire-and-forget variant
  await hub.send.echo("ping");

  unregister();
  await hub.connection.stop();
  void [echoed, wrong];
}
