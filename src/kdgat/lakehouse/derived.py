"""The tables an export derives from all of its runs: over seeds, and paired comparisons.

``summary`` and ``attack_summary`` hold every metric's mean and 95 % interval over
seeds (``kdgat.evaluation.summary``), ``scenarios`` each scenario's references, and
``comparisons`` the paired questions (``kdgat.evaluation.comparisons``), answered from
every seed's window decisions (``predictions.parquet``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from kdgat.evaluation.comparisons import Decisions, comparison_rows
from kdgat.evaluation.stats import summarize
from kdgat.evaluation.summary import interval_columns, scenario_rows, summary_rows, values_of
from kdgat.lakehouse.tables import Rows

SeedDecisions = tuple[Decisions, dict[str, np.ndarray]]  # per model and scenario; labels


def derived_rows(rows: Rows, decisions: Mapping[str, list[SeedDecisions]]) -> Rows:
    """``summary``, ``attack_summary``, ``scenarios`` and ``comparisons`` of collected rows."""
    values = values_of(rows["metrics"])
    scenarios = scenario_rows(values)
    kinds = {
        (r["dataset"], r["model"]): {k: r[k] for k in ("family", "size", "kd")}
        for r in rows["runs"]
    }
    summary = summary_rows(values, scenarios, kinds)
    return {
        "summary": summary,
        "attack_summary": attack_summary_rows(rows["attack_metrics"]),
        "comparisons": [
            row
            for dataset, seeds in decisions.items()
            for row in comparison_rows(dataset, seeds, _mean_f1(summary, dataset))
        ],
        "scenarios": scenarios,
    }


def attack_summary_rows(attack_metrics: list[dict]) -> list[dict]:
    """Every per-attack metric over seeds."""
    per_attack: dict[tuple[str, ...], list[float]] = defaultdict(list)
    for r in attack_metrics:
        key = (r["dataset"], r["model"], r["scenario"], r["attack"], r["metric"])
        per_attack[key].append(math.nan if r["value"] is None else r["value"])
    keys = ("dataset", "model", "scenario", "attack", "metric")
    return [
        {**dict(zip(keys, key, strict=True)), **interval_columns(summarize(v))}
        for key, v in sorted(per_attack.items())
    ]


def _mean_f1(summary: list[dict], dataset: str) -> dict[tuple[str, str], float]:
    """(model, scenario) -> mean F1 over seeds of one dataset (-1 where undefined)."""
    return {
        (r["model"], r["scenario"]): r["mean"] if r["seeds"] else -1.0
        for r in summary
        if r["dataset"] == dataset and r["metric"] == "f1"
    }


def read_decisions(path: Path) -> SeedDecisions | None:
    """One seed's decisions per model and scenario, and the labels; None before evaluation."""
    if not path.is_file():
        return None
    table = pq.read_table(path).to_pandas()
    decisions: dict[str, dict[str, np.ndarray]] = {}
    labels: dict[str, np.ndarray] = {}
    for (model, scenario), part in table.groupby(["model", "scenario"], observed=True, sort=True):
        ordered = part.sort_values("window")
        decisions.setdefault(str(model), {})[str(scenario)] = ordered["flagged"].to_numpy()
        labels.setdefault(str(scenario), ordered["y"].to_numpy())
    return decisions, labels
