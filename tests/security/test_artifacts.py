"""Loading a model never runs code: a pickle planted under each artifact's name is refused.

A model pulled from a shared remote (``dvc pull``) is as trusted as its uploader. Every
artifact kdgat loads is plain tensors, arrays or JSON; a file that needs unpickling of
anything else is refused with the command that rebuilds it, and nothing in it runs.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch

from kdgat.baselines.window_gbt import BoostedTrees
from kdgat.errors import KdgatError
from kdgat.fusion.models import FusionModels
from kdgat.io import write_json
from kdgat.layout import FusionFiles, ModelFiles
from kdgat.models.dqn import QNetwork
from kdgat.models.gin import GINClassifier
from kdgat.training.artifacts import load_model

RAN: list[str] = []


class Planted:
    """An object whose unpickling appends to RAN: proof that loading ran code."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (RAN.append, ("planted code ran",))


@pytest.fixture(autouse=True)
def nothing_ran():
    RAN.clear()
    yield
    assert RAN == [], "loading an artifact ran code from it"


def plant(path: Path, how: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if how == "torch":
        torch.save({"kind": "gat", "arguments": Planted(), "state_dict": {}}, path)
    else:
        path.write_bytes(pickle.dumps(Planted()))


@pytest.mark.parametrize("how", ["torch", "pickle"])
def test_model_weights(tmp_path: Path, how: str) -> None:
    files = ModelFiles(tmp_path)
    plant(files.weights, how)
    with pytest.raises(KdgatError, match=r"refused.*rebuild it with `dvc repro`"):
        load_model(files)


def test_a_whole_pickled_module_from_an_older_kdgat(tmp_path: Path) -> None:
    files = ModelFiles(tmp_path)
    model = GINClassifier(
        in_channels=3, edge_dim=2, vocab_size=4, embedding_dim=2, hidden_channels=4, num_layers=1
    )
    torch.save(model, files.weights)
    with pytest.raises(KdgatError, match="older kdgat"):
        load_model(files)


@pytest.mark.parametrize("artifact", ["dqn", "info", "stacker"])
def test_fusion_models(tmp_path: Path, artifact: str) -> None:
    files = FusionFiles(tmp_path)
    experts = {
        "experts": ["gat", "vgae"],
        "levels": 3,
        "average_weights": {"gat": 0.5, "vgae": 0.5},
        "deviation_margin": 0.5,
    }
    # an older kdgat's fusion.json had one GAT weight and no experts
    write_json(files.info, {"average_alpha": 0.5} if artifact == "info" else experts)
    plant(files.dqn, "torch")
    if artifact != "dqn":  # a valid DQN, so the next file is what gets read
        q = QNetwork(state_dim=2, num_actions=3, hidden=4)
        torch.save({"arguments": q.arguments, "state_dict": q.state_dict()}, files.dqn)
    plant(files.stacker, "pickle")
    with pytest.raises(KdgatError, match="dvc repro train_dqn"):
        FusionModels.load(files)


def test_window_baseline(tmp_path: Path) -> None:
    plant(tmp_path / "model.npz", "pickle")
    with pytest.raises(KdgatError, match="dvc repro window_baseline"):
        BoostedTrees.load(tmp_path / "model.npz")
