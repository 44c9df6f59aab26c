"""A thin test wrapper around pysignalr's SignalRClient.

- runs `client.run()` in a task and waits (bounded) for the connection to open;
- records every hub method the server calls on the client, per target, in order;
- records every message the protocol decodes, so a test can see frames pysignalr itself drops
  (the server's Close message has no public callback);
- every wait is bounded with asyncio.wait_for and also fails fast, with the client's own error,
  when pysignalr's run task dies;
- leaving the `async with` block cancels the run task (pysignalr would otherwise reconnect).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pysignalr.client import SignalRClient
from pysignalr.messages import CloseMessage, CompletionMessage, Message
from pysignalr.protocol.json import JSONProtocol
from pysignalr.protocol.messagepack import MessagepackProtocol

# Bound for one event, one reply or the connection to open.
EVENT_TIMEOUT_S = 5.0

# Hub methods of the chat example's client interface.
CHAT_CLIENT_METHODS = (
    "ReceiveMessage",
    "UserJoined",
    "UserLeft",
    "UserConnected",
    "UserDisconnected",
    "ReceiveNotification",
)


class _Recording:
    """Mixin for a pysignalr protocol: keeps every decoded message and queues Close messages."""

    def _init_recording(self) -> None:
        self.decoded: list[Message] = []
        self.closes: asyncio.Queue[CloseMessage] = asyncio.Queue()

    def decode(self, raw_message):  # type: ignore[override]
        messages = super().decode(raw_message)  # type: ignore[misc]
        for message in messages:
            self.decoded.append(message)
            if isinstance(message, CloseMessage):
                self.closes.put_nowait(message)
        return messages


class RecordingJSONProtocol(_Recording, JSONProtocol):
    def __init__(self) -> None:
        super().__init__()
        self._init_recording()


class RecordingMessagepackProtocol(_Recording, MessagepackProtocol):
    def __init__(self) -> None:
        super().__init__()
        self._init_recording()


PROTOCOLS = {"json": RecordingJSONProtocol, "messagepack": RecordingMessagepackProtocol}


class HubClient:
    """One pysignalr connection to a hub, used as `async with HubClient(url) as client:`."""

    def __init__(self, url: str, protocol: str = "json", **client_options: Any) -> None:
        self.name = f"{protocol} client"
        self.protocol = PROTOCOLS[protocol]()
        self.client = SignalRClient(url, protocol=self.protocol, **client_options)
        self.opened = asyncio.Event()
        self.closed = asyncio.Event()
        self._events: defaultdict[str, asyncio.Queue[list[Any]]] = defaultdict(asyncio.Queue)
        self._task: asyncio.Task[None] | None = None

        async def on_open() -> None:
            self.opened.set()

        async def on_close() -> None:
            self.closed.set()

        self.client.on_open(on_open)
        self.client.on_close(on_close)
        for method in CHAT_CLIENT_METHODS:
            self.client.on(method, self._recorder(method))

    def _recorder(self, method: str):
        async def record(arguments: list[Any]) -> None:
            self._events[method].put_nowait(list(arguments))

        return record

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        self._task = asyncio.create_task(self.client.run(), name=f"pysignalr run ({self.name})")
        return self._task

    async def __aenter__(self) -> HubClient:
        self.start()
        try:
            await self.wait(self.opened.wait(), "the connection to open")
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, EVENT_TIMEOUT_S)

    @property
    def run_task(self) -> asyncio.Task[None]:
        assert self._task is not None, "client not started"
        return self._task

    # -- waiting ---------------------------------------------------------------------------------

    async def wait(self, awaitable, what: str, timeout: float = EVENT_TIMEOUT_S):
        """Awaits `awaitable` for at most `timeout` s; fails at once if pysignalr's run task ends."""
        waiter = asyncio.ensure_future(awaitable)
        try:
            done, _ = await asyncio.wait(
                {waiter, self.run_task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if waiter in done:
                return waiter.result()
            if self.run_task in done:
                error = None if self.run_task.cancelled() else self.run_task.exception()
                raise AssertionError(
                    f"{self.name}: pysignalr's run() ended with {error!r} while waiting for {what}"
                ) from error
            raise AssertionError(f"{self.name}: no {what} within {timeout}s")
        finally:
            if not waiter.done():
                waiter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiter

    async def next_event(self, method: str, timeout: float = EVENT_TIMEOUT_S) -> list[Any]:
        """The arguments of the next call of client method `method`."""
        return await self.wait(self._events[method].get(), f"{method} call", timeout)

    async def event_matching(self, method: str, predicate, timeout: float = EVENT_TIMEOUT_S):
        """Skips calls of `method` until one whose arguments satisfy `predicate`; returns them."""

        async def find() -> list[Any]:
            while True:
                arguments = await self._events[method].get()
                if predicate(arguments):
                    return arguments

        return await self.wait(find(), f"matching {method} call", timeout)

    def pending_events(self, method: str) -> list[list[Any]]:
        """The calls of `method` received and not yet consumed (does not wait)."""
        queue = self._events[method]
        items = []
        while not queue.empty():
            items.append(queue.get_nowait())
        return items

    async def next_close(self, timeout: float = EVENT_TIMEOUT_S) -> CloseMessage:
        """The next Close message the server sent."""
        return await self.wait(self.protocol.closes.get(), "Close message", timeout)

    # -- calling the hub -------------------------------------------------------------------------

    async def send(self, method: str, *arguments: Any) -> None:
        """Fire-and-forget invocation (no invocation id, no completion)."""
        await self.wait(self.client.send(method, list(arguments)), f"{method} to be sent")

    async def invoke(self, method: str, *arguments: Any) -> CompletionMessage:
        """Invocation with an id; returns the server's Completion, delivered to pysignalr's
        completion callback (`on_invocation`)."""
        completion: asyncio.Future[CompletionMessage] = asyncio.get_running_loop().create_future()

        async def on_completion(message: CompletionMessage) -> None:
            if not completion.done():
                completion.set_result(message)

        await self.wait(
            self.client.send(method, list(arguments), on_invocation=on_completion),
            f"{method} to be sent",
        )
        return await self.wait(completion, f"Completion of {method}")

    # -- identity --------------------------------------------------------------------------------

    @property
    def negotiated_id(self) -> str:
        """The `id` pysignalr put on the WebSocket URL after its negotiate request.

        pysignalr negotiates without `negotiateVersion`, i.e. version 0, where that id is the
        connection id itself. (Reads pysignalr's private transport state; the version is pinned.)
        """
        query = parse_qs(urlsplit(self.client._transport._url).query)
        ids = query.get("id", [])
        assert len(ids) == 1, f"no id on the connection URL {self.client._transport._url!r}"
        return ids[0]

    async def own_connection_id(self) -> str:
        """Waits for the UserConnected call about this very connection and returns its id."""
        expected = self.negotiated_id
        arguments = await self.event_matching("UserConnected", lambda args: args == [expected])
        return arguments[0]
