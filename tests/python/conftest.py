"""Fixtures for the end-to-end tests of the chat example with Python SignalR clients.

Every test gets a fresh `chat` process on 127.0.0.1 port 0. The fixture reads the real port
from the server's `listening on http://127.0.0.1:PORT` line (bounded wait, no sleeps) and kills
the process when the test is done, also when it failed.

The binary is $CHAT_BIN, else <repo>/target/debug/chat (honouring $CARGO_TARGET_DIR); when neither
exists it is built once with `cargo build -p chat`.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
HUB_PATH = "/hubs/chat"

# Bound for the server to print its `listening on` line.
STARTUP_TIMEOUT_S = float(os.environ.get("CHAT_STARTUP_TIMEOUT_S", "15"))
# Bound for a server to exit once killed or sent SIGTERM.
EXIT_TIMEOUT_S = 10.0
# Bound for `cargo build -p chat` when the binary is missing.
BUILD_TIMEOUT_S = 900.0

LISTENING = re.compile(r"^listening on (http://\S+)\s*$")


def chat_binary_path() -> Path:
    if os.environ.get("CHAT_BIN"):
        return Path(os.environ["CHAT_BIN"]).resolve()
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO_ROOT / "target"))
    if not target.is_absolute():
        target = REPO_ROOT / target
    return target / "debug" / "chat"


@pytest.fixture(scope="session")
def chat_binary() -> Path:
    path = chat_binary_path()
    if not path.exists() and not os.environ.get("CHAT_BIN"):
        subprocess.run(
            ["cargo", "build", "-q", "-p", "chat"],
            cwd=REPO_ROOT,
            check=True,
            timeout=BUILD_TIMEOUT_S,
        )
    if not path.exists():
        pytest.fail(f"chat binary not found at {path} (set CHAT_BIN or run `cargo build -p chat`)")
    return path


class ChatServer:
    """One running `chat` process."""

    def __init__(self, binary: Path, transports: str | None = None) -> None:
        self.binary = binary
        args = [str(binary), "--addr", "127.0.0.1:0"]
        if transports is not None:
            args += ["--transports", transports]
        self.args = args
        self._log = tempfile.TemporaryFile(mode="w+b")
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log,
            cwd=REPO_ROOT,
            env={**os.environ, "NO_COLOR": "1"},
        )
        # A reader thread hands over stdout lines and keeps draining the pipe afterwards, so the
        # server never blocks (or fails with a broken pipe) on a later write to stdout.
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read_stdout, name="chat-stdout", daemon=True).start()
        self.base_url = self._wait_listening()
        self.hub_url = self.base_url + HUB_PATH

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self._lines.put(raw.decode("utf-8", "replace"))
        self._lines.put(None)

    def _wait_listening(self) -> str:
        seen = []
        while True:
            try:
                line = self._lines.get(timeout=STARTUP_TIMEOUT_S)
            except queue.Empty:
                self.kill()
                raise RuntimeError(
                    f"{self.args}: no `listening on` line within {STARTUP_TIMEOUT_S}s; "
                    f"stdout so far {seen!r}; stderr:\n{self.log()}"
                ) from None
            if line is None:
                code = self.process.wait(timeout=EXIT_TIMEOUT_S)
                raise RuntimeError(
                    f"{self.args}: exited with {code} before listening; stdout {seen!r}; "
                    f"stderr:\n{self.log()}"
                )
            seen.append(line)
            match = LISTENING.match(line)
            if match:
                return match.group(1)

    def log(self) -> str:
        """Everything the server wrote to stderr so far."""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def terminate(self) -> None:
        """Sends SIGTERM (graceful shutdown)."""
        self.process.send_signal(signal.SIGTERM)

    def wait_exit(self, timeout: float = EXIT_TIMEOUT_S) -> int:
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=EXIT_TIMEOUT_S)

    def close(self) -> None:
        self.kill()
        self._log.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def start_chat(chat_binary, request):
    """A factory: `start_chat(transports=None)` starts one more server; all are killed at the end."""
    servers: list[ChatServer] = []

    def start(transports: str | None = None) -> ChatServer:
        server = ChatServer(chat_binary, transports)
        servers.append(server)
        return server

    yield start

    failed = any(
        getattr(getattr(request.node, f"report_{when}", None), "failed", False)
        for when in ("setup", "call")
    )
    for server in servers:
        server.kill()
        if failed:
            # Shown by pytest in the failing test's "Captured stdout teardown" section.
            print(f"--- stderr of {server.args} (exit {server.process.returncode}) ---")
            print(server.log())
        server.close()


@pytest.fixture
def chat_server(start_chat) -> ChatServer:
    """A fresh chat server with every transport enabled."""
    return start_chat()


@pytest.fixture
def hub_url(chat_server) -> str:
    """The hub URL of a fresh chat server: http://127.0.0.1:PORT/hubs/chat."""
    return chat_server.hub_url


@pytest.fixture
def core_client(monkeypatch):
    """A factory for signalrcore connections: `core_client(url, transport=None, protocol=None)`.

    Exceptions raised in signalrcore's threads fail the waits of the test's clients at once;
    every client is stopped at the end.
    """
    from coreclient import CoreClient

    clients: list[CoreClient] = []
    previous_hook = threading.excepthook

    def hook(args):
        for client in clients:
            client.thread_failed(args.exc_value)
        previous_hook(args)

    monkeypatch.setattr(threading, "excepthook", hook)

    def make(url: str, transport: str | None = None, protocol: str | None = None) -> CoreClient:
        client = CoreClient(url, transport, protocol)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.stop()
