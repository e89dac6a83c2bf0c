"""Training stages end to end on tiny data: teachers, curriculum, students, outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kdgat.training.artifacts import load_model

from .conftest import DATASET

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", ["vgae", "gat", "gat_small", "vgae_small"])
def test_every_model_has_weights_threshold_card_and_live_metrics(trained: Path, name: str) -> None:
    folder = trained / "models" / DATASET / name
    model, arguments = load_model(folder)
    threshold = json.loads((folder / "thresholds.json").read_text())
    assert threshold["method"] == "max_f1"
    assert threshold["threshold"] == threshold["threshold"]  # a number, never NaN
    card = json.loads((folder / "model_card.json").read_text())
    assert card["parameters"] == sum(p.numel() for p in model.parameters())
    assert card["architecture"]["arguments"] == arguments
    assert card["data_hash"] and card["git_revision"]
    assert set(card["validation"]["val"]) >= {"f1", "auroc", "mcc"}
    metrics = json.loads((trained / "dvclive" / name / DATASET / "metrics.json").read_text())
    assert "loss" in metrics["val"] and "loss" in metrics["train"]
    assert not (trained / ".kdgat" / "runs" / f"{name}_{DATASET}").exists()  # cleaned up


def test_students_are_ten_times_smaller(trained: Path) -> None:
    def size(name: str) -> int:
        return json.loads((trained / "models" / DATASET / name / "model_card.json").read_text())[
            "parameters"
        ]

    assert size("gat") >= 10 * size("gat_small")
    assert size("vgae") >= 10 * size("vgae_small")


def test_gat_learns_the_tiny_task(trained: Path) -> None:
    card = json.loads((trained / "models" / DATASET / "gat" / "model_card.json").read_text())
    assert card["validation"]["val"]["auroc"] > 0.8
