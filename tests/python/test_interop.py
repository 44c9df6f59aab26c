"""pysignalr (WebSockets, MessagePack) and signalrcore (Server-Sent Events, JSON) on one hub."""

from __future__ import annotations

import asyncio

from hubclient import HubClient


async def test_pysignalr_and_signalrcore_clients_talk_to_each_other(hub_url, core_client):
    core = core_client(hub_url, "sse", "json")
    await asyncio.to_thread(core.start)
    async with HubClient(hub_url, protocol="messagepack") as packed:
        packed_id = await packed.own_connection_id()
        # signalrcore's calls block: run them in a thread.
        await asyncio.to_thread(core.event_matching, "UserConnected", lambda a: a == [packed_id])

        await packed.invoke("JoinGroup", "mixed")
        assert await asyncio.to_thread(core.invoke, "JoinGroup", "mixed")
        core_id = core.connection_id
        assert await packed.event_matching("UserJoined", lambda a: a == [core_id, "mixed"])

        await asyncio.to_thread(core.invoke, "SendMessageToGroup", "mixed", "sse", "hi msgpack")
        assert await packed.next_event("ReceiveMessage") == ["sse", "hi msgpack"]
        assert await asyncio.to_thread(core.next_event, "ReceiveMessage") == ["sse", "hi msgpack"]

        await packed.send("SendMessage", "msgpack", "hi sse")
        assert await asyncio.to_thread(core.next_event, "ReceiveMessage") == ["msgpack", "hi sse"]

        await asyncio.to_thread(core.stop)
        assert await packed.event_matching("UserDisconnected", lambda a: a == [core_id])
