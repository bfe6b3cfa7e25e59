"""The catalogue of evidence is exactly what the collectors provide."""

from assessment.collectors import bundle, declarations, live, logs, stores
from assessment.evidence import EVIDENCE
from assessment.rubric import rubric

ENGINE = ("findings",)


def test_the_collectors_provide_exactly_the_catalogued_evidence() -> None:
    provided = [
        *declarations.PROVIDES,
        *live.PROVIDES,
        *stores.PROVIDES,
        *logs.PROVIDES,
        *bundle.PROVIDES,
        *ENGINE,
    ]
    assert sorted(provided) == sorted(EVIDENCE)


def test_every_catalogued_evidence_is_read_by_some_probe() -> None:
    read = {name for probe in rubric().probes for name in probe.evidence}
    assert sorted(set(EVIDENCE) - read) == ["attestations"]  # read by the engine itself
