"""The declared logs, scanned for what must never be in a log: the target's own API keys,
and the canaries the harness planted in the declared personal-data columns (found in clear,
they prove the target logged personal data as it received it; nothing else the tool sends
can look like one)."""

from pathlib import Path

from assessment.collectors import Provenances
from assessment.facts import Fact
from harness.system.canaries import found_in
from harness.target import Target

PROVIDES = ("log_scan",)
MAX_BYTES = 50_000_000
ROLES = ("api", "admin")


def collect_logs(
    target: Target, base: Path, stamp: Provenances, keep: Path | None = None
) -> list[Fact]:
    """Scan the declared logs; `keep`: a folder to copy them into (the bundle's `logs/`), so
    the evidence outlives the deployment that wrote it."""
    descriptor = target.descriptor
    if not descriptor.logs:
        return [stamp.unavailable("log_scan", "descriptor", "no logs declared")]
    secrets = {role: key for role in ROLES if (key := target.key(role))}
    personal = descriptor.data.personal if descriptor.data else []
    sources, findings, lines = [], [], 0
    for declared in descriptor.logs:
        path = descriptor.resolve(declared, base)
        try:
            with path.open("rb") as handle:
                text = handle.read(MAX_BYTES).decode("utf-8", "replace")
        except OSError as problem:
            findings.append(f"{path}: unreadable ({problem.strerror})")
            continue
        sources.append(str(path))
        lines += text.count("\n")
        if keep is not None:  # a key found in a log must not spread into the bundle
            keep.mkdir(parents=True, exist_ok=True)
            redacted = text
            for role, key in secrets.items():
                redacted = redacted.replace(key, f"<{role} key redacted>")
            (keep / path.name).write_text(redacted)
        for role, key in secrets.items():
            if key in text:
                findings.append(f"{path.name}: the {role} key appears {text.count(key)} times")
        canaries = found_in(text)
        if canaries:
            findings.append(
                f"{path.name}: {len(canaries)} canaries in clear (planted by the harness in "
                f"the personal-data columns {', '.join(personal) or 'declared'}; first: "
                f"{canaries[0]})"
            )
    value = {
        "sources": sources,
        "lines": lines,
        "findings": findings,
        "checked": [*sorted(secrets), "canaries planted in personal-data columns"],
        "personal_columns": personal,
    }
    return [stamp.fact("log_scan", ", ".join(sources) or "descriptor", value)]
