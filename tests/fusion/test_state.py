"""Fusion state: calibration, confidence, and batched inference equal to one graph at a time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kdgat.errors import KdgatError
from kdgat.fusion import state
from kdgat.graphs.arrays import GraphArrays
from kdgat.graphs.store import open_store
from kdgat.layout import VAL, Layout
from kdgat.models.classifier import GraphClassifier
from kdgat.models.vgae import VGAE
from kdgat.training.artifacts import load_typed

from ..tiny import DATASET


def test_calibration_is_half_at_the_threshold_and_monotone() -> None:
    validation = np.array([1.0, 2.0, 3.0, 4.0, 5.0])  # IQR 2
    scores = np.array([-100.0, 2.0, 4.0, 6.0, 1e9])
    calibrated = state.calibrate(scores, threshold=4.0, validation=validation)
    assert calibrated[2] == 0.5
    assert np.all(np.diff(calibrated) >= 0)
    assert calibrated[0] < 1e-20 < 1 - calibrated[3]
    assert calibrated[3] == pytest.approx(1 / (1 + np.exp(-1)))  # one IQR above
    assert calibrated.min() >= 0
    assert calibrated.max() <= 1


def test_confidence_is_one_when_certain_and_zero_for_a_coin_flip() -> None:
    p = np.array([0.0, 0.5, 1.0], dtype=np.float32)  # float32 1.0 once gave NaN
    assert state.binary_entropy_confidence(p) == pytest.approx([1.0, 0.0, 1.0])


def test_batched_outputs_equal_one_graph_at_a_time(trained: Path) -> None:
    layout = Layout(trained)
    store = open_store(layout.store(DATASET, VAL))
    vgae, _ = load_typed(layout.model(DATASET, "vgae"), VGAE)
    gat, _ = load_typed(layout.model(DATASET, "gat"), GraphClassifier)
    weights = {"features": 1.0, "ids": 1.0, "neighbours": 1.0}
    batched = state.model_outputs(vgae, gat, store, weights)
    for i in (0, len(store) // 2, len(store) - 1):
        one = _single(store.arrays, i)
        alone = state.model_outputs(vgae, gat, one, weights)
        for name, values in alone.items():
            assert values[0] == pytest.approx(batched[name][i], rel=1e-4, abs=1e-5), name


def _single(graphs: GraphArrays, i: int) -> GraphArrays:
    return graphs.select(np.array([i]))


def test_state_columns_flag_agreement_at_each_models_threshold() -> None:
    raw = {
        "s_vgae": np.array([0.5, 90.0, 90.0]),
        **{name: np.zeros(3) for name in state.LOG_TERMS[1:] + state.SIGNED_TERMS},
        "p_gat": np.array([0.1, 0.9, 0.2]),
        "gat_log_odds": np.array([-2.0, 2.0, -1.0]),
        "y": np.array([0, 1, 1]),
        "attack_code": np.array([0, 1, 1]),
    }
    capture, start = np.zeros(3, np.int32), np.arange(3)
    raw |= state.relative_columns(raw, capture, start, q=None, q_gat=None)  # no reference
    validation = {"s_vgae_rel": np.arange(5.0), "gat_rel": np.arange(5.0)}
    thresholds = {"s_vgae_rel": 1.0, "gat_rel": 2.0, "p_gat": 0.5}
    columns = state.state_columns(raw, thresholds, validation)
    assert columns["agree"].tolist() == [1.0, 1.0, 0.0]
    assert columns["s_gat_cal"].tolist() == pytest.approx(
        [1 / (1 + np.exp(2)), 0.5, 1 / (1 + np.exp(1.5))]
    )
    assert columns["s_vgae"].tolist() == [0.5, 90.0, 90.0]  # the raw score rides along
    assert set(columns) == {*state.FEATURES, *state.ALARM_INPUTS, "y", "attack_code"}
    assert len(state.FEATURES) == 14


def test_the_state_holds_the_window_statistics_only_when_they_are_fused() -> None:
    assert state.state_features(("gat", "vgae")) == state.FEATURES
    assert state.state_features(("gat", "vgae", "window_gbt")) == (
        *state.FEATURES,
        "s_gbt",
        "s_gbt_cal",
    )
    columns = state.gbt_columns(np.array([-1.0, 0.0, 3.0]), 0.0, np.arange(5.0))
    assert columns["s_gbt_cal"].tolist() == pytest.approx(
        [1 / (1 + np.exp(0.5)), 0.5, 1 / (1 + np.exp(-1.5))]
    )


def test_a_state_file_without_a_fused_experts_column_names_the_stage(tmp_path: Path) -> None:
    path = tmp_path / "val.parquet"
    pq.write_table(
        pa.table({name: np.zeros(2, np.float32) for name in (*state.FEATURES, "y")}), path
    )
    assert len(state.read_state(path, ("gat", "vgae"))) == 2
    with pytest.raises(KdgatError, match=r"no column 's_gbt'.*dvc repro fusion_state"):
        state.read_state(path, ("gat", "vgae", "window_gbt"))


def test_relative_columns_take_ratios_of_errors_and_differences_of_latents() -> None:
    raw = {name: np.array([2.0, 8.0]) for name in (*state.LOG_TERMS, *state.SIGNED_TERMS)}
    raw["gat_log_odds"] = np.array([2.0, 8.0])
    capture, start = np.zeros(2, np.int32), np.arange(2)
    rel = state.relative_columns(raw, capture, start, q=0.5, q_gat=0.5)
    assert rel["s_vgae_rel"].tolist() == pytest.approx([0.0, np.log(8 / np.sqrt(16))])
    assert rel["mu_norm_rel"].tolist() == pytest.approx([0.0, 3.0])  # 8 - median(2, 8)
    assert rel["gat_rel"].tolist() == pytest.approx([0.0, 3.0])  # log-odds: differences
    assert rel["vgae_reference"].tolist() == pytest.approx([np.log(2.0), np.log(4.0)])
    names = {f"{n}_rel" for n in state.LOG_TERMS + state.SIGNED_TERMS}
    assert names | {"gat_rel", "vgae_reference"} == set(rel)


def test_a_gat_that_calls_a_whole_new_vehicle_attack_still_flags_only_its_attacks() -> None:
    """Every window's log-odds high (a vehicle the GAT never saw), attacks higher still."""
    log_odds = np.array([6.0, 6.5, 5.8, 14.0, 13.5, 6.2, 6.1, 14.2])
    attack = log_odds > 10
    raw = {name: np.ones(8) for name in (*state.LOG_TERMS, *state.SIGNED_TERMS)}
    raw["gat_log_odds"] = log_odds
    capture, start = np.zeros(8, np.int32), np.arange(8)
    rel = state.relative_columns(raw, capture, start, q=0.1, q_gat=0.02)["gat_rel"]
    assert np.all(log_odds > 0)  # the GAT's own threshold (p 0.5) flags every window
    assert rel[attack].min() > 7 > 1 > rel[~attack].max()  # against the capture: attacks only
