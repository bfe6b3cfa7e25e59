"""Start the monitor service beside a deployment (any architecture): it reads the audit
store, acts through the deployment's admin routes with a key of its own, and serves its
metrics on a free loopback port."""

import sys
from pathlib import Path

from readiness.home import Home
from reference.platform.deploy.processes import free_port, launch, wait_until_ready

MONITOR_MODULE = "reference.platform.monitoring"
READY_TIMEOUT_S = 60.0


def start_monitor(
    home: Home, place: Path, admin_base: str, key_variable: str, key: str, config: Path | None
) -> str:
    """Start the monitor service (pid in `place/monitor.pid`); the URL of its metrics."""
    port = free_port()
    command = [
        sys.executable, "-m", MONITOR_MODULE, "--audit-url", home.audit_url,
        "--tracking-uri", home.mlflow_tracking_uri, "--work", str(place / "monitor"),
        "--admin-url", admin_base, "--admin-key-variable", key_variable,
        "--metrics-port", str(port), *(["--config", str(config)] if config else []),
        "--home", str(home.root), "--target", str(place / "target.yaml"),
    ]  # fmt: skip
    log = place / "monitor.log"
    process = launch(command, log, {key_variable: key})
    (place / "monitor.pid").write_text(str(process.pid))
    metrics = f"http://127.0.0.1:{port}/metrics"
    wait_until_ready(process, metrics, log, READY_TIMEOUT_S)
    return metrics
