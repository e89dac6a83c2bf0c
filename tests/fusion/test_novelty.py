"""The VGAE's one-class alarm beside the fusion (kdgat.fusion.novelty)."""

from __future__ import annotations

import numpy as np
import pytest

from kdgat.evaluation.thresholds import binary_metrics
from kdgat.fusion.novelty import FAMILIAR_SLACK, OFF, NoveltyAlarm, fit_alarm, raise_alarms


def test_the_threshold_is_as_far_above_the_top_benign_window_as_it_is_above_the_median() -> None:
    relative = np.array([0.0, 0.5, 1.0, 2.0, 9.0, 9.0])
    y = np.array([0, 0, 0, 0, 1, 1])
    alarm = fit_alarm(np.array([1.0, 3.0]), relative, np.full(6, 3.0), y)
    assert alarm.threshold == pytest.approx(2.0 + (2.0 - 0.75))
    assert alarm.familiar_below == pytest.approx(3.0 + FAMILIAR_SLACK)  # twice the reference


def test_only_familiar_benign_validation_windows_set_it_and_with_none_it_is_off() -> None:
    relative, y = np.array([0.0, 1.0, 50.0]), np.zeros(3, np.int64)
    reference = np.array([0.0, 0.0, 10.0])  # the last window's capture: a vehicle of its own
    assert fit_alarm(np.zeros(4), relative, reference, y).threshold == pytest.approx(1.5)
    off = fit_alarm(np.zeros(4), relative, np.full(3, 10.0), y)
    assert off.threshold is None
    assert not off.fires(np.array([1e9]), np.array([0.0])).any()
    assert not OFF.fires(np.array([1e9]), np.array([0.0])).any()


def test_it_fires_far_beyond_benign_windows_only_in_captures_the_vgae_knows() -> None:
    alarm = NoveltyAlarm(threshold=3.0, familiar_below=1.0)
    relative = np.array([2.9, 3.0, 8.0, 8.0])
    reference = np.array([0.0, 0.5, 1.0, 1.1])
    assert alarm.fires(relative, reference).tolist() == [False, True, True, False]


def test_an_attack_only_the_vgae_sees_is_flagged_by_every_fusion() -> None:
    """The fused score misses the new attack; the alarm lifts it above any threshold."""
    y = np.array([0] * 6 + [1] * 3)
    fused = {"avg": np.array([0.1, 0.2, 0.1, 0.3, 0.2, 0.1, 0.2, 0.25, 0.15])}
    relative = np.array([0.1, 0.3, 0.2, 0.5, 0.4, 0.2, 6.0, 7.5, 5.0])
    alarm = NoveltyAlarm(threshold=1.0, familiar_below=0.5)
    raised = raise_alarms(fused, alarm.fires(relative, np.zeros(9)))
    assert binary_metrics(fused["avg"], y, 0.5)["f1"] == 0.0
    assert binary_metrics(raised["avg"], y, 0.5)["f1"] == 1.0
    assert raised["avg"][:6].tolist() == fused["avg"][:6].tolist()  # benign windows untouched


def test_it_survives_its_json_form() -> None:
    for alarm in (NoveltyAlarm(2.5, 0.7), NoveltyAlarm(None, 0.7)):
        assert NoveltyAlarm.from_json(alarm.to_json()) == alarm
    with pytest.raises(KeyError):
        NoveltyAlarm.from_json({"threshold": 1.0})
