"""The chat hub through pysignalr's MessagepackProtocol (binary frames, varint-prefixed)."""

from __future__ import annotations

from hubclient import HubClient


async def test_messagepack_connects_and_echoes(hub_url):
    async with HubClient(hub_url, protocol="messagepack") as client:
        assert await client.next_event("UserConnected") == [client.negotiated_id]

        completion = await client.invoke("Echo", "ping \u2603")
        assert completion.error is None
        assert completion.result == "ping \u2603"


async def test_messagepack_and_json_clients_talk_to_each_other(hub_url):
    async with (
        HubClient(hub_url, protocol="messagepack") as packed,
        HubClient(hub_url, protocol="json") as plain,
    ):
        await packed.own_connection_id()
        await plain.own_connection_id()

        await plain.send("SendMessage", "json", "to everybody")
        assert await packed.next_event("ReceiveMessage") == ["json", "to everybody"]
        assert await plain.next_event("ReceiveMessage") == ["json", "to everybody"]

        completion = await packed.invoke("SendMessage", "msgpack", "and back")
        assert completion.error is None
        assert await plain.next_event("ReceiveMessage") == ["msgpack", "and back"]
        assert await packed.next_event("ReceiveMessage") == ["msgpack", "and back"]


async def test_messagepack_join_group(hub_url):
    async with (
        HubClient(hub_url, protocol="messagepack") as member,
        HubClient(hub_url, protocol="json") as outsider,
    ):
        member_id = await member.own_connection_id()
        await outsider.own_connection_id()

        await member.invoke("JoinGroup", "packed")
        assert await member.next_event("UserJoined") == [member_id, "packed"]

        await outsider.invoke("SendMessageToGroup", "packed", "outsider", "hello members")
        assert await member.next_event("ReceiveMessage") == ["outsider", "hello members"]
