"""A tiny workspace with ingested synthetic data and graph stores, for training tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kdgat.config import GraphParams

from ..conftest import REPO
from ..helpers import synthetic_graphs

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
    params = GraphParams(window=50, stride=50, val_fraction=0.3)
    scenarios = {"known_vehicle_known_attack": ["dos"]}
    synthetic_graphs(root, DATASET, params, scenarios, seed=5, duration_s=3.0)
    return root


@pytest.fixture
def workspace(graphs_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding the tiny graphs and a params.yaml (cwd for the test)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data/graphs").symlink_to(graphs_root / "data/graphs")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(tiny_params(), sort_keys=False))
    monkeypatch.chdir(tmp_path)
    return tmp_path
