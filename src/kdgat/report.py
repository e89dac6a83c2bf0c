"""The results table ``make run`` ends with: one section per dataset in params.yaml."""

from __future__ import annotations

import json
from typing import Any

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


def models_table(datasets: list[str], layout: Layout) -> str:
    """Per dataset and trained model: parameters and validation metrics at its threshold."""
    header = ("dataset", "model", "params", "val F1", "val AUROC", "threshold")
    lines = ["{:<14} {:<12} {:>9} {:>7} {:>9} {:>10}".format(*header)]
    for name in datasets:
        for card_path in layout.model_cards(name):
            card = json.loads(card_path.read_text())
            if "validation" not in card:  # not a trained graph model (e.g. window_gbt)
                continue
            val = card["validation"]["val"]
            lines.append(
                f"{name:<14} {card['model']:<12} {card['parameters']:>9,} {val['f1']:>7.3f} "
                f"{val['auroc']:>9.3f} {card['validation']['threshold']:>10.4g}"
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


def evaluation_table(datasets: list[str], layout: Layout) -> str:
    """Per dataset: models as rows, test scenarios as columns, F1 and AUROC in each cell."""
    sections = []
    for name in datasets:
        path = layout.metrics(name).evaluation
        if not path.exists():
            continue
        evaluation = json.loads(path.read_text())
        scenarios = list(next(iter(evaluation.values())))
        header = f"{name:<20}" + "".join(f" {s[:26]:>26}" for s in scenarios)
        sub = f"{'model':<20}" + "".join(f" {'F1':>12} {'AUROC':>13}" for _ in scenarios)
        rows = [
            f"{model:<20}"
            + "".join(
                f" {_number(by[s]['f1']):>12} {_number(by[s]['auroc']):>13}" for s in scenarios
            )
            for model, by in evaluation.items()
        ]
        sections.append("\n".join([header, sub, *rows]))
    return "\n\n".join(sections)


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
