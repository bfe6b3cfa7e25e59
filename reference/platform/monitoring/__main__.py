"""`python -m reference.platform.monitoring`: the monitor service as a process beside a
deployment. It reads the deployment's audit store and the gateway's own metrics (at
`--admin-url`), exports its metrics on 127.0.0.1, and acts through the deployment's admin
API; it stops cleanly on SIGTERM or SIGINT."""

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from prometheus_client import start_http_server

from readiness.errors import ReadinessError
from readiness.home import Home
from reference.platform.alerting.actions import AlertActions, HttpModelAdmin, Retrainer, Sinks
from reference.platform.alerting.engine import AlertEngine
from reference.platform.alerting.rules import load_rules
from reference.platform.audit.prediction_log import PredictionLog
from reference.platform.audit.retention import prune, retention_policy
from reference.platform.explain.schedule import run_scheduled
from reference.platform.explain.scheduled_report import ChampionReport, report_on_schedule
from reference.platform.model.fairness import load_policy
from reference.platform.model.registry import ModelRegistry
from reference.platform.monitoring.config import MonitorConfig, RetentionConfig, load_config
from reference.platform.monitoring.fallback import GatewayScrape
from reference.platform.monitoring.feeds import labelled_feed
from reference.platform.monitoring.metrics import MonitorMetrics
from reference.platform.monitoring.reference_store import RegistryReferences
from reference.platform.monitoring.service import MonitorService
from reference.platform.monitoring.store import MonitorStore

LOG = logging.getLogger("reference.platform.monitoring")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference.platform.monitoring")
    parser.add_argument("--audit-url", required=True, help="the deployment's audit store")
    parser.add_argument("--tracking-uri", required=True, help="MLflow registry of the models")
    parser.add_argument("--work", type=Path, required=True, help="folder for sinks and caches")
    parser.add_argument("--config", type=Path, help="monitor configuration YAML")
    parser.add_argument("--admin-url", help="base URL of the deployment's admin API")
    parser.add_argument("--admin-key-variable", default="READINESS_MONITOR_ADMIN_KEY",
                        help="environment variable holding the admin API key")  # fmt: skip
    parser.add_argument("--metrics-port", type=int, default=0, help="0: no metrics server")
    parser.add_argument("--model", default="adult-income", help="the served model's name")
    parser.add_argument("--home", type=Path, help="READINESS_HOME that retraining trains in")
    parser.add_argument("--target", type=Path, help="descriptor retraining shadows through")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        service = build(args)
    except ReadinessError as error:
        sys.stderr.write(f"monitor: {error}\n")
        return 2
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    if args.metrics_port:
        start_http_server(args.metrics_port, addr="127.0.0.1", registry=service.metrics.registry)
    config = service.config.global_report
    if config.enabled:
        reports = ChampionReport(ModelRegistry(args.tracking_uri), PredictionLog(args.audit_url),
                                 args.model, args.work / "models", config.rows)  # fmt: skip
        report_on_schedule(reports, args.work / "reports", config.every_seconds, stopping)
    if service.config.retention.enabled:
        prune_on_schedule(args.audit_url, service.config.retention, stopping)
    sys.stderr.write("monitor: running\n")
    service.run(stopping)
    return 0


def prune_on_schedule(url: str, config: RetentionConfig, stop: threading.Event) -> threading.Thread:
    """A daemon thread pruning the audit store to its retention policy now and then every
    period; a refused prune (broken chains) is logged and retried next period."""
    policy = retention_policy(config.policy)

    def loop() -> None:
        run_scheduled(config.every_seconds, lambda: prune(url, policy, by="monitor"),
                      lambda report: LOG.info("pruned to %s: %s", report.cutoff, report.tables),
                      stop)  # fmt: skip

    thread = threading.Thread(target=loop, name="retention", daemon=True)
    thread.start()
    return thread


def build(args: argparse.Namespace) -> MonitorService:
    config = load_config(args.config)
    admin = None
    if args.admin_url:
        key = os.environ.get(args.admin_key_variable, "")
        admin = HttpModelAdmin(args.admin_url, key)
    sinks = Sinks(folder=args.work / "alerts", page_webhook=config.page_webhook,
                  ticket_webhook=config.ticket_webhook)  # fmt: skip
    metrics = MonitorMetrics()
    actions = AlertActions(sinks, admin, _retrainer(config, args.home, args.target),
                           frozenset(config.disabled_actions))  # fmt: skip
    engine = AlertEngine(load_rules(config.rules), actions)
    log = PredictionLog(args.audit_url)
    return MonitorService(
        config,
        MonitorStore(args.audit_url),
        RegistryReferences(ModelRegistry(args.tracking_uri), args.work / "references"),
        engine,
        labelled=labelled_feed(log),
        labels_after=log.last_feedback_seq(),
        fairness_policy=load_policy(config.fairness.policy),
        metrics=metrics,
        gateway=GatewayScrape.at(args.admin_url) if args.admin_url else None,
    )


def _retrainer(config: MonitorConfig, home: Path | None, target: Path | None) -> Retrainer | None:
    """`readiness retrain` in `home` for the `retrain` action; None when off or homeless."""
    wanted = config.retraining
    if not wanted.enabled or home is None:
        return None
    from reference.platform.retraining.launcher import SubprocessRetrainer

    arguments = [*(["--target", str(target)] if target else []),
                 *(["--quick"] if wanted.quick else []),
                 *(["--policy", str(wanted.policy)] if wanted.policy else [])]  # fmt: skip
    return SubprocessRetrainer(Home(home), arguments)


if __name__ == "__main__":
    sys.exit(main())
