"""A scenario's operational figures: attacks read from ingested frames, joined to windows."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import cast

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kdgat.errors import KdgatError
from kdgat.evaluation.operational import (
    attack_rows,
    capture_attacks,
    detections,
    scenario_figures,
)
from kdgat.graphs.arrays import GraphArrays

WINDOW = 10


def _capture(path: Path, attack: slice | None) -> Path:
    """100 frames 0.01 s apart; ``attack`` frames labelled as a DoS."""
    label = np.zeros(100, np.uint8)
    kinds = ["benign"] * 100
    if attack is not None:
        label[attack] = 1
        kinds[attack] = ["dos"] * (attack.stop - attack.start)
    table = pa.table({"timestamp": np.arange(100) * 0.01, "label": label, "attack_type": kinds})
    pq.write_table(table, path)
    return path


def _windows(flagged_capture0: list[int]) -> tuple[GraphArrays, np.ndarray]:
    """Ten windows per capture (stride = window), capture 0 then capture 1."""
    start = np.tile(np.arange(0, 100, WINDOW), 2)
    capture = np.repeat([0, 1], 10)
    y = np.zeros(20, np.uint8)
    y[2:4] = 1  # frames 25..38 of capture 0 lie in windows 2 and 3
    arrays = SimpleNamespace(  # the per-graph arrays the figures read
        capture=capture,
        start=start,
        t_start=start * 0.01,
        t_end=(start + WINDOW - 1) * 0.01,
        y=y,
        attack_code=y.astype(np.int32),  # code 1: dos
    )
    scores = np.zeros(20)
    scores[flagged_capture0] = 1.0
    return cast(GraphArrays, arrays), scores


def test_an_attack_is_found_in_the_frames_and_timed_to_its_first_flagged_window(
    tmp_path: Path,
) -> None:
    attacks = {
        0: capture_attacks(_capture(tmp_path / "a.parquet", slice(25, 39))),
        1: capture_attacks(_capture(tmp_path / "b.parquet", None)),
    }
    assert attacks[0].types == ["dos"]
    assert attacks[1].intervals == []
    arrays, scores = _windows([3])  # the second of its two windows
    (found,) = detections(arrays, scores >= 0.5, WINDOW, attacks)
    assert found["detected"]
    assert found["attack"] == "dos"
    assert found["delay_frames"] == 40 - 25  # to the end of window 3 (frames 30..39)
    assert found["delay_s"] == pytest.approx(0.39 - 0.25)


def test_scenario_figures_and_attack_rows_share_the_detections(tmp_path: Path) -> None:
    attacks = {0: capture_attacks(_capture(tmp_path / "a.parquet", slice(25, 39)))}
    arrays, scores = _windows([2, 3, 15])  # both attack windows and one false alarm
    found = detections(arrays, scores >= 0.5, WINDOW, attacks)
    figures = scenario_figures(arrays, scores, 0.5, found)
    assert figures["detected_share"] == 1.0
    benign_seconds = 8 * 0.09 + 10 * 0.09  # benign windows span 0.09 s each
    assert figures["false_alarms_per_hour"] == pytest.approx(3600 / benign_seconds)
    rows = attack_rows(arrays, scores, 0.5, ["benign", "dos"], found)
    assert rows["dos"]["windows"] == 2
    assert rows["dos"]["recall"] == 1.0
    assert rows["dos"]["median_delay_frames"] == 30 - 25


def test_a_capture_file_without_frame_labels_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"timestamp": [0.0, 0.1]}), path)
    with pytest.raises(
        KdgatError, match=r"bad.parquet: not an ingested capture.*dvc repro ingest@"
    ):
        capture_attacks(path)
    (tmp_path / "cut.parquet").write_bytes(path.read_bytes()[:20])
    with pytest.raises(KdgatError, match=r"cut\.parquet"):
        capture_attacks(tmp_path / "cut.parquet")
