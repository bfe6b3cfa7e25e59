"""Real servers for tests: started on 127.0.0.1 on a free port, stopped by PID."""

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class RunningServer:
    host: str
    port: int
    pid: int

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@contextmanager
def redis_server(folder: Path) -> Iterator[RunningServer]:
    """A throwaway Redis: no persistence, loopback only, gone when the block ends."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server is not installed (Debian package redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
        yield RunningServer("127.0.0.1", port, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


POSTGRES_USER = "readiness"


def postgres_binaries() -> Path | None:
    """The folder holding initdb and postgres: on PATH, else Debian's newest."""
    on_path = shutil.which("initdb")
    folders = [Path(os.path.realpath(on_path)).parent] if on_path else []
    folders += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for folder in folders:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    return None


@contextmanager
def postgres_server() -> Iterator[RunningServer]:
    """A throwaway PostgreSQL cluster: trust auth, loopback only, no fsync, removed after.

    PostgreSQL refuses to run as root, so as root it runs as the `postgres` account, in a
    folder of its own (pytest's temporary folders are closed to other users)."""
    binaries = postgres_binaries()
    if binaries is None:
        raise FileNotFoundError("PostgreSQL is not installed (no initdb or postgres binary)")
    user: int | None = None
    group: int | None = None
    if os.geteuid() == 0:
        try:
            entry = pwd.getpwnam("postgres")
        except KeyError:
            raise FileNotFoundError("running as root and no 'postgres' account to run as") from None
        user, group = entry.pw_uid, entry.pw_gid
    folder = Path(tempfile.mkdtemp(prefix="readiness-pg-"))
    if user is not None and group is not None:
        os.chown(folder, user, group)
    data, port = folder / "data", free_port()
    subprocess.run(
        [str(binaries / "initdb"), "-D", str(data), "-U", POSTGRES_USER, "--auth=trust",
         "-E", "UTF8", "--no-sync"],
        check=True, capture_output=True, timeout=120, cwd=folder, user=user, group=group,
    )  # fmt: skip
    process = subprocess.Popen(
        [str(binaries / "postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
         "-k", str(folder), "-F"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder, user=user, group=group,
    )  # fmt: skip
    try:
        _wait_for_port(port, process, seconds=30)
        yield RunningServer("127.0.0.1", port, process.pid)
    finally:
        process.send_signal(signal.SIGINT)  # fast shutdown: roll back, close, exit
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before listening")
        with socket.socket() as client:
            if client.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {seconds} s")


@contextmanager
def mlflow_model_server(model_uri: str, tracking_uri: str, folder: Path) -> Iterator[RunningServer]:
    """`mlflow models serve` of a registered model in this environment (no virtualenv of its
    own), on 127.0.0.1, stopped by its process group when the block ends."""
    import sys

    port = free_port()
    bin_folder = str(Path(sys.executable).parent)
    environment = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri,
                   "PATH": f"{bin_folder}:{os.environ.get('PATH', '')}"}  # fmt: skip
    log = (folder / "mlflow-serve.log").open("wb")
    process = subprocess.Popen(
        [f"{bin_folder}/mlflow", "models", "serve", "-m", model_uri, "--env-manager", "local",
         "-h", "127.0.0.1", "-p", str(port), "--workers", "1"],
        stdout=log, stderr=subprocess.STDOUT, env=environment, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_for_port(port, process, seconds=120.0)
        yield RunningServer("127.0.0.1", port, process.pid)
    finally:
        _stop_group(process)
        log.close()


def _stop_group(process: "subprocess.Popen[bytes]") -> None:
    """SIGTERM the process group (a server's workers with it), SIGKILL after 10 s."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def python_server(
    arguments: list[str], port: int, folder: Path, environment: dict[str, str] | None = None
) -> Iterator[RunningServer]:
    """`python ARGUMENTS` (a server of the test's own) on 127.0.0.1:`port`, its output in
    `folder`, stopped by its process group when the block ends."""
    import sys

    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, *arguments], stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, **(environment or {})}, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_for_port(port, process, seconds=60.0)
        yield RunningServer("127.0.0.1", port, process.pid)
    finally:
        _stop_group(process)
        log.close()
