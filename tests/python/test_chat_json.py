"""The chat hub through pysignalr with its defaults: negotiate, WebSockets, JSON protocol."""

from __future__ import annotations

import asyncio

from hubclient import HubClient


async def test_connects_with_default_negotiation(hub_url):
    async with HubClient(hub_url) as client:
        # pysignalr POSTs /negotiate (no negotiateVersion), then opens the WebSocket with ?id=.
        connection_id = client.negotiated_id
        assert connection_id
        # On connect the hub calls UserConnected(id) on everybody, this connection included, and
        # the id is the one negotiated.
        assert await client.next_event("UserConnected") == [connection_id]
        # pysignalr only reports errors by raising from run(): it is still running.
        assert not client.run_task.done()


async def test_send_message_reaches_another_client(hub_url):
    async with HubClient(hub_url) as alice, HubClient(hub_url) as bob:
        bob_id = await bob.own_connection_id()
        # Alice hears about Bob too: UserConnected goes to all.
        await alice.event_matching("UserConnected", lambda args: args == [bob_id])

        await alice.send("SendMessage", "alice", "hello bob")

        assert await bob.next_event("ReceiveMessage") == ["alice", "hello bob"]
        assert await alice.next_event("ReceiveMessage") == ["alice", "hello bob"]


async def test_send_message_with_completion_and_unicode(hub_url):
    async with HubClient(hub_url) as alice, HubClient(hub_url) as bob:
        await bob.own_connection_id()

        text = 'héllo "wörld" \u2603 \U0001f600 \\ \n end'
        completion = await alice.invoke("SendMessage", "ålice", text)

        assert completion.error is None
        assert completion.result is None  # void method
        assert await bob.next_event("ReceiveMessage") == ["ålice", text]


async def test_echo_returns_its_argument_via_completion_callback(hub_url):
    async with HubClient(hub_url) as client:
        completion = await client.invoke("Echo", "ping")
        assert completion.error is None
        assert completion.result == "ping"

        # Several invocations in flight at once: each completion reaches its own callback.
        results = await asyncio.gather(*(client.invoke("Echo", f"message {i}") for i in range(5)))
        assert [c.result for c in results] == [f"message {i}" for i in range(5)]


async def test_unknown_method_completes_with_error(hub_url):
    async with HubClient(hub_url) as client:
        errors = []

        async def on_error(message):
            errors.append(message)

        # pysignalr raises from its run task on an error Completion unless an error callback is set.
        client.client.on_error(on_error)
        completion = await client.invoke("NoSuchMethod", 1)
        assert completion.error, completion
        assert errors and errors[0].invocation_id == completion.invocation_id
        # The connection survives: the next invocation still works.
        assert (await client.invoke("Echo", "still here")).result == "still here"


async def test_join_group_and_send_to_group(hub_url):
    async with (
        HubClient(hub_url) as alice,
        HubClient(hub_url) as bob,
        HubClient(hub_url) as carol,
    ):
        alice_id = await alice.own_connection_id()
        bob_id = await bob.own_connection_id()
        await carol.own_connection_id()

        # The caller is in the group when UserJoined is sent, so it hears about itself.
        joined = await alice.invoke("JoinGroup", "room")
        assert joined.error is None
        assert await alice.next_event("UserJoined") == [alice_id, "room"]

        await bob.invoke("JoinGroup", "room")
        assert await bob.next_event("UserJoined") == [bob_id, "room"]
        assert await alice.next_event("UserJoined") == [bob_id, "room"]

        # Carol is not a member but may send to the group.
        sent = await carol.invoke("SendMessageToGroup", "room", "carol", "hi room")
        assert sent.error is None
        assert await alice.next_event("ReceiveMessage") == ["carol", "hi room"]
        assert await bob.next_event("ReceiveMessage") == ["carol", "hi room"]

        # Carol got neither the group message nor the UserJoined calls: a broadcast she sends
        # afterwards is the first ReceiveMessage she sees (one connection's messages are ordered).
        await carol.invoke("SendMessage", "carol", "marker")
        assert await carol.next_event("ReceiveMessage") == ["carol", "marker"]
        assert carol.pending_events("UserJoined") == []
