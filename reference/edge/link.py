"""A simulated network link between a device and the cloud: a TCP proxy as a process.

`python -m reference.edge.link --listen-port P --upstream HOST:PORT --control FILE`

A device talks to the cloud's NATS server through its link, so a fault hook can cut the
network of one device without touching the device or the cloud. While the control FILE
exists the link is cut: every open connection is aborted at once (in-flight bytes are
lost, as on a pulled cable) and every new one is closed as soon as it is accepted, so the
device sees its connection drop and its reconnects fail. When the FILE is removed the
link forwards again. A file, not a signal, so the state survives a restart of the link and
can be read by anyone (`is_cut`).
"""

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

LOG = logging.getLogger("reference.edge.link")
CHECK_EVERY_S = 0.1
CHUNK_BYTES = 64 * 1024


def cut(control: Path) -> None:
    """Cut the link (atomically: the link never reads a half-written file)."""
    temporary = control.with_name(f".{control.name}.{os.getpid()}.tmp")
    temporary.write_text("cut\n")
    os.replace(temporary, control)


def restore(control: Path) -> None:
    control.unlink(missing_ok=True)


def is_cut(control: Path) -> bool:
    return control.exists()


class Link:
    """The proxy's state: its open connection pairs, and whether it is cut."""

    def __init__(self, upstream: tuple[str, int], control: Path) -> None:
        self.upstream = upstream
        self.control = control
        self.pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self.cut = False
        self.refused = 0

    def refresh(self) -> bool:
        """Read the control file; on a change, abort every open pair (cut) or log how much
        the cut refused (restore). Return whether the link is cut."""
        now_cut = is_cut(self.control)
        if now_cut and not self.cut:
            closed = len(self.pairs)
            for pair in list(self.pairs):
                _abort(*pair)
            self.pairs.clear()
            LOG.warning("link cut: %d connections closed", closed)
        elif self.cut and not now_cut:
            LOG.warning("link restored: %d connections were refused while cut", self.refused)
            self.refused = 0
        self.cut = now_cut
        return now_cut

    async def watch(self) -> None:
        while True:
            self.refresh()
            await asyncio.sleep(CHECK_EVERY_S)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Forward one accepted connection to the upstream, both ways, until either side
        closes or the link is cut."""
        if self.refresh():
            self.refused += 1
            _abort(writer)
            return
        host, port = self.upstream
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
        except OSError as error:
            LOG.warning("upstream %s:%d refused a connection: %s", host, port, error)
            _abort(writer)
            return
        if self.cut:  # cut while connecting: the watcher did not see this pair
            self.refused += 1
            _abort(writer, upstream_writer)
            return
        pair = (writer, upstream_writer)
        self.pairs.add(pair)
        try:
            await asyncio.gather(_pump(reader, upstream_writer), _pump(upstream_reader, writer))
        finally:
            self.pairs.discard(pair)
            _abort(*pair)

    def close(self) -> None:
        for pair in list(self.pairs):
            _abort(*pair)


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """Copy one direction; at its end pass the half-close on, so the other direction can
    still finish (a client may shut down its writing side and wait for the answer)."""
    try:
        while chunk := await source.read(CHUNK_BYTES):
            sink.write(chunk)
            await sink.drain()
        if sink.can_write_eof():
            sink.write_eof()
    except OSError:
        _abort(sink)


def _abort(*writers: asyncio.StreamWriter) -> None:
    for writer in writers:
        writer.transport.abort()


async def run(listen_port: int, upstream: tuple[str, int], control: Path) -> None:
    """Serve on 127.0.0.1:`listen_port` until SIGTERM or SIGINT."""
    link = Link(upstream, control)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    server = await asyncio.start_server(link.serve, "127.0.0.1", listen_port)
    watcher = asyncio.create_task(link.watch())
    LOG.info("link listening on 127.0.0.1:%d to %s:%d", listen_port, *upstream)
    async with server:
        await stopping.wait()
        watcher.cancel()
        link.close()  # before the server waits for its connections to end


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port from 1 to 65535, not {text!r}")
    return int(text)


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host:
        raise argparse.ArgumentTypeError(f"must be HOST:PORT, not {text!r}")
    return host.strip("[]"), _port(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference.edge.link")
    parser.add_argument("--listen-port", type=_port, required=True, help="on 127.0.0.1")
    parser.add_argument("--upstream", type=_host_port, required=True, help="HOST:PORT")
    parser.add_argument("--control", type=Path, required=True, help="cut while this exists")
    parser.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"])  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(message)s")
    try:
        asyncio.run(run(args.listen_port, args.upstream, args.control))
    except OSError as error:
        LOG.error("link cannot listen on 127.0.0.1:%d: %s", args.listen_port, error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
