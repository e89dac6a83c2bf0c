"""Which dvc.yaml stage names a submission fans out over: datasets, and seeds where it trains."""

from __future__ import annotations

from pathlib import Path

import pytest

from kdgat.errors import SlurmError
from kdgat.slurm.submit import chain_names, pipeline_stages, resolve_target

REPO = Path(__file__).resolve().parents[2]


def test_training_stages_fan_out_over_datasets_and_seeds() -> None:
    names = chain_names(REPO, "train_dqn", ["synth", "can_sample"], [42, 43])
    assert names == [
        "train_dqn@synth-42",
        "train_dqn@synth-43",
        "train_dqn@can_sample-42",
        "train_dqn@can_sample-43",
    ]


def test_data_stages_fan_out_over_datasets_only() -> None:
    assert chain_names(REPO, "graphs", ["synth", "can_sample"], [42, 43]) == [
        "graphs@synth",
        "graphs@can_sample",
    ]


def test_the_default_target_is_the_last_per_dataset_stage() -> None:
    per_dataset, every = pipeline_stages(REPO)
    assert {"ingest", "graphs", "train_gat", "evaluate"} <= set(per_dataset)
    assert "export" in every
    assert "export" not in per_dataset
    assert resolve_target(REPO, None) == per_dataset[-1] == "evaluate"
    with pytest.raises(SlurmError, match="not a per-dataset stage"):
        resolve_target(REPO, "export")
