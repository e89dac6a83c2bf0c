"""Session fixtures: a tiny synthetic dataset's graphs, and every model trained on it.

Built once per test session and shared by the training, fusion and evaluation tests.
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest
import yaml

from kdgat.config import GraphParams, load_params
from kdgat.layout import Layout

from .helpers import synthetic_graphs
from .parallel import built_once

DATASET = "tiny"
REPO = Path(__file__).resolve().parents[1]


def tiny_params(**changes: object) -> dict:
    """params.yaml with the repository's model sizes, shrunk data and epochs."""
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params.update(datasets=[DATASET], epochs=2, batch_size=32, patience=10)
    params["dqn"].update(steps=300, eval_every=50, epsilon_decay_steps=200)
    params.update(changes)
    return params


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
    """A workspace where every training stage has run: train_vgae, train_gat (with curriculum),
    distill and the other classifiers' (``kdgat.pipeline.models``), teachers first."""
    from kdgat.pipeline.models import MODELS

    def build(root: Path) -> None:
        (root / "data").mkdir()
        for part in ("graphs", "processed"):
            shutil.copytree(graphs_root / "data" / part, root / "data" / part)
        layout = Layout(root)
        layout.params.write_text(yaml.safe_dump(tiny_params(), sort_keys=False))
        p = load_params(layout.params)
        for stage in dict.fromkeys(m.stage for m in MODELS.values()):  # teachers first
            importlib.import_module(f"kdgat.pipeline.{stage}").run(DATASET, p, layout)

    return built_once(tmp_path_factory, "trained", build)
