"""A workspace with the files the pipeline writes, in the shapes its stages write them.

Model cards, thresholds, checkpoints, fusion.json, dvclive curves, ingest and graph reports
and ``metrics/<ds>/evaluation.json`` (``{model: {scenario: {metric: value}}}``), with
metrics computed from confusion matrices drawn from a seeded generator, so the lakehouse
tests need no trained pipeline.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from kdgat.layout import Layout
from kdgat.timings import write_timings

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = ("known_vehicle_known_attack", "unknown_vehicle_unknown_attack")
GRAPH_MODELS = {"vgae": 339968, "gat": 407362, "vgae_small": 4088, "gat_small": 2986}
FUSION = ("dqn", "avg", "stack")
MODELS = (
    *GRAPH_MODELS,
    *(f"fusion_{v}" for v in FUSION),
    *(f"fusion_{v}_small" for v in FUSION),
    "window_gbt",
)
TRAINING_SEED = 42  # the one seed of the fake workspace (params.yaml's seeds: [42])
GRAPHS = {"known_vehicle_known_attack": 1319, "unknown_vehicle_unknown_attack": 226}


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def scenario_metrics(rng: np.random.Generator, graphs: int, quality: float) -> dict[str, Any]:
    """The evaluate stage's metrics of one model on one scenario, from a confusion matrix."""
    positives = int(graphs * 0.4)
    negatives = graphs - positives
    tp = int(rng.binomial(positives, quality))
    tn = int(rng.binomial(negatives, min(quality + 0.02, 1.0)))
    fp, fn = negatives - tn, positives - tp
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / positives
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    denom = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)) or 1.0
    return {
        "accuracy": (tp + tn) / graphs,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "auroc": min(1.0, quality + float(rng.uniform(0, 0.05))),
        "auprc": min(1.0, quality + float(rng.uniform(0, 0.03))),
        "mcc": (tp * tn - fp * fn) / denom,
        "specificity": tn / negatives,
        "fpr": fp / negatives,
        "dr_at_1pct_fpr": recall * 0.9,
        "threshold": float(rng.uniform(0.2, 0.9)),
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
        "graphs": graphs,
        "attack_fraction": positives / graphs,
    }


def model_card(
    model: str, dataset: str, revision: str, lr: float, seed: int = TRAINING_SEED
) -> dict[str, Any]:
    """What kdgat.training.artifacts.write_outputs writes."""
    return {
        "architecture": {"class": "GATClassifier" if "gat" in model else "VGAE", "arguments": {}},
        "parameters": GRAPH_MODELS[model],
        "git_revision": revision,
        "model": model,
        "dataset": dataset,
        "data_hash": f"hash-of-{dataset}",
        "settings": {"epochs": 3, "lr": lr, "batch_size": 64, "seed": seed},
        "validation": {"threshold": 0.5, "threshold_method": "max_f1"},
    }


def write_dataset(
    root: Path,
    dataset: str,
    seed: int = 0,
    revision: str = "a" * 40,
    lr: float = 1e-3,
    training_seed: int = TRAINING_SEED,
) -> dict[str, Any]:
    """Every pipeline output the export reads for one dataset and training seed.

    ``seed`` draws the fake results; returns evaluation.json.
    """
    rng = np.random.default_rng(seed)
    layout = Layout(root, training_seed)
    for name, params in GRAPH_MODELS.items():
        files = layout.model(dataset, name)
        write_json(files.card, model_card(name, dataset, revision, lr, training_seed))
        write_json(files.thresholds, {"threshold": 0.4 + params % 7 / 10, "method": "max_f1"})
        files.weights.write_bytes(rng.bytes(2048))
        write_curves(layout.dvclive(name, dataset) / "plots" / "metrics", rng, name)
    for pair in ("teacher", "student"):
        fusion = layout.fusion(dataset, pair)
        thresholds = {v: float(rng.uniform(0.3, 0.9)) for v in FUSION}
        write_json(fusion.info, {"thresholds": thresholds, "threshold_method": "max_f1"})
        fusion.dqn.write_bytes(rng.bytes(512))
        fusion.stacker.write_bytes(rng.bytes(256))
    gbt = layout.model(dataset, "window_gbt")
    write_json(gbt.card, {"model": "window_gbt", "parameters": 10416})
    write_json(gbt.thresholds, {"threshold": 0.99, "method": "max_f1"})
    gbt.estimator.write_bytes(rng.bytes(1024))
    evaluation = {
        model: {
            scenario: {
                **scenario_metrics(rng, GRAPHS[scenario], float(rng.uniform(0.6, 0.99))),
                "params": GRAPH_MODELS.get(model, 7000 + i),
            }
            for scenario in SCENARIOS
        }
        for i, model in enumerate(MODELS)
    }
    write_json(layout.evaluation(dataset).evaluation, evaluation)
    attacks = {
        model: {SCENARIOS[0]: {"dos": {"windows": 40.0, "recall": float(rng.uniform(0.5, 1))}}}
        for model in MODELS
    }
    write_json(layout.evaluation(dataset).attacks, attacks)
    write_predictions(layout.evaluation(dataset).predictions, rng)
    write_plot_curves(layout, dataset, rng)
    latency = {model: {"latency_ms": float(rng.uniform(0.05, 2.0))} for model in MODELS}
    write_timings(layout, dataset, "evaluate", latency)
    write_reports(layout, dataset, rng)
    return evaluation


def write_predictions(path: Path, rng: np.random.Generator, windows: int = 200) -> None:
    """predictions.parquet as evaluate writes it: every model's decision on every window."""
    labels = {scenario: rng.random(windows) < 0.3 for scenario in SCENARIOS}
    parts = [
        (model, scenario, y, np.where(rng.random(windows) < 0.9, y, ~y))
        for model in MODELS
        for scenario, y in labels.items()
    ]
    table = pa.table(
        {
            "model": [m for m, _, y, _ in parts for _ in y],
            "scenario": [s for _, s, y, _ in parts for _ in y],
            "window": np.concatenate([np.arange(len(y)) for _, _, y, _ in parts]),
            "score": np.concatenate([f.astype(float) for _, _, _, f in parts]),
            "flagged": np.concatenate([f for _, _, _, f in parts]),
            "y": np.concatenate([y.astype(np.uint8) for _, _, y, _ in parts]),
        }
    )
    pq.write_table(table, path)


def write_plot_curves(layout: Layout, dataset: str, rng: np.random.Generator) -> None:
    """plots/roc and plots/pr as evaluate writes them: one CSV per scenario and model."""
    files = layout.evaluation(dataset)
    for model in MODELS:
        for scenario in SCENARIOS:
            fpr = np.concatenate([[0.0], np.sort(rng.uniform(0, 1, 9)), [1.0]])
            tpr = np.maximum.accumulate(np.minimum(1.0, fpr + rng.uniform(0, 0.5, 11)))
            tpr[0], tpr[-1] = 0.0, 1.0
            recall, precision = tpr[::-1], np.linspace(0.4, 1.0, 11)
            for folder, names, x, y in (
                (files.roc, "fpr,tpr", fpr, tpr),
                (files.pr, "recall,precision", recall, precision),
            ):
                folder.mkdir(parents=True, exist_ok=True)
                rows = "".join(f"{a:.6g},{b:.6g}\n" for a, b in zip(x, y, strict=True))
                (folder / f"{scenario}__{model}.csv").write_text(f"{names}\n{rows}")


def write_curves(folder: Path, rng: np.random.Generator, model: str, epochs: int = 3) -> None:
    """dvclive's TSVs: step<TAB>value per key, epoch.tsv mapping steps to epochs."""
    keys = ["train/loss", "val/loss"] + ([] if model.startswith("vgae") else ["val/f1"])
    steps = [10 * (e + 1) for e in range(epochs)]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "epoch.tsv").write_text(
        "step\tepoch\n" + "".join(f"{s}\t{e}\n{s}\t{e}\n" for e, s in enumerate(steps))
    )
    for key in keys:
        path = folder / f"{key}.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        name = key.split("/")[-1]
        rows = "".join(f"{s}\t{rng.uniform(0, 1)}\n" for s in steps)
        path.write_text(f"step\t{name}\n{rows}")


def write_reports(layout: Layout, dataset: str, rng: np.random.Generator) -> None:
    """metrics/<ds>/ingest_report.json and graphs.json as the ingest and graphs stages write."""
    captures = {
        f"cap-{i}": {"split": "train", "rows": 1000, "content_hash": f"{dataset}-{i}"}
        for i in range(3)
    }
    metrics = layout.metrics(dataset)
    write_json(
        metrics.ingest_report,
        {
            "dataset": dataset,
            "schema_version": 1,
            "format": "can_csv",
            "domain": "can",
            "captures_found": 3,
            "unique_captures": 3,
            "rows": 3000,
            "bad_rows": 0,
            "attack_fraction": 0.13,
            "captures": captures,
        },
    )
    splits = {
        name: {"graphs": n, "attack_fraction": float(rng.uniform(0, 0.5))}
        for name, n in {"train": 2102, "val": 525, **GRAPHS}.items()
    }
    write_json(metrics.graphs, {"dataset": dataset, "vocab_size": 44, "splits": splits})


def make_repo(
    root: Path,
    datasets: list[str],
    lakehouse: dict[str, str] | None = None,
    seeds: tuple[int, ...] = (TRAINING_SEED,),
) -> Path:
    """A folder the kdgat CLI runs in: params.yaml and the catalog, plus every seed's outputs."""
    layout, repo = Layout(root), Layout(REPO)
    root.mkdir(parents=True, exist_ok=True)
    params = yaml.safe_load(repo.params.read_text())
    params["datasets"] = datasets
    params["seeds"] = list(seeds)
    params["lakehouse"].update(lakehouse or {})
    layout.params.write_text(yaml.safe_dump(params, sort_keys=False))
    catalog = yaml.safe_load(repo.catalog.read_text())
    entry = catalog["datasets"]["synth"]
    catalog["datasets"] = {name: entry for name in datasets}
    layout.catalog.parent.mkdir(exist_ok=True)
    layout.catalog.write_text(yaml.safe_dump(catalog, sort_keys=False))
    for i, name in enumerate(datasets):
        if not layout.metrics(name).dir.exists():
            for j, training_seed in enumerate(seeds):
                write_dataset(root, name, seed=10 * i + j, training_seed=training_seed)
    return root


def set_lakehouse(root: Path, **settings: str | int | float) -> None:
    path = Layout(root).params
    params = yaml.safe_load(path.read_text())
    params["lakehouse"].update(settings)
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def retrain(root: Path, dataset: str, model: str, lr: float) -> None:
    """As if ``model`` were trained again with another learning rate (a new run)."""
    card = Layout(root, TRAINING_SEED).model(dataset, model).card
    data = json.loads(card.read_text())
    data["settings"]["lr"] = lr
    card.write_text(json.dumps(data))


def copy_repo(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
