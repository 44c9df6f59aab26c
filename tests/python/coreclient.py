"""A thin test wrapper around signalrcore's (thread-based) HubConnection.

- records, in order and under one condition variable, everything the connection reports: open,
  close, hub method calls, completions (results and errors), decoded Close messages, and
  exceptions raised in signalrcore's own threads;
- every wait is `Condition.wait_for` with a timeout (no sleeps), and fails at once with the
  recorded thread exception if one happened;
- `stop()` works around a signalrcore 1.0.2 bug (see `CoreClient.stop`).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any, Callable

from signalrcore.hub_connection_builder import HubConnectionBuilder
from signalrcore.messages.close_message import CloseMessage
from signalrcore.types import HttpTransportType, HubProtocolEncoding

from hubclient import CHAT_CLIENT_METHODS, EVENT_TIMEOUT_S

TRANSPORTS = {
    "websockets": HttpTransportType.web_sockets,
    "sse": HttpTransportType.server_sent_events,
    "longpolling": HttpTransportType.long_polling,
}
PROTOCOLS = {"json": HubProtocolEncoding.text, "messagepack": HubProtocolEncoding.binary}


class CoreClient:
    """One signalrcore connection. `transport`/`protocol` None: signalrcore's own choice."""

    def __init__(self, url: str, transport: str | None = None, protocol: str | None = None):
        self.name = f"signalrcore client ({transport or 'default'}, {protocol or 'default'})"
        options = {} if transport is None else {"transport": TRANSPORTS[transport]}
        builder = HubConnectionBuilder().with_url(url, options=options)
        if protocol is not None:
            builder = builder.with_hub_protocol(PROTOCOLS[protocol])
        self.conn = builder.build()

        self._cond = threading.Condition()
        self._records: list[tuple[Any, Any]] = []
        self.errors: list[BaseException] = []
        self._stopped = False

        self.conn.on_open(lambda: self._add("open", None))
        self.conn.on_close(lambda: self._add("close", None))
        # signalrcore sends error Completions to the global on_error, not to on_invocation.
        self.conn.on_error(lambda message: self._add(("completion", message.invocation_id), message))
        for method in CHAT_CLIENT_METHODS:
            self.conn.on(method, self._recorder(method))

        # signalrcore has no callback for the server's Close message: record every decoded
        # message on its way in (start() hands `self.conn.on_message` to the transport).
        dispatch = self.conn.on_message

        def on_message(messages):
            for message in messages:
                if isinstance(message, CloseMessage):
                    self._add("close message", message)
            return dispatch(messages)

        self.conn.on_message = on_message

    def _recorder(self, method: str) -> Callable[[list[Any]], None]:
        return lambda arguments: self._add(("event", method), list(arguments))

    def _add(self, kind: Any, payload: Any) -> None:
        with self._cond:
            self._records.append((kind, payload))
            self._cond.notify_all()

    def thread_failed(self, error: BaseException) -> None:
        with self._cond:
            self.errors.append(error)
            self._cond.notify_all()

    # -- waiting ---------------------------------------------------------------------------------

    def _take(self, kind: Any, what: str, match=None, timeout: float = EVENT_TIMEOUT_S) -> Any:
        """Waits for the first record of `kind` (satisfying `match`), removes it and every
        earlier record of that kind, and returns its payload."""

        def find() -> int | None:
            for index, (record_kind, payload) in enumerate(self._records):
                if record_kind == kind and (match is None or match(payload)):
                    return index
            return None

        with self._cond:
            self._cond.wait_for(lambda: self.errors or find() is not None, timeout)
            if self.errors:
                raise AssertionError(
                    f"{self.name}: a signalrcore thread failed while waiting for {what}: "
                    f"{self.errors[0]!r}"
                ) from self.errors[0]
            index = find()
            if index is None:
                raise AssertionError(f"{self.name}: no {what} within {timeout}s")
            payload = self._records[index][1]
            self._records = [
                record for i, record in enumerate(self._records) if i > index or record[0] != kind
            ]
            return payload

    def wait_open(self) -> None:
        self._take("open", "open connection")

    def wait_closed(self) -> None:
        self._take("close", "close of the connection")

    def next_event(self, method: str) -> list[Any]:
        return self._take(("event", method), f"{method} call")

    def event_matching(self, method: str, predicate) -> list[Any]:
        return self._take(("event", method), f"matching {method} call", predicate)

    def pending_events(self, method: str) -> list[list[Any]]:
        with self._cond:
            return [payload for kind, payload in self._records if kind == ("event", method)]

    def next_close_message(self) -> CloseMessage:
        return self._take("close message", "Close message")

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> CoreClient:
        # Negotiates synchronously; the transport then connects and handshakes in its thread.
        assert self.conn.start(), f"{self.name}: start() refused"
        self.wait_open()
        return self

    def __enter__(self) -> CoreClient:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def connection_id(self) -> str:
        """The id signalrcore negotiated (negotiate version 0: the connection id itself)."""
        return self.conn.transport.connection_id

    def own_connection_id(self) -> str:
        """Waits for the UserConnected call about this very connection and returns its id."""
        expected = self.connection_id
        return self.event_matching("UserConnected", lambda args: args == [expected])[0]

    def stop(self) -> None:
        """Ends the connection at once.

        signalrcore 1.0.2's own stop() closes the socket from the calling thread and then joins
        its receive thread, which stays blocked in recv() (closing an fd does not wake a blocked
        recv on Linux) until the server's next frame, i.e. its 15 s keep-alive ping; the TCP
        connection also stays open until then. Shutting the socket down first wakes the receive
        thread at once (it reports the close), after which stop() has nothing left to wait for.
        """
        if self._stopped:
            return
        self._stopped = True
        transport = self.conn.transport
        if transport is None:
            return
        client = getattr(transport, "_client", None)
        sock = getattr(client, "sock", None)
        receiver = getattr(client, "recv_thread", None) or getattr(client, "_thread", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if receiver is not None and receiver is not threading.current_thread():
            receiver.join(EVENT_TIMEOUT_S)
        checker = getattr(transport, "connection_checker", None)
        if checker is not None:
            checker.stop()
        # Bounded even if signalrcore blocks somewhere.
        stopper = threading.Thread(target=self.conn.stop, name="signalrcore stop", daemon=True)
        stopper.start()
        stopper.join(EVENT_TIMEOUT_S)
        if sock is not None:
            sock.close()
        assert not stopper.is_alive(), f"{self.name}: stop() still running after {EVENT_TIMEOUT_S}s"

    # -- calling the hub -------------------------------------------------------------------------

    def invoke(self, method: str, *arguments: Any):
        """Invocation; returns the Completion signalrcore hands to `on_invocation` (or, for an
        error, to `on_error`)."""
        result = self.conn.invoke(
            method,
            list(arguments),
            on_invocation=lambda message: self._add(("completion", message.invocation_id), message),
        )
        return self._take(("completion", result.invocation_id), f"Completion of {method}")
