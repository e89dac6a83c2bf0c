"""A small lakehouse exported from the fake workspace, with every table the figures read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kdgat.lakehouse.collect import collect
from kdgat.lakehouse.export import write_export
from kdgat.layout import Layout

from ..lakehouse.workspace import write_dataset

INFO = {"domain": "can", "format": "can_csv", "source": "synth"}
# Operational metrics the evaluate stage writes and the fake workspace leaves out.
DETECTION = {
    "attacks": 4.0,
    "detected_share": 0.75,
    "median_delay_s": 0.2,
    "median_delay_frames": 20.0,
    "max_delay_s": 0.9,
    "false_alarms_per_hour": 3.0,
}


def make_lakehouse(root: Path, seeds: tuple[int, ...] = (42, 43)) -> Path:
    """Export the fake workspace of ``seeds`` (dataset synth) to ``root/lakehouse``."""
    for i, seed in enumerate(seeds):
        write_dataset(root, "synth", seed=i, training_seed=seed)
        path = Layout(root, seed).evaluation("synth").evaluation
        evaluation = json.loads(path.read_text())
        for by_scenario in evaluation.values():
            for metrics in by_scenario.values():
                metrics.update({k: v * (1 + i / 10) for k, v in DETECTION.items()})
        path.write_text(json.dumps(evaluation))
    rows = collect(Layout(root), {"synth": INFO}, "r1", {"lr": 0.001}, seeds=list(seeds))
    write_export(rows, root / "lakehouse", "r1")
    return root / "lakehouse"


@pytest.fixture(scope="session")
def lakehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_lakehouse(tmp_path_factory.mktemp("figures-ws"))
