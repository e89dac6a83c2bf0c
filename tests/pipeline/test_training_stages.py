"""Training stages (kdgat.pipeline.train_vgae, train_gat, distill) end to end on tiny data.

Teachers, curriculum, students and their outputs, in the session's ``trained`` workspace.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kdgat.layout import Layout
from kdgat.pipeline.models import MODELS
from kdgat.training.artifacts import load_model

from ..tiny import DATASET

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_has_weights_threshold_card_and_live_metrics(trained: Path, name: str) -> None:
    layout = Layout(trained)
    files = layout.model(DATASET, name)
    model, arguments = load_model(files)
    threshold = json.loads(files.thresholds.read_text())
    assert threshold["method"] == "max_f1"
    assert threshold["threshold"] == threshold["threshold"]  # a number, never NaN
    card = json.loads(files.card.read_text())
    assert card["parameters"] == sum(p.numel() for p in model.parameters())
    assert card["architecture"]["arguments"] == arguments
    assert card["data_hash"]
    assert card["validation"]["threads"] == 1  # what bit-identical reruns need to match
    assert set(card["validation"]["val"]) >= {"f1", "auroc", "mcc"}
    metrics = json.loads((layout.dvclive(name, DATASET) / "metrics.json").read_text())
    assert "loss" in metrics["val"]
    assert "loss" in metrics["train"]
    assert not layout.run(f"{name}@{DATASET}").exists()  # cleaned up


def test_students_are_ten_times_smaller(trained: Path) -> None:
    def size(name: str) -> int:
        card = Layout(trained).model(DATASET, name).card
        return int(json.loads(card.read_text())["parameters"])

    assert size("gat") >= 10 * size("gat_small")
    assert size("vgae") >= 10 * size("vgae_small")


def test_gat_learns_the_tiny_task(trained: Path) -> None:
    card = json.loads(Layout(trained).model(DATASET, "gat").card.read_text())
    assert card["validation"]["val"]["auroc"] > 0.8
