"""The link as a process between a client and a real TCP echo server, both on 127.0.0.1
and free ports; the link is stopped by PID."""

import socket
import socketserver
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

from reference.edge.link import cut, is_cut, main, restore
from reference.platform.deploy.processes import free_port, launch, reap, stop_session, tail

READY_TIMEOUT_S = 15.0
CUT_WITHIN_S = 1.0


class EchoServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


@dataclass(frozen=True)
class RunningLink:
    port: int
    control: Path
    log: Path


@pytest.fixture
def echo_port() -> Iterator[int]:
    server = EchoServer(("127.0.0.1", free_port()), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def running_link(tmp_path: Path, upstream_port: int) -> Iterator[RunningLink]:
    """The link process forwarding to `upstream_port`, once it listens; stopped by PID."""
    port, control, log = free_port(), tmp_path / "link.cut", tmp_path / "link.log"
    command = [sys.executable, "-m", "reference.edge.link", "--listen-port", str(port),
               "--upstream", f"127.0.0.1:{upstream_port}", "--control", str(control),
               "--log-level", "INFO"]  # fmt: skip
    process = launch(command, log)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while "link listening" not in log.read_text():
            assert process.poll() is None, f"the link exited: {tail(log)}"
            assert time.monotonic() < deadline, f"the link did not listen: {tail(log)}"
            time.sleep(0.1)
        yield RunningLink(port, control, log)
    finally:
        stop_session(process.pid, grace_s=5.0)
        reap(process.pid)


@pytest.fixture
def link(tmp_path: Path, echo_port: int) -> Iterator[RunningLink]:
    with running_link(tmp_path, echo_port) as running:
        yield running


def connect(link: RunningLink) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", link.port), timeout=5.0)
    connection.settimeout(5.0)
    return connection


def echoed(connection: socket.socket, data: bytes) -> bytes:
    connection.sendall(data)
    received = b""
    while len(received) < len(data):
        chunk = connection.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


def closed_within(connection: socket.socket, seconds: float) -> bool:
    """Whether the peer closes the connection (an EOF or a reset) within `seconds`."""
    connection.settimeout(seconds)
    try:
        return connection.recv(65536) == b""
    except ConnectionError:
        return True
    except TimeoutError:
        return False


def logged(link: RunningLink, text: str, within_s: float = 2.0) -> bool:
    """Whether the link's log says `text` within `within_s` (it logs from its own process)."""
    deadline = time.monotonic() + within_s
    while text not in link.log.read_text():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_bytes_go_through_both_ways(link: RunningLink) -> None:
    with connect(link) as connection:
        assert echoed(connection, b"hello") == b"hello"
        large = bytes(range(256)) * 1024
        assert echoed(connection, large) == large


def test_a_cut_closes_open_connections_within_a_second(link: RunningLink) -> None:
    with connect(link) as first, connect(link) as second:
        assert echoed(first, b"a") == b"a"
        assert echoed(second, b"b") == b"b"
        cut(link.control)
        assert closed_within(first, CUT_WITHIN_S)
        assert closed_within(second, CUT_WITHIN_S)
    assert logged(link, "link cut: 2 connections closed")


def test_a_connection_made_while_cut_is_closed_at_once(link: RunningLink) -> None:
    cut(link.control)
    with connect(link) as connection:
        with suppress(ConnectionError):  # it may be closed before the send
            connection.sendall(b"lost")
        assert closed_within(connection, CUT_WITHIN_S)


def test_after_restore_new_connections_work_again(link: RunningLink) -> None:
    cut(link.control)
    with connect(link) as refused:
        assert closed_within(refused, CUT_WITHIN_S)
    restore(link.control)
    with connect(link) as connection:
        assert echoed(connection, b"again") == b"again"
    assert logged(link, "link restored: 1 connections were refused while cut")


def test_an_upstream_that_refuses_closes_the_client_connection(tmp_path: Path) -> None:
    with running_link(tmp_path, free_port()) as running:
        with connect(running) as connection:
            assert closed_within(connection, CUT_WITHIN_S)
        assert logged(running, "refused a connection")


def test_cut_and_restore_are_idempotent_and_read_back(tmp_path: Path) -> None:
    control = tmp_path / "link.cut"
    assert not is_cut(control)
    cut(control)
    cut(control)
    assert is_cut(control)
    assert list(tmp_path.iterdir()) == [control]
    restore(control)
    restore(control)
    assert not is_cut(control)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(["--listen-port", "0", "--upstream", "127.0.0.1:4222"],
                     "argument --listen-port: must be a port from 1 to 65535, not '0'",
                     id="a port of zero"),
        pytest.param(["--listen-port", "70000", "--upstream", "127.0.0.1:4222"],
                     "argument --listen-port: must be a port from 1 to 65535, not '70000'",
                     id="a port above 65535"),
        pytest.param(["--listen-port", "4223", "--upstream", "4222"],
                     "argument --upstream: must be HOST:PORT, not '4222'",
                     id="an upstream without a host"),
        pytest.param(["--listen-port", "4223", "--upstream", "cloud:nats"],
                     "argument --upstream: must be a port from 1 to 65535, not 'nats'",
                     id="an upstream with a named port"),
    ],
)  # fmt: skip
def test_bad_arguments_are_refused_with_the_reason(
    arguments: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*arguments, "--control", str(tmp_path / "link.cut")])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip().endswith(f"error: {message}")
