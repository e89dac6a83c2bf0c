"""Read a workspace's results into lakehouse rows (no writing here).

Sources, per dataset ``ds`` (all paths relative to the workspace root):

- ``metrics/<ds>/evaluation.json``: ``{model: {scenario: {metric: value}}}`` (evaluate stage);
- ``models/<ds>/**/model_card.json`` (+ ``thresholds.json``, ``model.pt`` beside it);
- ``dvclive/<model>/<ds>/plots/metrics/**/*.tsv``: per-epoch curves;
- ``metrics/<ds>/plots/{roc,pr}/<scenario>__<model>.csv``: ROC and precision-recall curves;
- ``metrics/<ds>/ingest_report.json`` and ``metrics/<ds>/graphs.json``: the data.

A run's id comes from the model card (git revision at training time, settings and
architecture, data hash), so re-exporting an unchanged run gives the same id. A model
without a card (e.g. a baseline fitted inside the evaluate stage) is identified by the
export's git revision, the params it was given, and the dataset's data hash.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from kdgat.errors import LakehouseError
from kdgat.evaluation.comparisons import Decisions
from kdgat.lakehouse.derived import derived_rows, read_decisions
from kdgat.lakehouse.ids import md5_file, run_id, stable_hash
from kdgat.lakehouse.tables import Rows
from kdgat.layout import EvaluationFiles, FusionFiles, Layout, ModelFiles
from kdgat.timings import read_timings

GRAPH_FAMILIES = {"gat", "vgae"}  # for cards written before they recorded their network
TRAINING_STAGES = {
    "gat": "train_gat",
    "vgae": "train_vgae",
    "fusion": "train_dqn",
    "baseline": "window_baseline",
}
RUN_INFO = ("host", "slurm_job_id", "device", "started_at", "duration_s", "peak_memory_mb")


def collect(
    layout: Layout,
    datasets: Mapping[str, Mapping[str, str]],
    git_revision: str,
    fallback_params: Mapping[str, Any],
    dvc_experiment: str | None = None,
    seeds: Iterable[int | None] = (None,),
) -> Rows:
    """Rows of every table for ``datasets`` (name -> catalog fields domain/format/source).

    Every dataset's runs of every seed, then the tables derived over seeds (``summary``).
    """
    rows: Rows = {table: [] for table in PER_RUN}
    decisions: dict[str, list[tuple[Decisions, dict[str, np.ndarray]]]] = {}
    for dataset, info in datasets.items():
        data_row = dataset_row(layout, dataset, info)
        rows["datasets"].append(data_row)
        for seed in seeds:
            context = {
                "git_revision": git_revision,
                "params": dict(fallback_params),
                "data_hash": data_row["data_hash"],
                "dvc_experiment": dvc_experiment,
                "seed": seed,
            }
            seeded = layout.seeded(seed)
            for table, new in dataset_runs(seeded, dataset, context).items():
                rows[table].extend(new)
            found = read_decisions(seeded.evaluation(dataset).predictions)
            if found is not None:
                decisions.setdefault(dataset, []).append(found)
    return rows | derived_rows(rows, decisions)


PER_RUN = ("runs", "metrics", "attack_metrics", "epoch_metrics", "datasets", "models", "curves")


def dataset_runs(layout: Layout, dataset: str, context: Mapping[str, Any]) -> Rows:
    """runs, metrics, epoch_metrics and models rows of one dataset and seed (``layout``'s)."""
    evaluation = load_evaluation(layout.evaluation(dataset).evaluation, layout.key(dataset))
    for model, figures in read_timings(layout, dataset).items():
        for scenario in evaluation.get(model, {}).values():
            scenario.update(figures)  # wall-clock figures: the same on every scenario
    cards: dict[str, tuple[Path | None, dict[str, Any] | None]] = dict(
        find_cards(layout.model_cards(dataset))
    )
    attacks = load_attacks(layout.evaluation(dataset).attacks)
    rows: Rows = {
        "runs": [],
        "metrics": [],
        "attack_metrics": [],
        "epoch_metrics": [],
        "models": [],
        "curves": [],
    }
    files = layout.evaluation(dataset)
    for model in sorted(set(evaluation) | set(cards)):
        found = cards.get(model, (None, None))
        run = run_row(dataset, model, found[1], context, evaluated=model in evaluation)
        rid = run["run_id"]
        rows["runs"].append(run)
        rows["metrics"].extend(metric_rows(dataset, rid, model, evaluation.get(model, {})))
        rows["attack_metrics"].extend(attack_rows(dataset, rid, model, attacks.get(model, {})))
        curves = layout.dvclive(model, dataset) / "plots" / "metrics"
        rows["epoch_metrics"].extend(epoch_rows(dataset, rid, curves))
        rows["models"].append(model_row(layout, dataset, rid, model, found, evaluation))
        rows["curves"].extend(run_curves(files, dataset, rid, model, evaluation.get(model, {})))
    return rows


def run_curves(
    files: EvaluationFiles, dataset: str, rid: str, model: str, scenarios: Iterable[str]
) -> list[dict[str, Any]]:
    """The ``curves`` rows of one run: its ROC and PR curve on every scenario it was scored on."""
    return [
        row
        for scenario in sorted(scenarios)
        for kind, folder in (("roc", files.roc), ("pr", files.pr))
        for row in curve_rows(
            dataset, rid, model, scenario, kind, folder / f"{scenario}__{model}.csv"
        )
    ]


def load_json(path: Path, fix: str) -> Any:
    """A JSON file's content; a missing or invalid file is an error that names ``fix``."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise LakehouseError(f"{path}: not found. Fix: {fix}") from None
    except json.JSONDecodeError as err:
        raise LakehouseError(f"{path}: not valid JSON ({err}). Fix: {fix}") from None


def load_attacks(path: Path) -> dict[str, Any]:
    """attacks.json ``{model: {scenario: {attack: {metric: value}}}}``; empty if not written."""
    if not path.is_file():  # evaluated before per-attack metrics existed
        return {}
    found = load_json(path, f"re-run the evaluate stage that wrote {path}")
    if not isinstance(found, dict):
        raise LakehouseError(
            f"{path}: expected {{model: {{scenario: {{attack: {{metric: value}}}}}}}}"
        )
    return found


def attack_rows(
    dataset: str, rid: str, model: str, scenarios: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The ``attack_metrics`` rows of one run: its ``metric_rows`` per attack type."""
    return [
        {**row, "attack": attack}
        for scenario, by_attack in scenarios.items()
        for attack, metrics in by_attack.items()
        for row in metric_rows(dataset, rid, model, {scenario: metrics})
    ]


def load_evaluation(path: Path, key: str) -> dict[str, dict[str, dict[str, float | None]]]:
    """evaluation.json, checked to be ``{model: {scenario: {metric: number}}}``."""
    fix = f"run `dvc repro evaluate@{key}`"
    raw = load_json(path, fix)
    if not isinstance(raw, dict):
        raise LakehouseError(f"{path}: expected {{model: {{scenario: {{metric: value}}}}}}")
    for model, scenarios in raw.items():
        if not isinstance(scenarios, dict):
            raise LakehouseError(f"{path}: {model}: expected {{scenario: {{metric: value}}}}")
        for scenario, metrics in scenarios.items():
            if not isinstance(metrics, dict):
                raise LakehouseError(f"{path}: {model}.{scenario}: expected {{metric: value}}")
            for metric, value in metrics.items():
                if value is not None and (
                    isinstance(value, bool) or not isinstance(value, int | float)
                ):
                    raise LakehouseError(
                        f"{path}: {model}.{scenario}.{metric} is {value!r}, not a number. "
                        f"Fix: {fix}"
                    )
    return raw


def find_cards(paths: list[Path]) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Model name -> (folder, model card) for every card of a dataset's models."""
    cards: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in paths:
        card = load_json(path, "re-run the stage that trained this model")
        cards[str(card.get("model") or path.parent.name)] = (path.parent, card)
    return cards


def classify(model: str, card: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """family, size and kd of a model: its card's ``network``, else its name's pattern.

    Names: ``gat_small`` (a student), ``fusion_dqn_small``, ``window_gbt`` (a baseline).
    """
    small = model.endswith("_small")
    base = model.removesuffix("_small")
    family = "fusion" if base.startswith("fusion_") else base
    if card and card.get("network"):
        family = str(card["network"])
    elif family not in GRAPH_FAMILIES | {"fusion"}:
        family = "baseline"
    size = "small" if small else (None if family == "baseline" else "large")
    return {"family": family, "size": size, "kd": small}


def stage_of(model: str, family: str) -> str:
    """The stage that produced ``model``, for a model card that does not record it."""
    if family in GRAPH_FAMILIES and model.endswith("_small"):
        return "distill"
    return TRAINING_STAGES.get(family, "evaluate")


def run_row(
    dataset: str,
    model: str,
    card: dict[str, Any] | None,
    context: Mapping[str, Any],
    evaluated: bool,
) -> dict[str, Any]:
    """The ``runs`` row of one model: from its card, else from the export's ``context``."""
    kind = classify(model, card)
    card = card or {}
    stage = str(card.get("stage") or stage_of(model, kind["family"]))
    params = (
        {"settings": card["settings"], "architecture": card.get("architecture")}
        if "settings" in card
        else context["params"]  # no recorded settings: everything the export was given
    )
    revision = str(card.get("git_revision") or context["git_revision"])
    data_hash = str(card.get("data_hash") or context["data_hash"])
    info = {**card, **(card.get("run") or {})}  # per-run facts, if the trainer recorded them
    seed = context.get("seed")
    return {
        "dataset": dataset,
        "run_id": run_id(revision, stage, dataset, model, params, data_hash, seed),
        "model": model,
        **kind,
        "seed": seed,
        "stage": stage,
        "git_revision": revision,
        "dvc_experiment": context["dvc_experiment"],
        "params_hash": stable_hash(params),
        "params": json.dumps(params, sort_keys=True, default=str),
        "data_hash": data_hash,
        **{key: info.get(key) for key in RUN_INFO},
        "started_at": _timestamp(info.get("started_at")),
        "slurm_job_id": None if info.get("slurm_job_id") is None else str(info["slurm_job_id"]),
        "status": "evaluated" if evaluated else "not_evaluated",
    }


def _timestamp(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def metric_rows(
    dataset: str, rid: str, model: str, scenarios: Mapping[str, Mapping[str, float | None]]
) -> list[dict[str, Any]]:
    """The ``metrics`` rows of one run: one per scenario and metric of its evaluation."""
    return [
        {
            "dataset": dataset,
            "run_id": rid,
            "model": model,
            "scenario": scenario,
            "metric": metric,
            "value": None if value is None else float(value),
        }
        for scenario, metrics in scenarios.items()
        for metric, value in metrics.items()
    ]


def epoch_rows(dataset: str, rid: str, curves: Path) -> list[dict[str, Any]]:
    """Rows of dvclive's per-step TSVs (``val/f1.tsv``: step, f1), each joined to its epoch."""
    if not curves.is_dir():
        return []
    epochs = {int(step): int(float(epoch)) for step, epoch in _tsv(curves / "epoch.tsv")}
    rows = []
    for path in sorted(curves.glob("**/*.tsv")):
        name = path.relative_to(curves).with_suffix("").as_posix()
        if name == "epoch":
            continue
        for step, value in _tsv(path):
            rows.append(
                {
                    "dataset": dataset,
                    "run_id": rid,
                    "epoch": epochs.get(int(step)),
                    "step": int(step),
                    "name": name,
                    "value": float(value),
                }
            )
    return rows


def curve_rows(
    dataset: str, rid: str, model: str, scenario: str, kind: str, path: Path
) -> list[dict[str, Any]]:
    """The ``curves`` rows of one plot CSV (two columns: x, y); none when it was not written.

    The evaluate stage writes no curve for a scenario with one class only.
    """
    if not path.is_file():
        return []
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or len(header) != 2:
            raise LakehouseError(
                f"{path}: expected a curve CSV with two columns. "
                "Fix: re-run the evaluate stage that wrote it"
            )
        points = [(float(row[0]), float(row[1])) for row in reader if len(row) == 2]
    return [
        {
            "dataset": dataset,
            "run_id": rid,
            "model": model,
            "scenario": scenario,
            "kind": kind,
            "point": i,
            "x": x,
            "y": y,
        }
        for i, (x, y) in enumerate(points)
    ]


def _tsv(path: Path) -> list[tuple[str, str]]:
    """(step, value) pairs of a two-column dvclive TSV; none when the file is absent."""
    if not path.is_file():
        return []
    with path.open(newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        header = next(reader, None)
        if header is None or len(header) < 2 or header[0] != "step":
            raise LakehouseError(
                f"{path}: expected a dvclive TSV with columns step<TAB>value. "
                "Fix: re-run the training stage that wrote it"
            )
        return [(row[0], row[1]) for row in reader if len(row) >= 2]


def model_row(
    layout: Layout,
    dataset: str,
    rid: str,
    model: str,
    found: tuple[Path | None, dict[str, Any] | None],
    evaluation: Mapping[str, Mapping[str, Mapping[str, float | None]]],
) -> dict[str, Any]:
    """Size, parameters, checkpoint and threshold of a run's model."""
    folder, card = found
    facts = (
        model_files(ModelFiles(folder))
        if folder is not None
        else fusion_model(layout, dataset, model)
    ) or {}
    checkpoint = facts.get("checkpoint")
    return {
        "dataset": dataset,
        "run_id": rid,
        "model": model,
        "size": classify(model, card)["size"],
        "parameters": (card or {}).get("parameters") or _evaluated_params(evaluation, model),
        "checkpoint_md5": md5_file(checkpoint) if checkpoint else None,
        "checkpoint_bytes": checkpoint.stat().st_size if checkpoint else None,
        "threshold": facts.get("threshold"),
        "threshold_method": facts.get("method"),
    }


def model_files(files: ModelFiles) -> dict[str, Any]:
    """Threshold and checkpoint file of a model folder with a card."""
    thresholds: dict[str, Any] = {}
    if files.thresholds.is_file():
        thresholds = load_json(files.thresholds, "re-run the training stage")
    checkpoints = (files.weights, files.estimator)
    return {
        "threshold": thresholds.get("threshold"),
        "method": thresholds.get("method"),
        "checkpoint": next((path for path in checkpoints if path.is_file()), None),
    }


def fusion_model(layout: Layout, dataset: str, model: str) -> dict[str, Any] | None:
    """A fusion variant's threshold, method and checkpoint file; None if not a fusion model.

    Read from ``fusion/<teacher|student>/fusion.json``, which holds every variant of a pair.
    """
    if classify(model)["family"] != "fusion":
        return None
    pair = "student" if model.endswith("_small") else "teacher"
    variant = model.removesuffix("_small").removeprefix("fusion_")
    files: FusionFiles = layout.fusion(dataset, pair)
    if not files.info.is_file():
        return None
    info = load_json(files.info, f"re-run the stage that wrote {files.dir}")
    checkpoint = {"dqn": files.dqn, "stack": files.stacker}.get(variant)
    return {
        "threshold": (info.get("thresholds") or {}).get(variant),
        "method": info.get("threshold_method"),
        "checkpoint": checkpoint if checkpoint is not None and checkpoint.is_file() else None,
    }


def _evaluated_params(
    evaluation: Mapping[str, Mapping[str, Mapping[str, float | None]]], model: str
) -> int | None:
    """The evaluate stage's ``params`` metric (the same in every scenario)."""
    for metrics in evaluation.get(model, {}).values():
        value = metrics.get("params")
        if value is not None and math.isfinite(value):
            return int(value)
    return None


def dataset_row(layout: Layout, dataset: str, info: Mapping[str, str]) -> dict[str, Any]:
    """The data behind a dataset's runs, from its ingest and graph reports."""
    metrics = layout.metrics(dataset)
    ingest = load_json(metrics.ingest_report, f"run `dvc repro ingest@{dataset}`")
    graphs = load_json(metrics.graphs, f"run `dvc repro graphs@{dataset}`")
    splits = graphs.get("splits", {})
    captures = ingest.get("captures", {})
    content = sorted(str(c.get("content_hash")) for c in captures.values())
    return {
        "dataset": dataset,
        "domain": ingest.get("domain", info.get("domain")),
        "format": ingest.get("format", info.get("format")),
        "source": info.get("source"),
        "captures": ingest.get("unique_captures"),
        "frames": ingest.get("rows"),
        "bad_rows": ingest.get("bad_rows"),
        "graphs": {split: int(stats["graphs"]) for split, stats in sorted(splits.items())},
        "attack_fraction": ingest.get("attack_fraction"),
        "vocab_size": graphs.get("vocab_size"),
        "schema_version": ingest.get("schema_version"),
        "data_hash": stable_hash({"captures": content, "splits": splits}),
    }
