"""The benchmark scripts print one JSON object each (README, "Benchmarks"): the
fastest of them, run as a user runs it, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_bench_recurrent_packed_only_prints_one_json_object_of_ratios():
    cmd = [sys.executable, str(BENCHMARKS / "bench_recurrent.py"), "--packed-only", "--quick"]
    done = subprocess.run(
        [*cmd, "--repeats", "1", "--threads", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, done.stdout
    report = json.loads(lines[0])
    for cell in ("lstm", "gru"):
        rows = report[f"packed_bidirectional_{cell}"]
        assert len(rows) == 2
        for row in rows.values():
            assert row[f"ratio_vs_torch_{cell}"] > 0
            assert row["tokens_per_s"] > 0
