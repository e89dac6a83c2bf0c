"""Per-attack metrics, attack intervals, time to detect and false alarms per hour."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from kdgat.evaluation.attacks import (
    AttackInterval,
    attack_intervals,
    detection_summary,
    false_alarms_per_hour,
    per_attack,
    time_to_detect,
)

NAMES = {0: "benign", 1: "fuzzing", 2: "dos"}

# -- per_attack -----------------------------------------------------------------------------


def _two_types() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """100 benign windows scored 0.00 .. 0.99, three DoS windows above them all, two fuzzing
    windows below nearly all of them."""
    scores = np.r_[np.arange(100) / 100, [0.995, 0.999, 0.998], [0.1, 0.2]]
    labels = np.r_[np.zeros(100, int), np.ones(5, int)]
    codes = np.r_[np.zeros(100, int), [2, 2, 2], [1, 1]]
    return scores, labels, codes


def test_per_attack_one_type_detected_one_missed() -> None:
    scores, labels, codes = _two_types()
    rows = per_attack(scores, labels, codes, threshold=0.5, names=NAMES)
    assert rows == [
        {"attack": "dos", "windows": 3, "recall": 1.0, "dr_at_1pct_fpr": 1.0},
        {"attack": "fuzzing", "windows": 2, "recall": 0.0, "dr_at_1pct_fpr": 0.0},
    ]


def test_per_attack_recall_at_the_threshold() -> None:
    scores, labels, codes = _two_types()
    rows = per_attack(scores, labels, codes, threshold=0.15, names=NAMES)
    assert [row["recall"] for row in rows] == [1.0, 0.5]  # fuzzing: 0.2 flagged, 0.1 not


def test_per_attack_takes_a_list_of_names() -> None:
    scores, labels, codes = _two_types()
    rows = per_attack(scores, labels, codes, 0.5, names=["benign", "fuzzing", "dos"])
    assert [row["attack"] for row in rows] == ["dos", "fuzzing"]


def test_per_attack_without_benign_windows_has_no_low_fpr_rate() -> None:
    rows = per_attack(np.array([0.9, 0.1]), np.array([1, 1]), np.array([2, 2]), 0.5, NAMES)
    assert rows[0]["recall"] == 0.5
    assert math.isnan(rows[0]["dr_at_1pct_fpr"])


def test_per_attack_without_attacks_is_empty() -> None:
    assert per_attack(np.array([0.3, 0.7]), np.array([0, 0]), np.array([0, 0]), 0.5, NAMES) == []


def test_per_attack_rejects_bad_codes_and_lengths() -> None:
    scores, labels, codes = _two_types()
    with pytest.raises(ValueError, match="attack code 7 has no name"):
        per_attack(scores, labels, np.where(codes == 1, 7, codes), 0.5, NAMES)
    with pytest.raises(ValueError, match="code 0"):
        per_attack(scores, labels, np.zeros_like(codes), 0.5, NAMES)
    with pytest.raises(ValueError, match=r"attack_code \(104,\)"):
        per_attack(scores, labels, codes[:-1], 0.5, NAMES)


# -- attack_intervals -----------------------------------------------------------------------

# Two attack episodes 9 s apart, each interleaving attack frames with benign ones.
TIMES = np.array([0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 10.0, 10.25, 10.5, 10.75, 11.0])
LABELS = np.array([0, 0, 1, 0, 1, 0, 1, 0, 1, 1, 0, 0])


def test_attack_frames_close_in_time_form_one_interval() -> None:
    assert attack_intervals(TIMES, LABELS) == [
        AttackInterval(first_frame=2, last_frame=6, t_first=0.5, t_last=1.5),
        AttackInterval(first_frame=8, last_frame=9, t_first=10.25, t_last=10.5),
    ]


def test_a_smaller_gap_splits_interleaved_attacks() -> None:
    intervals = attack_intervals(TIMES, LABELS, gap_s=0.3)
    assert [(i.first_frame, i.last_frame) for i in intervals] == [(2, 2), (4, 4), (6, 6), (8, 9)]


def test_a_capture_without_attack_frames_has_no_interval() -> None:
    assert attack_intervals(TIMES, np.zeros_like(LABELS)) == []  # e.g. suppression


def test_attack_intervals_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="non-decreasing"):
        attack_intervals(TIMES[::-1], LABELS)
    with pytest.raises(ValueError, match=r"timestamp \(12,\), label \(11,\)"):
        attack_intervals(TIMES, LABELS[:-1])


def test_real_dos_capture_has_its_three_episodes(shared_data: Path) -> None:
    table = pq.read_table(
        shared_data / "test_01_known_vehicle_known_attack__DoS-3.parquet",
        columns=["timestamp", "label"],
    )
    intervals = attack_intervals(table["timestamp"].to_numpy(), table["label"].to_numpy())
    assert len(intervals) == 3  # separated by 6.7 s and 7.3 s of benign traffic


# -- time_to_detect -------------------------------------------------------------------------

# One capture of 40 frames, one every 0.5 s; windows of 10 frames every 5 frames.
FRAME_TIME = np.arange(40) * 0.5
STARTS = np.arange(0, 31, 5)
ENDS = STARTS + 10
T_END = FRAME_TIME[ENDS - 1]
ATTACKS = [
    AttackInterval(first_frame=12, last_frame=14, t_first=6.0, t_last=7.0),
    AttackInterval(first_frame=33, last_frame=36, t_first=16.5, t_last=18.0),
]


def _flag(*starts: int) -> np.ndarray:
    return np.isin(STARTS, starts)


def test_delay_runs_to_the_end_of_the_first_flagged_window() -> None:
    # Window 0 is a false alarm; window 10 (frames 10..19) is the first to hold frame 12.
    rows = time_to_detect(ATTACKS, STARTS, ENDS, T_END, _flag(0, 10, 15))
    assert rows[0] == {
        "first_frame": 12,
        "last_frame": 14,
        "t_first": 6.0,
        "t_last": 7.0,
        "detected": True,
        "delay_s": 3.5,  # frame 19 at 9.5 s
        "delay_frames": 8.0,  # frames 12..19
    }


def test_the_earliest_closing_flagged_window_counts() -> None:
    rows = time_to_detect(ATTACKS, STARTS, ENDS, T_END, _flag(10, 5))  # window 5: frames 5..14
    assert (rows[0]["delay_s"], rows[0]["delay_frames"]) == (1.0, 3.0)


def test_an_attack_no_flagged_window_overlaps_is_missed() -> None:
    rows = time_to_detect(ATTACKS, STARTS, ENDS, T_END, _flag(0, 10, 15))
    assert rows[1]["detected"] is False
    assert math.isnan(rows[1]["delay_s"])
    assert math.isnan(rows[1]["delay_frames"])


def test_a_window_ending_just_before_the_attack_does_not_detect_it() -> None:
    attack = [AttackInterval(first_frame=20, last_frame=22, t_first=10.0, t_last=11.0)]
    assert not time_to_detect(attack, STARTS, ENDS, T_END, _flag(10))[0]["detected"]  # ends at 20
    assert time_to_detect(attack, STARTS, ENDS, T_END, _flag(15))[0]["delay_frames"] == 5.0


def test_detection_summary() -> None:
    rows = time_to_detect(ATTACKS, STARTS, ENDS, T_END, _flag(10, 30))
    # Attack 2 (frames 33..36) is caught by window 30 (frames 30..39, closes at 19.5 s).
    assert detection_summary(rows) == {
        "attacks": 2,
        "detected_share": 1.0,
        "median_delay_s": 3.25,  # median of 3.5 and 3.0 (19.5 - 16.5)
        "median_delay_frames": 7.5,  # median of 8 and 7
        "max_delay_s": 3.5,
    }
    half = detection_summary(time_to_detect(ATTACKS, STARTS, ENDS, T_END, _flag(10)))
    assert half["detected_share"] == 0.5
    assert half["median_delay_s"] == 3.5


def test_detection_summary_without_detections_or_attacks() -> None:
    missed = detection_summary(time_to_detect(ATTACKS, STARTS, ENDS, T_END, _flag()))
    assert missed["attacks"] == 2
    assert missed["detected_share"] == 0.0
    assert math.isnan(missed["median_delay_s"])
    assert math.isnan(missed["max_delay_s"])
    empty = detection_summary([])
    assert empty["attacks"] == 0
    assert math.isnan(empty["detected_share"])


def test_time_to_detect_rejects_mismatched_windows() -> None:
    with pytest.raises(ValueError, match=r"window_t_end \(6,\)"):
        time_to_detect(ATTACKS, STARTS, ENDS, T_END[:-1], _flag(10))


# -- false_alarms_per_hour ------------------------------------------------------------------


def test_benign_time_is_the_union_of_overlapping_windows() -> None:
    t_start = np.array([0.0, 5.0, 20.0, 12.0])
    t_end = np.array([10.0, 15.0, 30.0, 40.0])
    labels = np.array([0, 0, 0, 1])  # the attack window's time is not benign time
    flagged = np.array([False, True, False, True])  # one false alarm
    # Benign spans [0, 15] and [20, 30]: 25 s (their sum would be 30 s, i.e. 120 per hour).
    assert false_alarms_per_hour(flagged, labels, t_start, t_end) == pytest.approx(144.0)


def test_captures_on_separate_clocks_add_their_benign_time() -> None:
    t_start, t_end = np.array([0.0, 0.0]), np.array([10.0, 10.0])
    flagged, labels = np.array([True, False]), np.array([0, 0])
    assert false_alarms_per_hour(flagged, labels, t_start, t_end) == pytest.approx(360.0)
    two = false_alarms_per_hour(flagged, labels, t_start, t_end, capture=np.array([0, 1]))
    assert two == pytest.approx(180.0)


def test_no_benign_time_is_undefined() -> None:
    assert math.isnan(
        false_alarms_per_hour(np.array([True]), np.array([1]), np.array([0.0]), np.array([5.0]))
    )
    zero_length = false_alarms_per_hour(
        np.array([True]), np.array([0]), np.array([3.0]), np.array([3.0])
    )
    assert math.isnan(zero_length)


def test_false_alarms_per_hour_rejects_bad_windows() -> None:
    flagged, labels = np.array([True, False]), np.array([0, 0])
    with pytest.raises(ValueError, match=r"t_end \(1,\)"):
        false_alarms_per_hour(flagged, labels, np.array([0.0, 1.0]), np.array([2.0]))
    with pytest.raises(ValueError, match="t_end must be at or after"):
        false_alarms_per_hour(flagged, labels, np.array([0.0, 5.0]), np.array([2.0, 4.0]))
