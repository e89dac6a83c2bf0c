"""Ingest throughput and memory on the real raw CSV; prints one JSON object.

- ``single_file``: the shared raw CSV (90k rows) to validated Parquet, best of 5,
  in a warm process (imports and first-call costs excluded).
- ``streamed``: the same capture repeated (timestamps shifted so the file stays
  ordered) to 1.8 M and 7.2 M rows, each ingested in a fresh process: rows/s and
  peak resident memory, which must stay flat as the file grows.

Run: ``python benchmarks/ingest.py`` (or ``make bench``).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED_CSV = (
    Path(__file__).resolve().parents[2]
    / "shared/data/can-train-and-test-set_01/raw_csv_example__DoS-1.csv"
)
ROW_GROUP = 262_144


def ingest_once(path: Path) -> tuple[int, float]:
    """(rows, seconds) of one ingest of ``path`` into a temporary folder."""
    from kdgat.data.catalog import Capture
    from kdgat.data.formats import get_format
    from kdgat.data.ingest import ingest_capture

    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        report, _ = ingest_capture(
            Capture(path, "bench", "train"), get_format("can_csv"), Path(out), ROW_GROUP, 0.001
        )
        return report.rows, time.perf_counter() - start


def repeated_csv(copies: int, folder: Path) -> Path:
    """The shared capture ``copies`` times over, each copy shifted after the previous one."""
    header, *body = SHARED_CSV.read_text().splitlines()
    stamps = [float(line.split(",", 1)[0]) for line in body]
    rest = [line.split(",", 1)[1] for line in body]
    span = stamps[-1] - stamps[0] + 1.0
    path = folder / f"repeated_{copies}.csv"
    with path.open("w") as out:
        out.write(header + "\n")
        for copy in range(copies):
            shift = copy * span
            out.write("\n".join(f"{t + shift:.6f},{r}" for t, r in zip(stamps, rest, strict=True)))
            out.write("\n")
    return path


def child(path: str) -> None:
    """Subprocess mode: ingest once, print rows, seconds and peak RSS."""
    ingest_once(SHARED_CSV)  # warm-up: imports, first-call costs
    rows, seconds = ingest_once(Path(path))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_rss_mb": peak_mb}))


def main() -> None:
    if not SHARED_CSV.exists():
        print(json.dumps({"benchmark": "ingest", "skipped": f"{SHARED_CSV} not found"}))
        return
    ingest_once(SHARED_CSV)
    runs = [ingest_once(SHARED_CSV) for _ in range(5)]
    rows, best = runs[0][0], min(s for _, s in runs)
    result: dict[str, object] = {
        "benchmark": "ingest_can_csv",
        "target_rows_per_s": 1_500_000,
        "single_file": {
            "file": SHARED_CSV.name,
            "rows": rows,
            "seconds": round(best, 4),
            "rows_per_s": round(rows / best),
        },
        "streamed": [],
    }
    with tempfile.TemporaryDirectory() as folder:
        for copies in (20, 80):
            path = repeated_csv(copies, Path(folder))
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(path)],
                capture_output=True,
                text=True,
                check=True,
            )
            run = json.loads(out.stdout)
            run["rows_per_s"] = round(run["rows"] / run["seconds"])
            run["file_mb"] = round(path.stat().st_size / 2**20, 1)
            result["streamed"].append(run)  # type: ignore[attr-defined]
            path.unlink()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
