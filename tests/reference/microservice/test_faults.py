"""The fault file every replica reads."""

from pathlib import Path

from reference.microservice.faults import Fault, FaultFile, FaultState


def test_no_file_means_no_fault(tmp_path: Path) -> None:
    assert FaultFile(tmp_path / "faults.json").read() == FaultState()


def test_a_written_fault_is_seen_by_another_reader(tmp_path: Path) -> None:
    FaultFile(tmp_path / "faults.json").write(FaultState(fault=Fault.SLOW, delay_ms=50))
    assert FaultFile(tmp_path / "faults.json").read() == FaultState(fault=Fault.SLOW, delay_ms=50)


def test_a_corrupt_file_keeps_the_last_good_state(tmp_path: Path) -> None:
    faults = FaultFile(tmp_path / "faults.json")
    faults.write(FaultState(fault=Fault.DEVICE_ERROR))
    assert faults.read().fault is Fault.DEVICE_ERROR
    (tmp_path / "faults.json").write_text("{not json")
    assert faults.read().fault is Fault.DEVICE_ERROR
