"""Child of `benchmarks.edge`: the memory one model costs, in a process that holds nothing else.

Run by the benchmark as `python -m benchmarks.edge_memory MODEL ROWS PREDICTIONS`; prints one
JSON object. Only numpy and ONNX Runtime are imported, as on a device that serves the model.
Linux only: peak memory is read from /proc/self/status, because in a child started by
`subprocess` getrusage's peak is the parent's peak when that was larger (measured: 793 MB
reported in a 11 MB child), and the peak is reset once the imports are done so that their
transient allocations do not count against the model.
"""

import json
import re
import sys
from pathlib import Path

import numpy as np

from reference.platform.model.runtime import OnnxModel

STATUS = Path("/proc/self/status")


def _kib(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB$", STATUS.read_text(), re.MULTILINE)
    if match is None:
        raise SystemExit(f"{STATUS} has no {field}")
    return int(match.group(1))


def main(argv: list[str]) -> int:
    model_path, rows_path, predictions = Path(argv[1]), Path(argv[2]), int(argv[3])
    with np.load(rows_path) as saved:
        numeric, categorical = saved["numeric"], saved["categorical"]
    baseline = _kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # the peak restarts from the current RSS
    model = OnnxModel(model_path, threads=1)
    for i in range(predictions):
        row = i % len(numeric)
        model.predict(numeric[row : row + 1], categorical[row : row + 1])
    figures = {
        "baseline_rss_bytes": 1024 * baseline,
        "resident_bytes": 1024 * (_kib("VmRSS") - baseline),
        "peak_bytes": 1024 * (_kib("VmHWM") - baseline),
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
