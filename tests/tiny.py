"""Session fixtures: a tiny synthetic dataset's graphs, and the four models trained on it.

Built once per test session and shared by the training, fusion and evaluation tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from kdgat.config import GraphParams, load_params

from .helpers import synthetic_graphs

DATASET = "tiny"
REPO = Path(__file__).resolve().parents[1]


def tiny_params(**changes: object) -> dict:
    """params.yaml with the repository's model sizes, shrunk data and epochs."""
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params.update(datasets=[DATASET], epochs=2, batch_size=32, patience=10)
    params["dqn"].update(steps=300, eval_every=50, epsilon_decay_steps=200)
    params.update(changes)
    return params


@contextmanager
def inside(folder: Path) -> Iterator[None]:
    """Run with ``folder`` as the working directory (stages use relative paths)."""
    previous = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


@pytest.fixture(scope="session")
def graphs_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data/graphs/tiny (and data/processed/tiny) inside a fresh folder."""
    root = tmp_path_factory.mktemp("workspace")
    params = GraphParams(window=50, stride=50, val_fraction=0.3)
    scenarios = {
        "known_vehicle_known_attack": ["dos"],
        "unknown_vehicle_unknown_attack": ["masquerade"],
    }
    synthetic_graphs(root, DATASET, params, scenarios, seed=5, duration_s=3.0)
    return root


@pytest.fixture(scope="session")
def trained(graphs_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace where train_vgae, train_gat (with curriculum) and distill have run."""
    from kdgat.training import stages

    root = tmp_path_factory.mktemp("trained")
    (root / "data").mkdir()
    for part in ("graphs", "processed"):
        (root / "data" / part).symlink_to(graphs_root / "data" / part)
    (root / "params.yaml").write_text(yaml.safe_dump(tiny_params(), sort_keys=False))
    with inside(root):
        p = load_params(root / "params.yaml")
        stages.train_vgae(DATASET, p)
        stages.train_gat(DATASET, p)
        stages.distill(DATASET, p)
    return root
