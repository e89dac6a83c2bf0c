"""What the figures draw, read from the lakehouse's tables and views only.

One query per figure family, each with a full ORDER BY: the same lakehouse gives the
same rows in the same order, so the same figures, byte for byte. Results carry their
``mark`` (``~chance``) from the leaderboard.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kdgat.errors import LakehouseError
from kdgat.lakehouse.query import connect

Frames = dict[str, pd.DataFrame]

# `kdgat export`, not `dvc repro export`: lakehouse/ is no DVC output, so a clone that pulled
# its results has none while DVC calls export up to date.
FIX = "run `kdgat export` first"

QUERIES: dict[str, str] = {
    "leaderboard": """
        SELECT * FROM leaderboard ORDER BY dataset, scenario, model""",
    "scenarios": """
        SELECT dataset, scenario, windows, attack_windows, prevalence, flag_all_f1, scorable
        FROM scenarios ORDER BY dataset, scenario""",
    "attacks": """
        SELECT a.dataset, a.scenario, a.attack, a.model, a.seeds, a.windows,
               a.recall, a.recall_low, a.recall_high, coalesce(l.mark, '') AS mark
        FROM attacks a
        LEFT JOIN leaderboard l USING (dataset, scenario, model)
        WHERE a.recall IS NOT NULL
        ORDER BY a.dataset, a.scenario, a.attack, a.model""",
    "kd_gap": """
        SELECT k.*, t.family, c.ci_low AS f1_gap_low, c.ci_high AS f1_gap_high,
               t.mark AS teacher_mark, s.mark AS student_mark
        FROM kd_gap k
        JOIN leaderboard t ON t.dataset = k.dataset AND t.scenario = k.scenario
                          AND t.model = k.teacher
        JOIN leaderboard s ON s.dataset = k.dataset AND s.scenario = k.scenario
                          AND s.model = k.student
        LEFT JOIN comparisons c ON c.dataset = k.dataset AND c.scenario = k.scenario
              AND c.question = 'kd_gap' AND c.model = k.teacher AND c.other = k.student
              AND c.metric = 'f1'
        ORDER BY k.dataset, k.scenario, k.teacher""",
    "fusion_gain": """
        SELECT g.*, f.mark AS fusion_mark, s.mark AS single_mark,
               c.ci_low AS gain_low, c.ci_high AS gain_high,
               b.ci_low AS gain_over_baseline_low, b.ci_high AS gain_over_baseline_high
        FROM fusion_gain g
        JOIN leaderboard f ON f.dataset = g.dataset AND f.scenario = g.scenario
                          AND f.model = g.fusion
        LEFT JOIN leaderboard s ON s.dataset = g.dataset AND s.scenario = g.scenario
                               AND s.model = g.best_single
        LEFT JOIN comparisons c ON c.dataset = g.dataset AND c.scenario = g.scenario
              AND c.question = 'fusion_gain' AND c.model = g.fusion AND c.other = g.best_single
              AND c.metric = 'f1'
        LEFT JOIN comparisons b ON b.dataset = g.dataset AND b.scenario = g.scenario
              AND b.question = 'over_baseline' AND b.model = g.fusion AND b.metric = 'f1'
        ORDER BY g.dataset, g.scenario, g.fusion""",
    "time_to_detect": """
        SELECT t.*, coalesce(l.mark, '') AS mark
        FROM time_to_detect t
        LEFT JOIN leaderboard l USING (dataset, scenario, model)
        ORDER BY t.dataset, t.scenario, t.model""",
    "training": """
        SELECT e.dataset, r.model, r.seed, e.name, e.epoch, e.step, e.value
        FROM epoch_metrics e JOIN runs r ON r.run_id = e.run_id AND r.dataset = e.dataset
        WHERE e.value IS NOT NULL AND isfinite(e.value)
        ORDER BY e.dataset, r.model, e.name, r.seed, e.step""",
    "curves": """
        SELECT c.dataset, c.scenario, c.model, r.seed, c.kind, c.point, c.x, c.y
        FROM curves c JOIN runs r ON r.run_id = c.run_id AND r.dataset = c.dataset
        ORDER BY c.dataset, c.kind, c.scenario, c.model, r.seed, c.point""",
}


def load(lakehouse: Path) -> Frames:
    """Every query's rows as a DataFrame, from the local lakehouse folder ``lakehouse``.

    Raises:
        LakehouseError: the folder is missing, holds no export, or a table's file
            that its manifest lists cannot be read; the message says how to rebuild it.
    """
    if not lakehouse.is_dir():
        raise LakehouseError(f"{lakehouse}: no lakehouse folder; {FIX}")
    con = connect(lakehouse)
    try:
        return {name: con.sql(sql).df() for name, sql in QUERIES.items()}
    finally:
        con.close()


def of(frames: Frames, name: str, dataset: str) -> pd.DataFrame:
    """The rows of query ``name`` that belong to ``dataset``, in the query's order."""
    frame = frames[name]
    return frame[frame["dataset"] == dataset].reset_index(drop=True)


def datasets(frames: Frames) -> list[str]:
    """Every dataset with results on the leaderboard, sorted."""
    return sorted(set(frames["leaderboard"]["dataset"]))
