"""Small synthetic datasets built with the real simulator, ingest and graph stages."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kdgat.config import DatasetEntry, GraphParams
from kdgat.data.ingest import ingest_dataset
from kdgat.data.synth import write_dataset
from kdgat.layout import Layout
from kdgat.pipeline.graphs import build_graphs

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
    validation_attacks: list[str] | None = None,
) -> dict[str, Any]:
    """Simulate 4 ECUs into ``data/raw/<dataset>``, ingest into ``data/processed/<dataset>``
    and build graphs into ``data/graphs/<dataset>`` of the workspace ``root`` (``Layout``);
    return the graphs report. ``validation_attacks``: captures on a third vehicle that
    the entry names as its validation."""
    layout = Layout(root)
    raw, metrics = layout.raw(dataset), layout.metrics(dataset)
    write_dataset(
        raw,
        seed=seed,
        ecus=4,
        duration_s=duration_s,
        attack_free_captures=1,
        train_attacks=["dos", "fuzzing"],
        test_scenarios=scenarios,
        validation_attacks=validation_attacks,
    )
    entry = DatasetEntry(
        domain="can",
        format="can_csv",
        source="synth",
        train=["train_*"],
        validation=["val_01_*"] if validation_attacks else [],
        test={name: [SCENARIO_GLOBS[name]] for name in scenarios},
    )
    processed = layout.processed(dataset)
    ingest_dataset(dataset, entry, raw, processed.dir, metrics.ingest_report, 4096, 0.001)
    return build_graphs(dataset, params, processed, layout.graphs(dataset), metrics.graphs)


def wait_for_histories(runs: list[Path], timeout_s: float = 60) -> bool:
    """Whether every offline run has its ``.wandb`` history (wandb's service writes it late)."""
    deadline = time.monotonic() + timeout_s
    while not all(any(r.glob("*.wandb")) for r in runs) and time.monotonic() < deadline:
        time.sleep(0.5)
    return all(any(r.glob("*.wandb")) for r in runs)
