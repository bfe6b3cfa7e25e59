"""Every reference architecture started and stopped the same way: what `readiness up` and
`readiness down` call, so the differences between the architectures (the microservice's
serving alias and its switchable production features) live here, not in the CLI."""

from dataclasses import dataclass
from pathlib import Path

from readiness.descriptor import ARCHITECTURES
from readiness.errors import InvalidInput
from readiness.home import Home
from readiness.libraries import quiet_libraries
from reference.platform.deploy.profile import profile_of


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
    profile = profile_of(options.profile)
    if name != "microservice" and options.without:
        raise InvalidInput(f"--without is not available for the {name} architecture yet")
    if name == "microservice":
        from reference.microservice.deployment import up as start_microservice

        quiet_libraries()  # after the import: MLflow sets its own log level on import
        return start_microservice(
            home, profile, options.alias, faults=options.faults,
            monitor_config=options.monitor_config, without=options.without,
        )  # fmt: skip
    if name == "event-driven":
        from reference.event_driven.deployment import up as start_stream

        quiet_libraries()
        return start_stream(home, profile, monitor_config=options.monitor_config,
                            faults=options.faults)  # fmt: skip
    from reference.edge.deployment import up as start_fleet

    quiet_libraries()
    return start_fleet(home, profile, monitor_config=options.monitor_config, faults=options.faults)


def down(home: Home, name: str) -> bool:
    """Stop `name`; whether it was running."""
    architecture(name)
    if name == "event-driven":
        from reference.event_driven.supervision import down as stop
    elif name == "edge":
        from reference.edge.supervision import down as stop
    else:
        from reference.microservice.supervision import down as stop
    return stop(home)
