"""Results over seeds: scenario references and the ~chance mark, from per-seed values."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from kdgat.evaluation.stats import flag_all_f1, summarize
from kdgat.evaluation.summary import scenario_rows, summary_rows, values_of

KNOWN, SUPPRESSED = "known_vehicle_known_attack", "suppression"


def _rows(model: str, scenario: str, metric: str, values: Sequence[float | None]) -> list[dict]:
    return [
        {"dataset": "d", "model": model, "scenario": scenario, "metric": metric, "value": v}
        for v in values
    ]


def _values(f1: list[float], auroc: list[float], prevalence: float = 0.25) -> dict:
    rows = [
        *_rows("good", KNOWN, "f1", [0.95, 0.97, 0.96]),
        *_rows("good", KNOWN, "auroc", [0.99, 0.99, 0.98]),
        *_rows("flagger", KNOWN, "f1", f1),
        *_rows("flagger", KNOWN, "auroc", auroc),
        *_rows("good", KNOWN, "graphs", [400, 400, 400]),
        *_rows("good", KNOWN, "attack_fraction", [prevalence] * 3),
        *_rows("good", SUPPRESSED, "graphs", [50, 50, 50]),
        *_rows("good", SUPPRESSED, "attack_fraction", [0.0] * 3),
        *_rows("good", SUPPRESSED, "f1", [None, None, None]),
    ]
    return values_of(rows)


def test_scenarios_carry_prevalence_flag_all_f1_and_whether_frames_can_score_them() -> None:
    known, suppressed = scenario_rows(_values([0.4] * 3, [0.5] * 3))
    assert (known["scenario"], known["windows"], known["attack_windows"]) == (KNOWN, 400, 100)
    assert known["prevalence"] == 0.25
    assert known["flag_all_f1"] == pytest.approx(0.4)
    assert known["scorable"]
    assert (suppressed["scenario"], suppressed["attack_windows"]) == (SUPPRESSED, 0)
    assert not suppressed["scorable"]


def test_summary_rows_are_the_mean_and_interval_over_seeds() -> None:
    values = _values([0.4] * 3, [0.5] * 3)
    rows = summary_rows(values, scenario_rows(values))
    (good,) = [
        r for r in rows if r["model"] == "good" and r["metric"] == "f1" and r["scenario"] == KNOWN
    ]
    expected = summarize([0.95, 0.97, 0.96])
    assert (good["seeds"], good["mean"], good["ci_low"], good["ci_high"]) == (
        3,
        expected.mean,
        expected.low,
        expected.high,
    )
    assert not good["chance"]
    (undefined,) = [r for r in rows if r["scenario"] == SUPPRESSED and r["metric"] == "f1"]
    assert undefined["seeds"] == 0
    assert math.isnan(undefined["mean"])


def test_flagging_everything_is_marked_chance_on_every_metric_row() -> None:
    flag_all = flag_all_f1(0.25)
    values = _values([flag_all] * 3, [0.5] * 3)
    rows = [r for r in summary_rows(values, scenario_rows(values)) if r["model"] == "flagger"]
    assert rows
    assert all(r["chance"] for r in rows)


def test_a_model_above_flag_all_but_ranking_at_random_is_still_marked() -> None:
    values = _values([0.9, 0.92, 0.91], [0.49, 0.51, 0.5])
    rows = [r for r in summary_rows(values, scenario_rows(values)) if r["model"] == "flagger"]
    assert all(r["chance"] for r in rows)
