"""A tiny workspace with ingested synthetic data and graph stores, for training tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kdgat.config import DatasetEntry, GraphParams
from kdgat.data.ingest import ingest_dataset
from kdgat.data.synth import write_dataset
from kdgat.graphs.build import build_dataset

from ..conftest import REPO

DATASET = "tiny"


def tiny_params(**changes: object) -> dict:
    """params.yaml with the repository's model sizes, shrunk data and epochs."""
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params.update(datasets=[DATASET], epochs=2, batch_size=32, patience=10)
    params.update(changes)
    return params


@pytest.fixture(scope="session")
def graphs_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data/graphs/tiny (and data/processed/tiny) inside a fresh folder."""
    root = tmp_path_factory.mktemp("workspace")
    write_dataset(
        root / "raw",
        seed=5,
        ecus=4,
        duration_s=3.0,
        attack_free_captures=1,
        train_attacks=["dos", "fuzzing"],
        test_scenarios={"known_vehicle_known_attack": ["dos"]},
    )
    entry = DatasetEntry(
        domain="can",
        format="can_csv",
        source="synth",
        train=["train_*"],
        test={"known_vehicle_known_attack": ["test_01_*"]},
    )
    processed = root / "data/processed" / DATASET
    ingest_dataset(DATASET, entry, root / "raw", processed, root / "ingest.json", 4096, 0.001)
    params = GraphParams(window=50, stride=50, val_fraction=0.3)
    build_dataset(DATASET, processed, root / "data/graphs" / DATASET, root / "graphs.json", params)
    return root


@pytest.fixture
def workspace(graphs_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding the tiny graphs and a params.yaml (cwd for the test)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data/graphs").symlink_to(graphs_root / "data/graphs")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(tiny_params(), sort_keys=False))
    monkeypatch.chdir(tmp_path)
    return tmp_path
