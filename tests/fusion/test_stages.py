"""Fusion and evaluation stages end to end on the tiny trained workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from kdgat.config import load_params
from kdgat.errors import KdgatError
from kdgat.evaluation.stage import evaluate
from kdgat.fusion import stages
from kdgat.fusion.window_baseline import window_baseline
from kdgat.graphs.store import open_store
from kdgat.report import evaluation_table

from ..tiny import DATASET, inside

pytestmark = pytest.mark.slow

SCENARIOS = ["known_vehicle_known_attack", "unknown_vehicle_unknown_attack"]
SINGLE = ["vgae", "gat", "vgae_small", "gat_small"]
FUSED = [f"fusion_{v}{s}" for s in ("", "_small") for v in ("dqn", "avg", "stack")]
METRICS = {
    "accuracy",
    "precision",
    "recall",
    "f1",
    "auroc",
    "auprc",
    "mcc",
    "specificity",
    "fpr",
    "dr_at_1pct_fpr",
    "threshold",
    "tp",
    "fp",
    "tn",
    "fn",
    "graphs",
    "attack_fraction",
    "latency_ms",
    "params",
}


@pytest.fixture(scope="module")
def evaluated(trained: Path) -> Path:
    """window_baseline, fusion_state, train_dqn and evaluate, run in order."""
    with inside(trained):
        p = load_params(Path("params.yaml"))
        window_baseline(DATASET, p)
        stages.fusion_state(DATASET, p)
        stages.train_fusion(DATASET, p)
        evaluate(DATASET, p)
    return trained


def test_state_has_a_row_per_graph_for_both_pairs_and_every_split(evaluated: Path) -> None:
    with inside(evaluated):
        for pair in ("teacher", "student"):
            for split in ["train", "val", *SCENARIOS]:
                state = stages.read_state(DATASET, pair, split)
                store = open_store(Path("data/graphs") / DATASET / split)
                assert len(state) == len(store) and state.states.shape[1] == 12
                assert (state.s_vgae >= 0).all() and (state.s_vgae <= 1).all()


def test_each_capture_is_its_own_baseline_across_train_and_val(evaluated: Path) -> None:
    """A capture's first window (train and val together, in time order) is its baseline."""
    with inside(evaluated):
        rows = []
        for split in ["train", "val", *SCENARIOS]:
            table = pq.read_table(Path("data/fusion") / DATASET / "teacher" / f"{split}.parquet")
            graphs = open_store(Path("data/graphs") / DATASET / split).arrays
            rows += zip(graphs.capture, graphs.start, table["s_vgae_rel"].to_numpy(), strict=True)
    first: dict[int, tuple[int, float]] = {}
    for capture, start, relative in rows:
        if capture not in first or start < first[capture][0]:
            first[capture] = (start, relative)
    assert len(first) > 2 and all(relative == 0 for _, relative in first.values())


def test_evaluation_covers_every_model_scenario_and_metric(evaluated: Path) -> None:
    evaluation = json.loads((evaluated / "metrics" / DATASET / "evaluation.json").read_text())
    assert set(evaluation) == {*SINGLE, *FUSED, "window_gbt"}
    for model, by_scenario in evaluation.items():
        assert list(by_scenario) == SCENARIOS, model
        for m in by_scenario.values():
            assert set(m) == METRICS, model
            assert m["tp"] + m["fp"] + m["tn"] + m["fn"] == m["graphs"] > 0
            assert m["latency_ms"] > 0
    known = SCENARIOS[0]
    assert evaluation["gat_small"][known]["params"] * 10 <= evaluation["gat"][known]["params"]
    pair = evaluation["vgae"][known]["params"] + evaluation["gat"][known]["params"]
    assert evaluation["fusion_avg"][known]["params"] == pair + 1


def test_fusion_choices_are_recorded_with_validation_thresholds(evaluated: Path) -> None:
    for pair in ("teacher", "student"):
        info = json.loads(
            (evaluated / "models" / DATASET / "fusion" / pair / "fusion.json").read_text()
        )
        assert info["selected_on"] in ("val", "train+val")
        assert set(info["thresholds"]) == {"dqn", "avg", "stack"}
        assert 0 <= info["average_alpha"] <= 1 and info["dqn"]["best_step"] > 0


def test_plots_and_report_table(evaluated: Path) -> None:
    plots = evaluated / "metrics" / DATASET / "plots"
    for model in [*SINGLE, *FUSED, "window_gbt"]:
        assert (plots / "confusion" / f"{model}.png").stat().st_size > 1000
        roc = (plots / "roc" / f"{SCENARIOS[0]}__{model}.csv").read_text().splitlines()
        assert roc[0] == "fpr,tpr" and roc[-1] == "1,1"
    table = evaluation_table([DATASET], evaluated / "metrics")
    assert "fusion_dqn_small" in table and SCENARIOS[1][:26] in table and "AUROC" in table


def test_evaluate_before_fusion_says_which_stage_to_run(trained: Path, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data/graphs").symlink_to(trained / "data/graphs")
    (tmp_path / "models").symlink_to(trained / "models")
    with inside(tmp_path), pytest.raises(KdgatError, match=r"dvc repro fusion_state@tiny"):
        stages.read_state(DATASET, "teacher", "train")
