"""Every metric over seeds, and each scenario's references: what a results table shows.

``summary_rows``: per dataset, model, scenario and metric, the mean over seeds with its
standard deviation and 95 % bootstrap interval (``kdgat.evaluation.stats``), and the
``~chance`` mark of that model on that scenario. ``scenario_rows``: the attack
prevalence, the flag-everything F1 a detector must beat, and whether frame labels can
score the scenario at all (a suppression capture has no frame labelled attack, so no
attack window). The lakehouse stores both; ``kdgat report`` prints them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from kdgat.evaluation.stats import Interval, flag_all_f1, is_chance, summarize

Key = tuple[str, str, str, str]  # dataset, model, scenario, metric
Values = dict[Key, list[float]]  # one value per seed


def values_of(metric_rows: Iterable[Mapping[str, Any]]) -> Values:
    """Rows with dataset, model, scenario, metric and value -> values per key, over runs."""
    values: Values = defaultdict(list)
    for m in metric_rows:
        value = m["value"]
        values[(m["dataset"], m["model"], m["scenario"], m["metric"])].append(
            math.nan if value is None else float(value)
        )
    return values


def scenario_rows(values: Mapping[Key, list[float]]) -> list[dict[str, Any]]:
    """Windows and attack share of every scenario, from any model's evaluation of it."""
    found: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for (dataset, _, scenario, metric), v in values.items():
        if metric in ("graphs", "attack_fraction") and v:
            found[(dataset, scenario)].setdefault(metric, v[0])
    rows = []
    for (dataset, scenario), seen in sorted(found.items()):
        windows = int(seen.get("graphs", 0))
        share = float(seen.get("attack_fraction", math.nan))
        attack_windows = round(windows * share) if windows and math.isfinite(share) else 0
        rows.append(
            {
                "dataset": dataset,
                "scenario": scenario,
                "windows": windows,
                "attack_windows": attack_windows,
                "prevalence": share,
                "flag_all_f1": flag_all_f1(share) if math.isfinite(share) else math.nan,
                "scorable": attack_windows > 0,
            }
        )
    return rows


def summary_rows(
    values: Mapping[Key, list[float]],
    scenarios: Iterable[Mapping[str, Any]],
    kinds: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """One row per dataset, model, scenario and metric (sorted), with the chance mark.

    ``kinds``: (dataset, model) -> family, size, kd columns copied into each row.
    """
    prevalence = {(s["dataset"], s["scenario"]): s["prevalence"] for s in scenarios}
    intervals = {key: summarize(v) for key, v in values.items()}
    rows = []
    for (dataset, model, scenario, metric), interval in sorted(intervals.items()):
        f1 = intervals.get((dataset, model, scenario, "f1"))
        auroc = intervals.get((dataset, model, scenario, "auroc"))
        p = prevalence.get((dataset, scenario), math.nan)
        known = f1 is not None and auroc is not None and math.isfinite(p)
        chance = known and is_chance(f1, auroc, p)  # type: ignore[arg-type]
        rows.append(
            {
                "dataset": dataset,
                "model": model,
                **(kinds or {}).get((dataset, model), {}),
                "scenario": scenario,
                "metric": metric,
                **interval_columns(interval),
                "chance": bool(chance),
            }
        )
    return rows


def interval_columns(i: Interval) -> dict[str, Any]:
    """An interval as the columns of a summary row."""
    return {"seeds": i.n, "mean": i.mean, "std": i.std, "ci_low": i.low, "ci_high": i.high}
