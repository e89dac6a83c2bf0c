"""Small synthetic datasets built with the real simulator, ingest and graph stages."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kdgat.config import DatasetEntry, GraphParams
from kdgat.data.ingest import ingest_dataset
from kdgat.data.synth import write_dataset
from kdgat.graphs.build import build_dataset

SCENARIO_GLOBS = {
    "known_vehicle_known_attack": "test_01_*",
    "unknown_vehicle_unknown_attack": "test_04_*",
}


def synthetic_graphs(
    root: Path,
    dataset: str,
    params: GraphParams,
    scenarios: dict[str, list[str]],
    seed: int,
    duration_s: float,
) -> dict[str, Any]:
    """Simulate 4 ECUs into ``root/raw``, ingest into ``root/data/processed/<dataset>``
    and build graphs into ``root/data/graphs/<dataset>``; return the graphs report."""
    write_dataset(
        root / "raw",
        seed=seed,
        ecus=4,
        duration_s=duration_s,
        attack_free_captures=1,
        train_attacks=["dos", "fuzzing"],
        test_scenarios=scenarios,
    )
    entry = DatasetEntry(
        domain="can",
        format="can_csv",
        source="synth",
        train=["train_*"],
        test={name: [SCENARIO_GLOBS[name]] for name in scenarios},
    )
    processed = root / "data/processed" / dataset
    ingest_dataset(dataset, entry, root / "raw", processed, root / "ingest.json", 4096, 0.001)
    graphs = root / "data/graphs" / dataset
    return build_dataset(dataset, processed, graphs, root / "graphs.json", params)


def wait_for_histories(runs: list[Path], timeout_s: float = 60) -> bool:
    """Whether every offline run has its ``.wandb`` history (wandb's service writes it late)."""
    deadline = time.monotonic() + timeout_s
    while not all(any(r.glob("*.wandb")) for r in runs) and time.monotonic() < deadline:
        time.sleep(0.5)
    return all(any(r.glob("*.wandb")) for r in runs)
