"""What a scenario-wide F1 hides: metrics per attack type, time to detect, false alarms per hour.

A scenario mixes attack types of very different difficulty, and a window-level
score says neither how soon an attack is caught nor how often the detector cries
wolf in benign driving. These functions answer those questions from the window
arrays (``GraphArrays``: ``y``, ``attack_code``, ``start``, ``t_start``,
``t_end``) and, for attack intervals, the capture's frames.

Frame positions are indices into one capture's time-ordered frames, the same
positions as a window's ``start``; a window covers frames ``[start, end)`` with
``end = start + window`` (``graphs.window`` in params.yaml), and its ``t_end``
is the timestamp of its last frame, ``end - 1``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kdgat.evaluation.metrics import detection_rate_at_fpr

# Attack frames at most this far apart belong to one attack. The slowest injections
# in can-train-and-test repeat every ~1.004 s (rpm-accessory), while separate attack
# episodes of one capture are >= 6.7 s apart (DoS-3, fuzzing-3, systematic-4).
ATTACK_GAP_S = 2.0
SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True)
class AttackInterval:
    """One attack in a capture: its first and last attack frame (positions) and their times."""

    first_frame: int
    last_frame: int
    t_first: float
    t_last: float


def per_attack(
    scores: np.ndarray,
    labels: np.ndarray,
    attack_code: np.ndarray,
    threshold: float,
    names: Mapping[int, str] | Sequence[str],
) -> list[dict[str, Any]]:
    """Recall and detection rate at 1 % FPR of each attack type among the attack windows.

    Every attack type is scored against all of the scenario's benign windows (they
    are shared: benign traffic has no type), so the rows' ``dr_at_1pct_fpr`` use
    the same false-positive budget and differ only in how well each type stands out.

    Args:
        scores: [G] window scores, higher = more likely attack.
        labels: [G] window labels, 1 = attack.
        attack_code: [G] window attack codes (0 = benign).
        threshold: The decision threshold; a window is flagged when ``score >= threshold``.
        names: Attack code -> attack type name.

    Returns:
        One row per attack type present, sorted by name: ``attack``, ``windows``
        (attack windows of that type), ``recall`` at the threshold, ``dr_at_1pct_fpr``
        (NaN without benign windows). Empty when there is no attack window.

    Raises:
        ValueError: If the arrays differ in length, an attack window has code 0, or a
            code has no name.
    """
    scores, labels, attack_code = _same_length(
        scores=scores, labels=labels, attack_code=attack_code
    )
    attack = labels.astype(bool)
    benign = ~attack
    codes = np.unique(attack_code[attack])
    if (codes == 0).any():
        raise ValueError("attack windows must carry an attack code, got code 0 (benign)")
    rows = []
    for code in codes.tolist():
        of_type = attack & (attack_code == code)
        scored = benign | of_type
        rows.append(
            {
                "attack": _name(names, code),
                "windows": int(of_type.sum()),
                "recall": float((scores[of_type] >= threshold).mean()),
                "dr_at_1pct_fpr": detection_rate_at_fpr(scores[scored], labels[scored]),
            }
        )
    return sorted(rows, key=lambda row: row["attack"])


def _name(names: Mapping[int, str] | Sequence[str], code: int) -> str:
    """The attack type name of a code, or a clear error."""
    try:
        return names[code]
    except (KeyError, IndexError):
        raise ValueError(f"attack code {code} has no name in {names!r}") from None


def attack_intervals(
    timestamp: np.ndarray, label: np.ndarray, gap_s: float = ATTACK_GAP_S
) -> list[AttackInterval]:
    """The attacks of one capture: maximal runs of attack frames at most ``gap_s`` apart.

    Injection attacks interleave their frames with benign traffic, so an attack is
    not a contiguous run of frames; it is split where two consecutive attack frames
    are more than ``gap_s`` seconds apart (see ``ATTACK_GAP_S`` for why 2 s). A
    capture without attack frames (e.g. a suppression attack, which removes frames
    instead of labelling any) has no interval.

    Args:
        timestamp: [N] frame timestamps (s), non-decreasing.
        label: [N] frame labels, 1 = attack.
        gap_s: Largest time between two attack frames of one attack.

    Raises:
        ValueError: If the arrays differ in length or timestamps decrease.
    """
    timestamp, label = _same_length(timestamp=timestamp, label=label)
    if (np.diff(timestamp) < 0).any():
        raise ValueError("timestamp must be non-decreasing (one capture's frames, time-ordered)")
    frames = np.flatnonzero(label)
    if len(frames) == 0:
        return []
    times = timestamp[frames]
    breaks = np.flatnonzero(np.diff(times) > gap_s)
    firsts = np.r_[0, breaks + 1]
    lasts = np.r_[breaks, len(frames) - 1]
    return [
        AttackInterval(int(frames[f]), int(frames[la]), float(times[f]), float(times[la]))
        for f, la in zip(firsts, lasts, strict=True)
    ]


def time_to_detect(
    intervals: Sequence[AttackInterval],
    window_start_frame: np.ndarray,
    window_end_frame: np.ndarray,
    window_t_end: np.ndarray,
    flagged: np.ndarray,
) -> list[dict[str, Any]]:
    """How long after each attack began a flagged window closed, in one capture.

    An attack counts as detected by the earliest-closing flagged window that holds
    at least one of its frames (window frames ``[start, end)`` overlap
    ``[first_frame, last_frame]``). The delay runs from the attack's first frame
    to the end of that window, because a detector decides only once its window is
    complete: ``delay_s = t_end - t_first`` and ``delay_frames = (end - 1) -
    first_frame + 1``, the frames on the bus from the attack's first to the
    decision. Both are floats, NaN when no flagged window overlaps the attack.

    Args:
        intervals: The capture's attacks, from ``attack_intervals``.
        window_start_frame: [G] first frame of each window (``GraphArrays.start``).
        window_end_frame: [G] one past each window's last frame (start + window).
        window_t_end: [G] timestamp of each window's last frame (``GraphArrays.t_end``).
        flagged: [G] whether the detector flagged the window.

    Returns:
        Per attack: ``first_frame``, ``last_frame``, ``t_first``, ``t_last``,
        ``detected``, ``delay_s``, ``delay_frames``.

    Raises:
        ValueError: If the window arrays differ in length.
    """
    start, end, t_end, flagged = _same_length(
        window_start_frame=window_start_frame,
        window_end_frame=window_end_frame,
        window_t_end=window_t_end,
        flagged=flagged,
    )
    alarms = np.flatnonzero(flagged.astype(bool))
    alarms = alarms[np.argsort(end[alarms], kind="stable")]  # earliest decision first
    rows = []
    for attack in intervals:
        hits = alarms[(start[alarms] <= attack.last_frame) & (end[alarms] > attack.first_frame)]
        row: dict[str, Any] = {
            "first_frame": attack.first_frame,
            "last_frame": attack.last_frame,
            "t_first": attack.t_first,
            "t_last": attack.t_last,
            "detected": bool(len(hits)),
            "delay_s": float("nan"),
            "delay_frames": float("nan"),
        }
        if len(hits):
            row["delay_s"] = float(t_end[hits[0]] - attack.t_first)
            row["delay_frames"] = float(end[hits[0]] - attack.first_frame)
        rows.append(row)
    return rows


def detection_summary(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Share of attacks detected and their delays (over detected attacks only).

    ``rows`` are ``time_to_detect`` rows, of one capture or of several joined.
    Delays are NaN when nothing was detected; the share is NaN without attacks.
    """
    detected = [row for row in rows if row["detected"]]
    seconds = np.array([row["delay_s"] for row in detected], dtype=np.float64)
    frames = np.array([row["delay_frames"] for row in detected], dtype=np.float64)
    nan = float("nan")
    return {
        "attacks": len(rows),
        "detected_share": len(detected) / len(rows) if rows else nan,
        "median_delay_s": float(np.median(seconds)) if detected else nan,
        "median_delay_frames": float(np.median(frames)) if detected else nan,
        "max_delay_s": float(seconds.max()) if detected else nan,
    }


def false_alarms_per_hour(
    flagged: np.ndarray,
    labels: np.ndarray,
    t_start: np.ndarray,
    t_end: np.ndarray,
    capture: np.ndarray | None = None,
) -> float:
    """Flagged benign windows per hour of benign traffic: how often the detector cries wolf.

    Benign hours are the length of the union of benign windows' ``[t_start, t_end]``
    spans, not their sum: with stride < window the windows overlap, and summing
    would count the same seconds several times. The time between one window's last
    frame and the next window's first is not covered (one frame gap per window with
    stride == window). Pass ``capture`` when the windows come from several captures:
    their clocks are unrelated (they may all start at 0), so each capture's union is
    taken apart and the lengths added.

    Returns:
        False alarms per benign hour; NaN when there is no benign time.

    Raises:
        ValueError: If the arrays differ in length or a window ends before it starts.
    """
    arrays = {"flagged": flagged, "labels": labels, "t_start": t_start, "t_end": t_end}
    if capture is not None:
        arrays["capture"] = capture
    checked = _same_length(**arrays)
    flagged, labels, t_start, t_end = checked[:4]
    groups = checked[4] if capture is not None else np.zeros(len(labels), np.int64)
    if (t_end < t_start).any():
        raise ValueError("every window's t_end must be at or after its t_start")
    benign = ~labels.astype(bool)
    seconds = sum(
        _union_length(t_start[benign & (groups == g)], t_end[benign & (groups == g)])
        for g in np.unique(groups[benign])
    )
    if seconds == 0:
        return float("nan")
    false_alarms = int((flagged.astype(bool) & benign).sum())
    return false_alarms / (seconds / SECONDS_PER_HOUR)


def _union_length(starts: np.ndarray, ends: np.ndarray) -> float:
    """Total length of the union of the spans ``[starts[i], ends[i]]``."""
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    reach = np.maximum.accumulate(ends)  # furthest end so far: spans merge while they touch it
    new_run = np.r_[True, starts[1:] > reach[:-1]]
    run_start = starts[new_run]
    run_end = reach[np.r_[np.flatnonzero(new_run)[1:] - 1, len(starts) - 1]]
    return float((run_end - run_start).sum())


def _same_length(**arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """The arrays as 1-D numpy arrays, after checking they are equally long."""
    converted = {name: np.asarray(values) for name, values in arrays.items()}
    shapes = {name: values.shape for name, values in converted.items()}
    if any(len(shape) != 1 for shape in shapes.values()) or len(set(shapes.values())) != 1:
        described = ", ".join(f"{name} {shape}" for name, shape in shapes.items())
        raise ValueError(f"arrays must be 1-D and equally long, got {described}")
    return tuple(converted.values())
