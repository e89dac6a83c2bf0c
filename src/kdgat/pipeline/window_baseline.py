"""Stage ``window_baseline@<dataset>-<seed>``: boosted trees on window statistics, no graph at all.

Writes ``models/<dataset>/<seed>/window_gbt/``: the model, its validation threshold, a
card (features, size) and its score on every split, which the evaluation reads. Its
latency goes to the timing log (``kdgat.timings``), not into the hashed card.
"""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kdgat.baselines import window_gbt, window_stats
from kdgat.config import Params
from kdgat.data.manifest import read_manifest
from kdgat.errors import KdgatError
from kdgat.evaluation.latency import ms_per_item
from kdgat.evaluation.thresholds import choose_threshold
from kdgat.fusion.capture_reference import relative
from kdgat.graphs.store import open_store
from kdgat.graphs.vocab import Vocabulary
from kdgat.io import atomic_path, read_json, replace_dir, write_json
from kdgat.layout import TRAIN, VAL, Layout, ModelFiles
from kdgat.pipeline import entry
from kdgat.timings import write_timings

NAME = "window_gbt"


def run(dataset: str, p: Params, layout: Layout) -> dict[str, Any]:
    """Fit on the training windows, threshold on validation, score every split."""
    graphs = layout.graphs(dataset)
    fix = f"run `dvc repro graphs@{dataset}`"
    meta = read_json(entry.require(graphs.meta, f"graphs@{dataset}"), fix)
    if not isinstance(meta, dict) or "window" not in meta:
        raise KdgatError(f"{graphs.meta}: not a graph store's meta; {fix}")
    if meta.get("domain") != "can":
        raise KdgatError(
            f"{dataset}: the window baseline reads CAN frames; this dataset is {meta['domain']}. "
            "Fix: leave it out of the baseline (flow datasets have no frame windows)"
        )
    vocab = Vocabulary.from_json(read_json(graphs.vocab, fix))
    files = _capture_files(layout, dataset)
    names = feature_names(p.baseline.features)
    features, labels, seconds, windows = {}, {}, {}, {}
    for split in graphs.splits():
        store = open_store(graphs.store(split))
        start = time.perf_counter()
        features[split] = window_stats.split_statistics(store, files, vocab, names)
        seconds[split] = time.perf_counter() - start
        labels[split] = np.asarray(store.arrays.y, dtype=np.int64)
        names_of = np.asarray(store.meta["captures"], dtype=object)
        windows[split] = (names_of[store.arrays.capture], np.asarray(store.arrays.start))
    b = p.baseline
    model = window_gbt.fit_window_gbt(
        features[TRAIN], labels[TRAIN], b.max_iter, b.learning_rate, b.max_leaf_nodes, p.seed
    )
    scores = split_scores(model, features, windows, b.reference_quantile)
    method = p.threshold.method
    threshold = choose_threshold(scores[VAL], labels[VAL], method)
    # Per window: computing its statistics (from Parquet) plus scoring it in a batch.
    extraction_ms = 1000 * seconds[VAL] / max(len(labels[VAL]), 1)
    latency = extraction_ms + ms_per_item(
        partial(model.attack_probability, features[VAL][: p.batch_size]),
        min(len(labels[VAL]), p.batch_size),
    )
    with replace_dir(layout.model(dataset, NAME).dir, "model") as tmp:
        out = ModelFiles(tmp)
        model.save(out.estimator)
        write_json(out.thresholds, {"threshold": threshold, "method": method})
        card = {"model": NAME, "features": list(names), "parameters": model.nodes}
        write_json(out.card, card)
        graphs_scored = _write_scores(out.scores, scores, labels)
    write_timings(layout, dataset, "window_baseline", {NAME: {"latency_ms": latency}})
    return {"threshold": threshold, "latency_ms": latency, "graphs": graphs_scored}


def split_scores(
    model: window_gbt.BoostedTrees,
    features: dict[str, np.ndarray],
    windows: dict[str, tuple[np.ndarray, np.ndarray]],
    q: float | None,
) -> dict[str, np.ndarray]:
    """Per split: the attack probability, or (``q`` set) its log-odds minus a running quantile.

    The relative form re-baselines each capture causally, as the fusion does for the
    VGAE: on a vehicle never seen in training the trees rank attacks first while every
    window's probability sits above the validation threshold. The reference runs over
    the whole capture, whichever split its earlier windows fell in: a validation split
    cut from the middle of a training capture would otherwise start mid-attack.
    ``windows``: per split, each window's capture name and first frame.
    """
    if q is None:
        return {split: model.attack_probability(x) for split, x in features.items()}
    splits = list(features)
    log_odds = np.concatenate([model.log_odds(features[s]) for s in splits])
    capture = pd.factorize(np.concatenate([windows[s][0] for s in splits]))[0]
    start = np.concatenate([windows[s][1] for s in splits])
    relative_scores = relative(log_odds, capture, start, q, log=False)
    ends = np.cumsum([len(features[s]) for s in splits])[:-1]
    return dict(zip(splits, np.split(relative_scores, ends), strict=True))


def feature_names(chosen: list[str] | None) -> tuple[str, ...]:
    """``baseline.features`` of params.yaml, checked against the statistics that exist."""
    if chosen is None:
        return window_stats.DEFAULT
    unknown = [name for name in chosen if name not in window_stats.FEATURES]
    if unknown or len(set(chosen)) < len(chosen):
        problem = f"unknown statistic {unknown[0]!r}" if unknown else "a statistic listed twice"
        raise KdgatError(
            f"params.yaml baseline.features: {problem}. "
            f"Fix: choose from {', '.join(window_stats.FEATURES)}"
        )
    return tuple(chosen)


def _capture_files(layout: Layout, dataset: str) -> dict[str, Path]:
    """The ingested Parquet file of every capture, by name (from the ingest manifest)."""
    processed = layout.processed(dataset)
    manifest = read_manifest(entry.require(processed.manifest, f"ingest@{dataset}"), dataset)
    return {c["name"]: processed.dir / c["file"] for c in manifest["captures"]}


def _write_scores(path: Path, scores: dict[str, np.ndarray], labels: dict[str, np.ndarray]) -> int:
    table = pa.table(
        {
            "split": np.concatenate([[s] * len(v) for s, v in scores.items()]),
            "score": np.concatenate(list(scores.values())),
            "y": np.concatenate(list(labels.values())),
        }
    )
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
    return len(table)


def main(argv: list[str] | None = None) -> None:
    """``python stages/window_baseline.py DATASET --seed N``."""
    entry.main(run, argv)
