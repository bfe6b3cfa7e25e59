"""Collect the live facts of a running target into its evidence bundle (`facts.json`).

`readiness run` calls this after the scenarios, while the target still runs; `readiness
assess` then needs only the bundle. Every collector reaches the target through its
descriptor, as it would a user's system.
"""

from collections.abc import Callable
from pathlib import Path

from assessment.collectors import Provenances
from assessment.collectors.declarations import collect_declarations
from assessment.collectors.live import collect_live
from assessment.collectors.logs import collect_logs
from assessment.collectors.stores import collect_stores
from assessment.facts import Fact, write_facts
from harness.target import Target

COLLECTORS = ("declarations", "live", "stores", "logs")


def collect(
    target: Target, bundle: Path, seed: int = 0, on_step: Callable[[str], None] | None = None
) -> Path:
    """Collect every fact about `target` and write them into `bundle`; the path written.
    `on_step` hears each collector's name as it starts (for a progress display)."""
    base = target.path.parent if target.path else Path.cwd()
    facts: list[Fact] = []
    for name in COLLECTORS:
        if on_step is not None:
            on_step(name)
        stamp = Provenances(name, target.digest)
        if name == "declarations":
            facts += collect_declarations(target.descriptor, base, stamp)
        elif name == "live":
            facts += collect_live(target, stamp, seed)
        elif name == "stores":
            load = next((f for f in facts if f.name == "low_load" and f.collected), None)
            sampled = load.value.get("request_ids", []) if load else []
            facts += collect_stores(target.descriptor, base, stamp, sampled)
        else:
            facts += collect_logs(target, base, stamp, keep=bundle / "logs")
    return write_facts(bundle, target.digest, facts)
