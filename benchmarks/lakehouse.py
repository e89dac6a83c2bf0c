"""The leaderboard over 10,000 runs' metrics, local and over a local S3 server; prints JSON.

10,000 runs (10 datasets x 11 models, 2 scenarios, 19 metrics each: 418,000 metric rows,
plus dvclive curves) arrive as 20 exports in one lakehouse folder. Timed:

- the leaderboard on the local folder as 20 exports (1,000 files), then compacted;
- the compacted lakehouse uploaded to ``moto_server`` (started with scripts/ci/start_s3.sh),
  connected to (manifests + every file fetched) and queried, cold and warm.

``*_query_s`` is the leaderboard SQL on an open connection; ``*_connect_s`` opens the
lakehouse for it (on S3: lists the manifests and fetches the tables the SQL reads, as
``kdgat query`` does); ``*_connect_all_tables_s`` fetches every table (as the notebook
does). Best of ``REPEATS``. Target: connect + query < 1 s.

Run: ``python benchmarks/lakehouse.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from kdgat.lakehouse.compact import compact
from kdgat.lakehouse.export import stamp, write_files
from kdgat.lakehouse.ids import stable_hash
from kdgat.lakehouse.query import connect, tables_for
from kdgat.lakehouse.store import open_lakehouse
from kdgat.lakehouse.tables import Rows
from kdgat.lakehouse.upload import upload_export

REPO = Path(__file__).resolve().parents[1]
RUNS, EXPORTS, DATASETS, REPEATS = 10_000, 20, 10, 3
MODELS = [
    "vgae", "gat", "vgae_small", "gat_small", "fusion_dqn", "fusion_avg", "fusion_stack",
    "fusion_dqn_small", "fusion_avg_small", "fusion_stack_small", "window_gbt",
]  # fmt: skip
SCENARIOS = ["known_vehicle_known_attack", "unknown_vehicle_unknown_attack"]
METRICS = [
    "accuracy", "precision", "recall", "f1", "auroc", "auprc", "mcc", "specificity", "fpr",
    "dr_at_1pct_fpr", "threshold", "tp", "fp", "tn", "fn", "graphs", "attack_fraction",
    "latency_ms", "params",
]  # fmt: skip
LEADERBOARD = "select * from leaderboard"


def export_rows(number: int, runs: int, rng: np.random.Generator) -> Rows:
    """One export of ``runs`` runs spread over the datasets, in the lakehouse's table shapes."""
    rows: Rows = {"runs": [], "metrics": [], "epoch_metrics": [], "datasets": [], "models": []}
    for i in range(runs):
        dataset, model = f"set_{i % DATASETS:02d}", MODELS[(i // DATASETS) % len(MODELS)]
        rid = stable_hash([number, i])
        family = "fusion" if model.startswith("fusion") else model.removesuffix("_small")
        size = "small" if model.endswith("_small") else "large"
        rows["runs"].append(
            {"dataset": dataset, "run_id": rid, "model": model, "status": "evaluated",
             "size": size, "git_revision": f"rev{number}", "family": family}
        )  # fmt: skip
        values = rng.uniform(0.5, 1.0, (len(SCENARIOS), len(METRICS)))
        rows["metrics"] += [
            {"dataset": dataset, "run_id": rid, "model": model, "scenario": s, "metric": m,
             "value": float(values[a, b])}
            for a, s in enumerate(SCENARIOS) for b, m in enumerate(METRICS)
        ]  # fmt: skip
        curves = ("train/loss", "val/loss", "val/f1") if model in ("gat", "vgae") else ()
        rows["epoch_metrics"] += [
            {"dataset": dataset, "run_id": rid, "epoch": e, "step": 10 * e, "name": name,
             "value": 1 / (e + 1)}
            for e in range(10) for name in curves
        ]  # fmt: skip
        rows["models"].append(
            {"dataset": dataset, "run_id": rid, "model": model, "parameters": 1000 + i}
        )
    rows["datasets"] = [
        {"dataset": f"set_{d:02d}", "data_hash": f"data-{d}", "domain": "can"}
        for d in range(DATASETS)
    ]
    return rows


def build_local(root: Path) -> dict[str, int]:
    """EXPORTS exports written into one folder, as they accumulate in a bucket."""
    rng = np.random.default_rng(0)
    for number in range(EXPORTS):
        rows = export_rows(number, RUNS // EXPORTS, rng)
        eid = stable_hash(number)
        write_files(stamp(rows, eid, datetime.now(UTC)), root, eid, f"rev{number}")
    return {"files": len(list(root.glob("**/*.parquet")))}


def best(action: Callable[[], Any], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return round(min(times), 4)


def timings(location: str, prefix: str) -> dict[str, Any]:
    """Opening the lakehouse for the leaderboard (as ``kdgat query`` does: only the tables
    the SQL reads), for everything (as the notebook does), and the query itself."""
    needed = tables_for(LEADERBOARD)
    start = time.perf_counter()
    con = connect(location, tables=needed)
    first = time.perf_counter() - start
    rows = len(con.execute(LEADERBOARD).fetchall())
    return {
        f"{prefix}_first_connect_s": round(first, 4),
        f"{prefix}_connect_s": best(lambda: connect(location, tables=needed)),
        f"{prefix}_connect_all_tables_s": best(lambda: connect(location)),
        f"{prefix}_query_s": best(lambda: con.execute(LEADERBOARD).fetchall()),
        f"{prefix}_leaderboard_rows": rows,
    }


def s3_server(state: Path) -> dict[str, str]:
    """moto_server on a free port, via the same script the tests use."""
    out = subprocess.run(
        [str(REPO / "scripts/ci/start_s3.sh"), "moto", str(state)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines())


def main() -> None:
    result: dict[str, Any] = {"runs": RUNS, "exports": EXPORTS, "datasets": DATASETS}
    with tempfile.TemporaryDirectory(prefix="kdgat-bench-") as tmp:
        lake = Path(tmp) / "lakehouse"
        result.update(build_local(lake))
        result["metric_rows"] = (
            connect(lake).execute("select count(*) from metrics").fetchall()[0][0]
        )
        result.update(timings(str(lake), "local_uncompacted"))
        start = time.perf_counter()
        compact(open_lakehouse(lake))
        result["compact_local_s"] = round(time.perf_counter() - start, 3)
        result["files_compacted"] = len(list(lake.glob("**/*.parquet")))
        result.update(timings(str(lake), "local"))
        os.environ.update(s3_server(Path(tmp) / "s3"))
        try:
            import boto3

            boto3.client("s3").create_bucket(Bucket="bench")
            result["upload_s"] = upload_export(lake, "s3://bench/lakehouse")["seconds"]
            result.update(timings("s3://bench/lakehouse", "s3"))
        finally:
            subprocess.run([str(REPO / "scripts/ci/stop_s3.sh"), str(Path(tmp) / "s3")], check=True)
        shutil.rmtree(lake)
    for where in ("local", "s3"):
        total = result[f"{where}_connect_s"] + result[f"{where}_query_s"]
        result[f"{where}_connect_plus_query_s"] = round(total, 4)
        result[f"{where}_under_1s"] = total < 1.0
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
