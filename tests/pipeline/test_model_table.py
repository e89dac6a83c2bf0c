"""The model table (kdgat.pipeline.models) agrees with the networks, params.yaml and dvc.yaml."""

from __future__ import annotations

import pytest
import yaml

from kdgat.config import load_params
from kdgat.models.registry import NETWORKS
from kdgat.pipeline.models import CURRICULUM_SCORER, MODELS, PAIRS, trained_by

from .workspace import REPO

PARAMS = load_params(REPO / "params.yaml")
DVC = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
SEEDED = "models/${item.dataset}/seed_${item.seed}"  # a training stage's matrix: dataset x seed


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_has_a_network_a_size_and_a_stage(name: str) -> None:
    model = MODELS[name]
    assert model.network in NETWORKS
    section = getattr(PARAMS, model.section)
    assert getattr(section, model.size) is not None, f"params.yaml: {model.section}.{model.size}"
    assert model.teacher is None or MODELS[model.teacher].network == model.network
    outs = DVC[model.stage]["outs"]
    assert f"{SEEDED}/{name}" in outs, f"dvc.yaml stage {model.stage} must output it"
    assert f"{SEEDED}/{name}" in DVC["evaluate"]["deps"], "evaluate reads it"


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_model_stage_depends_on_its_section_and_its_teacher(name: str) -> None:
    model = MODELS[name]
    stage = DVC[model.stage]
    params = stage["params"]
    assert model.section in params or f"{model.section}.{model.size}" in params
    if model.teacher:
        assert f"{SEEDED}/{model.teacher}" in stage["deps"]


def test_pairs_join_an_autoencoder_and_a_classifier() -> None:
    for autoencoder, classifier in PAIRS.values():
        assert NETWORKS[MODELS[autoencoder].network].role == "autoencoder"
        assert NETWORKS[MODELS[classifier].network].role == "classifier"
    assert NETWORKS[MODELS[CURRICULUM_SCORER].network].role == "autoencoder"


def test_stages_train_what_the_table_says() -> None:
    assert [m.name for m in trained_by("distill")] == ["vgae_small", "gat_small"]
    assert [m.name for m in trained_by("train_gin")] == ["gin"]
