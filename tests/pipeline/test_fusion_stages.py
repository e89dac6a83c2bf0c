"""Stages window_baseline, fusion_state, train_dqn and evaluate on the tiny trained workspace.

They run in-process on ``Layout(trained)`` (``kdgat.pipeline.<stage>.run``), in dvc.yaml's order.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from kdgat.config import load_params
from kdgat.errors import KdgatError
from kdgat.fusion.models import FusionModels
from kdgat.fusion.novelty import NoveltyAlarm
from kdgat.fusion.state import read_state
from kdgat.graphs.store import open_store
from kdgat.layout import TRAIN, VAL, Layout
from kdgat.pipeline import evaluate, fusion_state, train_dqn, window_baseline
from kdgat.pipeline.models import MODELS
from kdgat.report import evaluation_table
from kdgat.timings import read_timings

from ..tiny import DATASET

pytestmark = pytest.mark.slow

SCENARIOS = ["known_vehicle_known_attack", "unknown_vehicle_unknown_attack"]
SPLITS = [TRAIN, VAL, *SCENARIOS]
EXPERTS = ("gat", "vgae", "window_gbt")  # params.yaml's fusion.experts
WEIGHTS = {f"{expert}_weight" for expert in EXPERTS}
SINGLE = list(MODELS)  # every trained model: teachers, students, other classifiers
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
    "false_alarms_per_hour",
    "attacks",
    "detected_share",
    "median_delay_s",
    "median_delay_frames",
    "max_delay_s",
    "params",
}


@pytest.fixture(scope="module")
def evaluated(trained: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """window_baseline, fusion_state, train_dqn and evaluate, run in order (in a copy)."""
    root = tmp_path_factory.mktemp("evaluated") / "ws"
    shutil.copytree(trained, root)  # the trained workspace is shared read-only
    layout = Layout(root)
    p = load_params(layout.params)
    for stage in (window_baseline, fusion_state, train_dqn, evaluate):
        stage.run(DATASET, p, layout)
    return root


def test_state_has_a_row_per_graph_for_both_pairs_and_every_split(evaluated: Path) -> None:
    layout = Layout(evaluated)
    for pair in ("teacher", "student"):
        for split in SPLITS:
            state = read_state(layout.state(DATASET, pair, split), EXPERTS)
            store = open_store(layout.store(DATASET, split))
            assert len(state) == len(store)
            assert state.states.shape[1] == 16  # the graph pair's 14, the trees' 2
            assert state.experts.shape == (len(store), 3)
            assert ((state.experts >= 0) & (state.experts <= 1)).all()
            trees = pq.read_table(layout.model(DATASET, "window_gbt").scores).to_pandas()
            scores = trees.loc[trees.split == split, "score"].to_numpy()
            assert state.states[:, -2].tolist() == pytest.approx(scores.tolist())


def test_each_capture_is_its_own_reference_across_train_and_val(evaluated: Path) -> None:
    """A capture's first window (train and val together, in time order) is its reference."""
    layout = Layout(evaluated)
    rows: list[tuple[int, int, tuple[float, float]]] = []
    for split in SPLITS:
        table = pq.read_table(layout.state(DATASET, "teacher", split))
        graphs = open_store(layout.store(DATASET, split)).arrays
        relative = zip(table["s_vgae_rel"].to_pylist(), table["gat_rel"].to_pylist(), strict=True)
        rows += zip(graphs.capture.tolist(), graphs.start.tolist(), relative, strict=True)
    first: dict[int, tuple[int, tuple[float, float]]] = {}
    for capture, start, both in rows:
        if capture not in first or start < first[capture][0]:
            first[capture] = (start, both)
    assert len(first) > 2
    assert all(both == (0, 0) for _, both in first.values())


def test_evaluation_covers_every_model_scenario_and_metric(evaluated: Path) -> None:
    evaluation = json.loads(Layout(evaluated).evaluation(DATASET).evaluation.read_text())
    assert set(evaluation) == {*SINGLE, *FUSED, "window_gbt"}
    assert {"vgae", "gat", "vgae_small", "gat_small"} <= set(evaluation)  # both pairs, at least
    for model, by_scenario in evaluation.items():
        assert list(by_scenario) == SCENARIOS, model
        weighted = model.startswith(("fusion_dqn", "fusion_avg"))  # they weigh the experts
        for m in by_scenario.values():
            assert set(m) == METRICS | (WEIGHTS if weighted else set()), model
            assert m["tp"] + m["fp"] + m["tn"] + m["fn"] == m["graphs"] > 0
            if weighted:
                assert sum(m[w] for w in WEIGHTS) == pytest.approx(1.0)
    latency = read_timings(Layout(evaluated), DATASET)  # never in the hashed evaluation.json
    assert all(latency[model]["latency_ms"] > 0 for model in evaluation)
    known = SCENARIOS[0]
    assert evaluation["gat_small"][known]["params"] * 10 <= evaluation["gat"][known]["params"]
    fused = sum(evaluation[m][known]["params"] for m in ("vgae", "gat", "window_gbt"))
    assert evaluation["fusion_avg"][known]["params"] == fused + 1
    info = json.loads(Layout(evaluated).fusion(DATASET, "teacher").info.read_text())
    for expert, weight in info["average_weights"].items():
        assert evaluation["fusion_avg"][known][f"{expert}_weight"] == pytest.approx(weight)


def test_fusion_choices_are_recorded_with_validation_thresholds(evaluated: Path) -> None:
    for pair in ("teacher", "student"):
        info = json.loads(Layout(evaluated).fusion(DATASET, pair).info.read_text())
        assert info["selected_on"] in ("val", "train+val")
        assert info["fitted_on"] == info["selected_on"]  # fusion.fit_on: val
        assert set(info["thresholds"]) == {"dqn", "avg", "stack"}
        assert info["experts"] == list(EXPERTS)
        assert sum(info["average_weights"].values()) == pytest.approx(1.0)
        assert info["dqn"]["best_step"] > 0
        margin = load_params(Layout(evaluated).params).dqn.deviation_margin
        assert info["deviation_margin"] == margin
        alarm = NoveltyAlarm.from_json(info["novelty_alarm"])  # on or off, always recorded
        assert np.isfinite(alarm.familiar_below)


def test_plots_and_report_table(evaluated: Path) -> None:
    layout = Layout(evaluated)
    plots = layout.evaluation(DATASET)
    for model in [*SINGLE, *FUSED, "window_gbt"]:
        assert (plots.confusion / f"{model}.png").stat().st_size > 1000
        roc = (plots.roc / f"{SCENARIOS[0]}__{model}.csv").read_text().splitlines()
        assert roc[0] == "fpr,tpr"
        assert roc[-1] == "1,1"
    table = evaluation_table([DATASET], [None], layout)
    assert "fusion_dqn_small" in table
    assert SCENARIOS[1][:26] in table
    assert "AUROC" in table
    assert "flag-all F1" in table


def test_evaluate_before_fusion_says_which_stage_to_run(evaluated: Path, tmp_path: Path) -> None:
    """Graphs and every model there, the fusion state not (yet): the error names the stage."""
    trained, layout = Layout(evaluated), Layout(tmp_path)
    folders = {trained.graphs(DATASET).dir: layout.graphs(DATASET).dir}
    folders[trained.fusion_models(DATASET)] = layout.fusion_models(DATASET)
    for model in [*SINGLE, "window_gbt"]:
        folders[trained.model(DATASET, model).dir] = layout.model(DATASET, model).dir
    for source, link in folders.items():  # each its own link: a stage replaces only its own
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(source)
    p = load_params(trained.params)
    for stage in (train_dqn, evaluate):
        with pytest.raises(KdgatError, match=r"dvc repro fusion_state@tiny"):
            stage.run(DATASET, p, layout)


def test_a_fusion_json_without_the_vgae_alarm_names_the_stage(
    evaluated: Path, tmp_path: Path
) -> None:
    """fusion.json from before the alarm: evaluate says to re-run train_dqn."""
    trained, layout = Layout(evaluated), Layout(tmp_path)
    folders = {trained.graphs(DATASET).dir: layout.graphs(DATASET).dir}
    folders[trained.fusion_state(DATASET)] = layout.fusion_state(DATASET)
    for model in [*SINGLE, "window_gbt"]:
        folders[trained.model(DATASET, model).dir] = layout.model(DATASET, model).dir
    for source, link in folders.items():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(source)
    shutil.copytree(trained.fusion_models(DATASET), layout.fusion_models(DATASET))
    info = layout.fusion(DATASET, "teacher").info
    older = json.loads(info.read_text())
    del older["novelty_alarm"]
    info.write_text(json.dumps(older))
    with pytest.raises(KdgatError, match=r"fusion\.json: no valid novelty_alarm.*train_dqn"):
        evaluate.run(DATASET, load_params(trained.params), layout)


@pytest.mark.parametrize(
    ("fit_on", "experts"), [("train", ["gat", "vgae"]), ("train+val", list(EXPERTS))]
)
def test_the_fusions_learn_from_the_split_and_weigh_the_experts_params_name(
    evaluated: Path, tmp_path: Path, fit_on: str, experts: list[str]
) -> None:
    trained, layout = Layout(evaluated), Layout(tmp_path)
    layout.fusion_state(DATASET).parent.mkdir(parents=True)
    layout.fusion_state(DATASET).symlink_to(trained.fusion_state(DATASET))
    p = load_params(trained.params)
    fusion = p.fusion.model_copy(update={"fit_on": fit_on, "experts": experts})
    train_dqn.run(DATASET, p.model_copy(update={"fusion": fusion}), layout)
    models, info = FusionModels.load(layout.fusion(DATASET, "student"))
    assert (info["fitted_on"], info["experts"]) == (fit_on, experts)
    data = read_state(trained.state(DATASET, "student", VAL), tuple(experts))
    assert models.weights("dqn", data).shape == (len(data), len(experts))


def test_window_scores_that_miss_a_window_stop_the_state_naming_their_stage(
    evaluated: Path, tmp_path: Path
) -> None:
    trained, layout = Layout(evaluated), Layout(tmp_path)
    layout.graphs(DATASET).dir.parent.mkdir(parents=True)
    layout.graphs(DATASET).dir.symlink_to(trained.graphs(DATASET).dir)
    shutil.copytree(
        trained.model(DATASET, "window_gbt").dir, layout.model(DATASET, "window_gbt").dir
    )
    scores = layout.model(DATASET, "window_gbt").scores
    pq.write_table(pq.read_table(scores).slice(1), scores)  # the first window's row is gone
    with pytest.raises(
        KdgatError, match=r"scores for split 'train'.*dvc repro window_baseline@tiny"
    ):
        fusion_state.run(DATASET, load_params(trained.params), layout)
