"""SIGTERM: the server closes every connection gracefully with Close(allowReconnect=true)."""

from __future__ import annotations

import asyncio

import pytest
from pysignalr.messages import CloseMessage

from hubclient import EVENT_TIMEOUT_S, HubClient


@pytest.mark.parametrize("protocol", ["json", "messagepack"])
async def test_sigterm_sends_close_with_allow_reconnect(chat_server, protocol):
    async with (
        HubClient(chat_server.hub_url, protocol=protocol) as first,
        HubClient(chat_server.hub_url, protocol="json") as second,
    ):
        await first.own_connection_id()
        await second.own_connection_id()

        chat_server.terminate()

        for client in (first, second):
            close = await client.next_close()
            assert isinstance(close, CloseMessage)
            assert close.allow_reconnect is True
            assert not close.error
            # Then the WebSocket closes; pysignalr reports it through on_close.
            await client.wait(client.closed.wait(), "the WebSocket to close")
            # Close is the last hub message on the connection.
            assert client.protocol.decoded[-1] == close

        # The process exits by itself, successfully.
        code = await asyncio.wait_for(
            asyncio.to_thread(chat_server.wait_exit, EVENT_TIMEOUT_S), EVENT_TIMEOUT_S + 1
        )
        assert code == 0, chat_server.log()
