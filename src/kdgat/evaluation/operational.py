"""A scenario's operational figures for one model: per attack type, delays, false alarms.

Joins the window arrays of a scenario's graph store with the attacks found in its
captures' frames (``kdgat.evaluation.attacks``). ``scenario_figures`` gives the
numbers that sit beside F1 in ``evaluation.json``; ``attack_rows`` the per-attack
table (``attacks.json``). Time to detect needs frame positions, so it exists for
frame windows (CAN), not for flow windows cut by seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from kdgat.errors import KdgatError
from kdgat.evaluation.attacks import (
    AttackInterval,
    attack_intervals,
    detection_summary,
    false_alarms_per_hour,
    per_attack,
    time_to_detect,
)
from kdgat.graphs.arrays import GraphArrays


@dataclass(frozen=True)
class CaptureAttacks:
    """The attacks of one test capture, each with the attack type of its first frame."""

    intervals: list[AttackInterval]
    types: list[str]


def capture_attacks(file: Path) -> CaptureAttacks:
    """Attacks of an ingested capture (its Parquet file), from frame labels."""
    columns = ["timestamp", "label", "attack_type"]
    try:
        table = pq.read_table(file, columns=columns)
    except (pa.ArrowInvalid, OSError) as err:
        first = str(err).splitlines()[0]  # Arrow appends the whole schema
        raise KdgatError(
            f"{file}: not an ingested capture with {', '.join(columns)} ({first}). "
            "Fix: rerun the ingest stage of its dataset (`dvc repro ingest@<dataset>`)"
        ) from None
    timestamp = table["timestamp"].to_numpy()
    label = table["label"].to_numpy()
    intervals = attack_intervals(timestamp, label)
    kinds = table["attack_type"].to_pylist() if intervals else []
    return CaptureAttacks(intervals, [str(kinds[i.first_frame]) for i in intervals])


def detections(
    arrays: GraphArrays, flagged: np.ndarray, window: int, attacks: Mapping[int, CaptureAttacks]
) -> list[dict[str, Any]]:
    """Time to detect of every attack in the scenario (``attacks``: capture index -> attacks)."""
    rows: list[dict[str, Any]] = []
    capture, start = np.asarray(arrays.capture), np.asarray(arrays.start)
    for index, found in attacks.items():
        mine = capture == index
        timed = time_to_detect(
            found.intervals,
            start[mine],
            start[mine] + window,
            np.asarray(arrays.t_end)[mine],
            flagged[mine],
        )
        rows.extend({**row, "attack": kind} for row, kind in zip(timed, found.types, strict=True))
    return rows


def scenario_figures(
    arrays: GraphArrays, scores: np.ndarray, threshold: float, detected: Sequence[dict[str, Any]]
) -> dict[str, float]:
    """False alarms per benign hour and the detection summary of the scenario's attacks."""
    flagged = scores >= threshold
    alarms = false_alarms_per_hour(
        flagged,
        np.asarray(arrays.y),
        np.asarray(arrays.t_start),
        np.asarray(arrays.t_end),
        np.asarray(arrays.capture),
    )
    summary = detection_summary(detected) if detected else {}
    return {"false_alarms_per_hour": alarms, **{k: float(v) for k, v in summary.items()}}


def attack_rows(
    arrays: GraphArrays,
    scores: np.ndarray,
    threshold: float,
    names: Sequence[str],
    detected: Sequence[dict[str, Any]],
) -> dict[str, dict[str, float]]:
    """Per attack type: windows, recall, detection rate at 1 % FPR, and its delays."""
    rows = per_attack(
        scores, np.asarray(arrays.y), np.asarray(arrays.attack_code), threshold, names
    )
    table = {}
    for row in rows:
        mine = [d for d in detected if d["attack"] == row["attack"]]
        summary = detection_summary(mine) if mine else {}
        table[row["attack"]] = {
            **{k: float(v) for k, v in row.items() if k != "attack"},
            **{k: float(v) for k, v in summary.items()},
        }
    return table
