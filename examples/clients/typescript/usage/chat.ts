// Uses every API of the generated chat client, type-checked by `tsc --strict` (see ../tsconfig.json
// and hub-codegen's tests); tests/node/typed/ runs them against the chat example.

import { HttpTransportType, LogLevel, type HubConnection } from "@microsoft/signalr";

import {
  CHAT_HUB_PATH,
  ChatHubProxy,
  createChatHubConnection,
  registerChatClient,
  type ChatClient,
  type Notification,
} from "../chat/index.js";

/** `baseUrl` is the server's, such as `http://127.0.0.1:5000`: the factory appends the hub's path. */
export async function chat(baseUrl: string, token: () => string): Promise<void> {
  // The simplest connection: the hub's URL and the default settings.
  const plain: HubConnection = createChatHubConnection(baseUrl);
  // HTTP connection options go to `withUrl`; `configure` sets the rest of the builder.
  const connection: HubConnection = createChatHubConnection(
    baseUrl,
    { accessTokenFactory: token, transport: HttpTransportType.WebSockets },
    (builder) => builder.withAutomaticReconnect().configureLogging(LogLevel.Warning),
  );
  const path: "/hubs/chat" = CHAT_HUB_PATH;
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
  // @ts-expect-error: the factory takes the options of `withUrl`, not a transport alone
  createChatHubConnection(baseUrl, HttpTransportType.LongPolling);

  unregister();
  await hub.connection.stop();
  void [plain, path, echoed, wrong];
}
