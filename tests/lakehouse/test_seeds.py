"""Three seeds of every run: the lakehouse ranks by the mean, with its interval and marks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kdgat.evaluation.stats import summarize
from kdgat.lakehouse.collect import collect
from kdgat.lakehouse.export import write_export
from kdgat.lakehouse.query import connect
from kdgat.layout import Layout

from .workspace import SCENARIOS, make_repo

SEEDS = (42, 43, 44)


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "ws", ["synth"], seeds=SEEDS)
    rows = collect(Layout(root), {"synth": {"domain": "can"}}, "r1", {}, seeds=SEEDS)
    write_export(rows, root / "lakehouse", "r1")
    return root


def _per_seed(root: Path, model: str, scenario: str, metric: str) -> list[float]:
    return [
        json.loads(Layout(root, s).evaluation("synth").evaluation.read_text())[model][scenario][
            metric
        ]
        for s in SEEDS
    ]


def test_the_leaderboard_ranks_by_the_mean_over_seeds_with_its_interval(lake: Path) -> None:
    con = connect(lake / "lakehouse")
    rows = con.execute(
        "select model, seeds, f1, f1_low, f1_high, rank from leaderboard where scenario = ? "
        "order by rank",
        [SCENARIOS[0]],
    ).fetchall()
    means = {}
    for model, seeds, f1, low, high, _ in rows:
        expected = summarize(_per_seed(lake, model, SCENARIOS[0], "f1"))
        assert seeds == 3
        assert (f1, low, high) == pytest.approx((expected.mean, expected.low, expected.high))
        means[model] = f1
    assert rows[0][0] == max(means, key=means.__getitem__)


def test_best_of_seeds_is_the_maximum_and_says_which_seed(lake: Path) -> None:
    con = connect(lake / "lakehouse")
    seed, f1 = (
        con.execute(
            "select seed, f1 from best_of_seeds where scenario = ? and model = 'gat'",
            [SCENARIOS[1]],
        ).fetchone()
        or ()
    )
    values = _per_seed(lake, "gat", SCENARIOS[1], "f1")
    assert f1 == pytest.approx(max(values))
    assert seed == SEEDS[int(np.argmax(values))]


def test_every_run_is_one_seed_and_scenarios_carry_their_references(lake: Path) -> None:
    con = connect(lake / "lakehouse")
    assert con.execute("select distinct seed from runs order by seed").fetchall() == [
        (s,) for s in SEEDS
    ]
    prevalence, flag_all, scorable = (
        con.execute(
            "select prevalence, flag_all_f1, scorable from scenarios where scenario = ?",
            [SCENARIOS[0]],
        ).fetchone()
        or ()
    )
    assert flag_all == pytest.approx(2 * prevalence / (1 + prevalence))
    assert scorable
    marks = con.execute("select distinct mark from leaderboard").fetchall()
    assert set(marks) <= {("",), ("~chance",)}


def test_per_attack_rows_are_summarised_over_seeds(lake: Path) -> None:
    con = connect(lake / "lakehouse")
    seeds, recall, windows = (
        con.execute(
            "select seeds, recall, windows from attacks where model = 'gat' and attack = 'dos'"
        ).fetchone()
        or ()
    )
    per_seed = [
        json.loads(Layout(lake, s).evaluation("synth").attacks.read_text())["gat"][SCENARIOS[0]]
        for s in SEEDS
    ]
    assert (seeds, windows) == (3, 40)
    assert recall == pytest.approx(np.mean([p["dos"]["recall"] for p in per_seed]))


def test_paired_questions_are_answered_over_all_seeds(lake: Path) -> None:
    con = connect(lake / "lakehouse")
    rows = con.execute(
        "select question, model, other, seeds, difference, ci_low, ci_high, p_value "
        "from comparisons where scenario = ? order by question, model",
        [SCENARIOS[0]],
    ).fetchall()
    assert {(q, m, o) for q, m, o, *_ in rows} >= {
        ("kd_gap", "gat", "gat_small"),
        ("over_baseline", "gat", "window_gbt"),
    }
    for *_, seeds, difference, low, high, p in rows:
        assert seeds == 3
        assert low <= difference <= high
        assert 0 <= p <= 1
