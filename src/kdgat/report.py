"""The results table ``make run`` ends with: one section per dataset in params.yaml."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from kdgat.evaluation.stats import Interval, summarize
from kdgat.evaluation.summary import interval_columns, scenario_rows, summary_rows, values_of
from kdgat.layout import Layout


def load_reports(datasets: list[str], layout: Layout) -> dict[str, dict[str, Any]]:
    """The ingest report of every dataset that has one."""
    reports = {}
    for name in datasets:
        path = layout.metrics(name).ingest_report
        if path.exists():
            reports[name] = json.loads(path.read_text())
    return reports


def results_table(datasets: list[str], layout: Layout) -> str:
    """Per dataset and split: captures, frames and attack share."""
    reports = load_reports(datasets, layout)
    if not reports:
        return "no results yet: run `dvc repro` first"
    lines = [f"{'dataset':<14} {'split':<34} {'captures':>8} {'frames':>11} {'attack %':>9}"]
    for name, report in reports.items():
        for split, stats in _by_split(report).items():
            lines.append(
                f"{name:<14} {split:<34} {stats['captures']:>8} {stats['rows']:>11,} "
                f"{100 * stats['attack'] / max(stats['rows'], 1):>9.2f}"
            )
        lines.append(
            f"{name:<14} {'(all, duplicates counted once)':<34} {report['unique_captures']:>8} "
            f"{report['rows']:>11,} {100 * report['attack_fraction']:>9.2f}"
        )
    return "\n".join(lines)


def models_table(datasets: list[str], seeds: Sequence[int | None], layout: Layout) -> str:
    """Per dataset and trained model: parameters and validation metrics, mean over seeds."""
    header = ("dataset", "model", "params", "seeds", "val F1", "val AUROC")
    lines = ["{:<14} {:<12} {:>9} {:>5} {:>7} {:>9}".format(*header)]
    for name in datasets:
        cards: dict[str, list[dict[str, Any]]] = {}
        for seed in seeds:
            for path in layout.seeded(seed).model_cards(name):
                card = json.loads(path.read_text())
                if "validation" in card:  # a trained graph model (not e.g. window_gbt)
                    cards.setdefault(card["model"], []).append(card)
        for model, runs in cards.items():
            f1, auroc = (
                sum(c["validation"]["val"][k] for c in runs) / len(runs) for k in ("f1", "auroc")
            )
            lines.append(
                f"{name:<14} {model:<12} {runs[0]['parameters']:>9,} {len(runs):>5} "
                f"{f1:>7.3f} {auroc:>9.3f}"
            )
    return "\n".join(lines) if len(lines) > 1 else ""


def _by_split(report: dict[str, Any]) -> dict[str, dict[str, int]]:
    splits: dict[str, dict[str, int]] = {}
    for capture in report["captures"].values():
        if capture["duplicate_of"]:
            continue
        stats = splits.setdefault(capture["split"], {"captures": 0, "rows": 0, "attack": 0})
        stats["captures"] += 1
        stats["rows"] += capture["rows"] - capture["bad_rows"]
        stats["attack"] += capture["attack_rows"]
    return splits


def evaluation_table(datasets: list[str], seeds: Sequence[int | None], layout: Layout) -> str:
    """Per dataset and scenario: every model's F1, AUROC and MCC as mean [95 % CI] over seeds.

    Each scenario's header gives its prevalence and the flag-everything F1; ``~chance``
    marks a model not above them (``kdgat.evaluation.stats.is_chance``).
    """
    sections = []
    for name in datasets:
        evaluations = _evaluations(name, seeds, layout)
        if not evaluations:
            continue
        values = values_of(
            {"dataset": name, "model": m, "scenario": s, "metric": k, "value": v}
            for evaluation in evaluations.values()
            for m, by_scenario in evaluation.items()
            for s, metrics in by_scenario.items()
            for k, v in metrics.items()
        )
        scenarios = scenario_rows(values)
        summary = summary_rows(values, scenarios)
        used = ", ".join(str(seed) for seed in evaluations)
        sections.append(f"{name}: mean [95 % CI] over {len(evaluations)} seeds ({used})")
        sections.extend(_scenario_table(s, summary) for s in scenarios)
    return "\n\n".join(sections)


def _evaluations(
    name: str, seeds: Sequence[int | None], layout: Layout
) -> dict[int | None, dict[str, Any]]:
    found = {}
    for seed in seeds:
        path = layout.seeded(seed).evaluation(name).evaluation
        if path.exists():
            found[seed] = json.loads(path.read_text())
    return found


TABLE_METRICS = ("f1", "auroc", "mcc")


def _scenario_table(scenario: dict[str, Any], summary: list[dict[str, Any]]) -> str:
    name = scenario["scenario"]
    if not scenario["scorable"]:
        windows = scenario["windows"]
        return f"{name}: {windows} windows, none an attack: not scorable with frame labels"
    head = (
        f"{name}: {scenario['windows']} windows, prevalence {scenario['prevalence']:.3f}, "
        f"flag-all F1 {scenario['flag_all_f1']:.3f}"
    )
    cells: dict[str, dict[str, dict[str, Any]]] = {}
    for row in summary:
        if row["scenario"] == name and row["metric"] in TABLE_METRICS:
            cells.setdefault(row["model"], {})[row["metric"]] = row
    lines = [head, f"  {'model':<18}" + "".join(f" {m.upper():<21}" for m in TABLE_METRICS)]
    ranked = sorted(cells, key=lambda m: -_mean(cells[m].get("f1")))
    for model in ranked:
        by = cells[model]
        mark = "  ~chance" if any(r["chance"] for r in by.values()) else ""
        lines.append(
            f"  {model:<18}" + "".join(f" {_cell(by.get(m)):<21}" for m in TABLE_METRICS) + mark
        )
    weights = [
        f"{row['metric'].removesuffix('_weight')} {_cell(row)}"
        for row in summary
        if (row["scenario"], row["model"]) == (name, "fusion_dqn")
        and row["metric"].endswith("_weight")
    ]
    if weights:
        lines.append(f"  fusion_dqn's mean weights: {', '.join(weights)}")
    return "\n".join(lines)


def _mean(row: dict[str, Any] | None) -> float:
    value = None if row is None else row["mean"]
    return -1.0 if value is None or math.isnan(value) else float(value)


def _cell(row: dict[str, Any] | None) -> str:
    if row is None or math.isnan(row["mean"]):
        return "n/a"
    if row["seeds"] < 2:
        return f"{row['mean']:.3f}"
    return f"{row['mean']:.3f} [{row['ci_low']:.3f}, {row['ci_high']:.3f}]"


# The models a per-attack table shows: the teachers, a student, the fusion, the baseline.
ATTACK_MODELS = ("vgae", "gat", "gat_small", "gin", "fusion_dqn", "window_gbt")


def attack_table(datasets: list[str], seeds: Sequence[int | None], layout: Layout) -> str:
    """Per dataset, scenario and attack type: recall (mean [95 % CI] over seeds) and delays."""
    sections = []
    for name in datasets:
        per_seed = [
            json.loads(path.read_text())
            for seed in seeds
            if (path := layout.seeded(seed).evaluation(name).attacks).exists()
        ]
        values: dict[tuple[str, str, str, str], list[float]] = {}
        for found in per_seed:
            for model, by_scenario in found.items():
                for scenario, by_attack in by_scenario.items():
                    for attack, metrics in by_attack.items():
                        for metric, v in metrics.items():
                            key = (scenario, attack, model, metric)
                            values.setdefault(key, []).append(math.nan if v is None else v)
        if values:
            sections.append(f"{name}: per attack type, mean over {len(per_seed)} seeds")
            sections.append(_attack_lines({k: summarize(v) for k, v in values.items()}))
    return "\n\n".join(sections)


def _attack_lines(stats: dict[tuple[str, str, str, str], Interval]) -> str:
    head = (
        f"  {'scenario / attack':<44} {'model':<12} {'windows':>7} {'recall':<21} "
        f"{'DR@1%FPR':>8} {'detected':>8} {'delay s':>8}"
    )
    lines = [head]
    for scenario, attack in sorted({(s, a) for s, a, _, _ in stats}):
        for model in ATTACK_MODELS:
            if (scenario, attack, model, "recall") not in stats:
                continue
            get = {m: stats.get((scenario, attack, model, m)) for m in ATTACK_METRICS}
            lines.append(
                f"  {scenario + ' / ' + attack:<44} {model:<12} {_plain(get['windows'], 0):>7} "
                f"{_cell(_row(get['recall'])):<21} {_plain(get['dr_at_1pct_fpr']):>8} "
                f"{_plain(get['detected_share']):>8} {_plain(get['median_delay_s']):>8}"
            )
    return "\n".join(lines)


ATTACK_METRICS = ("windows", "recall", "dr_at_1pct_fpr", "detected_share", "median_delay_s")


def _row(i: Interval | None) -> dict[str, Any] | None:
    return None if i is None else interval_columns(i)


def _plain(i: Interval | None, digits: int = 3) -> str:
    return "n/a" if i is None or math.isnan(i.mean) else f"{i.mean:.{digits}f}"
