"""`--transports`: pysignalr only speaks WebSockets."""

from __future__ import annotations

import asyncio

import pytest
from pysignalr.exceptions import NegotiationFailure
from websockets.exceptions import InvalidStatus

from hubclient import EVENT_TIMEOUT_S, HubClient


async def test_websockets_only_server_serves_pysignalr(start_chat):
    server = start_chat("websockets")
    async with HubClient(server.hub_url) as client:
        assert (await client.invoke("Echo", "ws only")).result == "ws only"


async def test_server_without_websockets_refuses_pysignalr(start_chat):
    server = start_chat("sse,longpolling")
    # retry_count=1: pysignalr gives up on the first refused WebSocket instead of sleeping and
    # retrying.
    client = HubClient(server.hub_url, retry_count=1)
    task = client.start()
    try:
        with pytest.raises(NegotiationFailure) as failure:
            await asyncio.wait_for(task, EVENT_TIMEOUT_S)
        # Negotiation itself succeeded; the WebSocket request is refused with 404, as ASP.NET
        # Core refuses a transport that the endpoint does not allow.
        refused = failure.value.__cause__
        assert isinstance(refused, InvalidStatus), repr(refused)
        assert refused.response.status_code == 404
        assert not client.opened.is_set()
    finally:
        await client.stop()
