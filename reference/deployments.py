"""Every reference architecture started and stopped the same way: what `readiness up` and
`readiness down` call, so the differences between the architectures (the microservice's
serving alias and its switchable production features) live here, not in the CLI."""

from dataclasses import dataclass
from pathlib import Path

from readiness.descriptor import ARCHITECTURES
from readiness.errors import InvalidInput
from readiness.home import Home

PROFILES = ("production", "prototype")


@dataclass(frozen=True)
class UpOptions:
    profile: str = "production"
    alias: str = "champion"
    """The registry alias the production profile serves (the microservice)."""
    faults: bool = False
    """Enable the harness's fault hooks."""
    monitor_config: Path | None = None
    without: frozenset[str] = frozenset()
    """Production features switched off (the microservice only)."""


def architecture(name: str) -> str:
    if name not in ARCHITECTURES:
        raise InvalidInput(f"ARCH must be one of {', '.join(ARCHITECTURES)}, not '{name}'")
    return name


def up(home: Home, name: str, options: UpOptions) -> Path:
    """Start `name` in the options' profile; the path of the descriptor it wrote."""
    architecture(name)
    if options.profile not in PROFILES:
        raise InvalidInput(f"--profile must be production or prototype, not '{options.profile}'")
    if name == "microservice":
        from reference.microservice.deployment import up as start_microservice
        from reference.microservice.service import Profile

        return start_microservice(
            home, Profile(options.profile), options.alias, faults=options.faults,
            monitor_config=options.monitor_config, without=options.without,
        )  # fmt: skip
    if options.without:
        raise InvalidInput(f"--without is not available for the {name} architecture yet")
    if name == "event-driven":
        from reference.event_driven.deployment import up as start_stream

        return start_stream(home, options.profile, monitor_config=options.monitor_config,
                            faults=options.faults)  # fmt: skip
    from reference.edge.deployment import up as start_fleet

    return start_fleet(home, options.profile, monitor_config=options.monitor_config,
                       faults=options.faults)  # fmt: skip


def down(home: Home, name: str) -> bool:
    """Stop `name`; whether it was running."""
    architecture(name)
    if name == "event-driven":
        from reference.event_driven.deployment import down as stop
    elif name == "edge":
        from reference.edge.deployment import down as stop
    else:
        from reference.microservice.deployment import down as stop
    return stop(home)
