// Hand-written C# 7.3 that uses the generated client of examples/chat (namespace
// HubExamples.Chat): the proxy, fire-and-forget sends, a receiver registered and removed, and the
// Notification DTO. It only has to compile (against the stand-in of the real packages,
// tests/csharp/check.sh); hub-codegen/tests/csharp.rs compiles it.

using System;
using System.Collections.Generic;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using HubExamples.Chat;
using Microsoft.AspNetCore.SignalR.Client;

namespace HubExamples.Usage
{
    internal sealed class ChatReceiver : IChatClient
    {
        public readonly List<string> Lines = new List<string>();

        public Task ReceiveMessage(string user, string message)
        {
            Lines.Add(user + ": " + message);
            return Task.CompletedTask;
        }

        public Task UserJoined(string connectionId, string groupName)
        {
            Lines.Add(connectionId + " joined " + groupName);
            return Task.CompletedTask;
        }

        public Task UserLeft(string connectionId, string groupName)
        {
            Lines.Add(connectionId + " left " + groupName);
            return Task.CompletedTask;
        }

        public Task UserConnected(string connectionId)
        {
            return Task.CompletedTask;
        }

        public Task UserDisconnected(string connectionId)
        {
            return Task.CompletedTask;
        }

        public Task ReceiveNotification(Notification notification)
        {
            Lines.Add(notification.Message + " at " + notification.Timestamp.ToString("O"));
            return Task.CompletedTask;
        }
    }

    internal static class ChatUsage
    {
        internal static async Task Run(HubConnection connection, CancellationToken cancellationToken)
        {
            ChatReceiver receiver = new ChatReceiver();
            IDisposable registration = connection.RegisterChatClient(receiver);
            IChatHub hub = new ChatHubProxy(connection);
            await hub.SendMessageAsync("ada", "hello", cancellationToken);
            await hub.JoinGroupAsync("rust");
            await hub.SendMessageToGroupAsync("rust", "ada", "hi group");
            await hub.LeaveGroupAsync("rust");
            string echo = await hub.EchoAsync("ping");
            await hub.BroadcastAsync(echo);
            await hub.WhisperAsync("some-connection-id", "psst");
            await new ChatHubProxy(connection).Send.SendMessageAsync("ada", "fire and forget");
            registration.Dispose();
            registration.Dispose(); // twice is fine

            Notification notification = JsonSerializer.Deserialize<Notification>(
                "{\"message\":\"deploy done\",\"timestamp\":\"2024-01-02T03:04:05Z\"}", new JsonSerializerOptions());
            Console.WriteLine(notification.Message + notification.Timestamp.Year);
        }
    }
}
