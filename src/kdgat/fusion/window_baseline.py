"""Stage window_baseline@<dataset>: boosted trees on window statistics, no graph at all.

Writes ``models/<dataset>/window_gbt/``: the model (``model.pkl``), its
validation threshold, a card (features, size, latency) and its score on every
split (``scores.parquet``), which the evaluation reads.
"""

from __future__ import annotations

import json
import pickle
import time
from functools import partial
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.ensemble import HistGradientBoostingClassifier

from kdgat.config import Params
from kdgat.errors import KdgatError
from kdgat.evaluation.latency import ms_per_item
from kdgat.fusion import windows
from kdgat.fusion.stages import GRAPHS, MODELS, PROCESSED, TRAIN, VAL, splits
from kdgat.graphs.store import open_store
from kdgat.graphs.vocab import Vocabulary
from kdgat.io import atomic_path, replace_dir, write_json
from kdgat.training.thresholds import ThresholdMethod, choose_threshold


def window_baseline(dataset: str, p: Params) -> dict[str, Any]:
    """Gradient-boosted trees on window statistics: ``models/<dataset>/window_gbt``."""
    meta = json.loads((GRAPHS / dataset / "meta.json").read_text())
    if meta["domain"] != "can":
        raise KdgatError(
            f"{dataset}: the window baseline reads CAN frames; this dataset is {meta['domain']}. "
            "Fix: leave it out of the baseline (flow datasets have no frame windows)"
        )
    vocab = Vocabulary.from_json(json.loads((GRAPHS / dataset / "vocab.json").read_text()))
    features, labels, seconds = {}, {}, {}
    for split in splits(dataset):
        store = open_store(GRAPHS / dataset / split)
        start = time.perf_counter()
        features[split] = windows.split_statistics(
            store, PROCESSED / dataset, vocab, meta["window"]
        )
        seconds[split] = time.perf_counter() - start
        labels[split] = np.asarray(store.arrays.y, dtype=np.int64)
    b = p.baseline
    model = HistGradientBoostingClassifier(
        max_iter=b.max_iter,
        learning_rate=b.learning_rate,
        max_leaf_nodes=b.max_leaf_nodes,
        class_weight="balanced",
        random_state=p.seed,
    ).fit(features[TRAIN], labels[TRAIN])
    scores = {split: model.predict_proba(x)[:, 1] for split, x in features.items()}
    method: ThresholdMethod = p.threshold.method
    threshold = choose_threshold(scores[VAL], labels[VAL], method)
    # Per window: computing its statistics (from Parquet) plus scoring it in a batch.
    extraction_ms = 1000 * seconds[VAL] / max(len(labels[VAL]), 1)
    latency = extraction_ms + ms_per_item(
        partial(model.predict_proba, features[VAL][: p.batch_size]),
        min(len(labels[VAL]), p.batch_size),
    )
    folder = MODELS / dataset / "window_gbt"
    with replace_dir(folder) as tmp:
        (tmp / "model.pkl").write_bytes(pickle.dumps(model))
        write_json(tmp / "thresholds.json", {"threshold": threshold, "method": method})
        write_json(
            tmp / "model_card.json",
            {
                "model": "window_gbt",
                "features": list(windows.FEATURES),
                "parameters": _tree_nodes(model),
                "latency_ms": latency,
            },
        )
        table = pa.table(
            {
                "split": np.concatenate([[s] * len(v) for s, v in scores.items()]),
                "score": np.concatenate(list(scores.values())),
                "y": np.concatenate(list(labels.values())),
            }
        )
        with atomic_path(tmp / "scores.parquet") as out:
            pq.write_table(table, out)
    return {"threshold": threshold, "latency_ms": latency, "graphs": len(table)}


def _tree_nodes(model: HistGradientBoostingClassifier) -> int:
    """Nodes over all trees: the ensemble's size, comparable to a network's parameters."""
    return sum(len(tree.nodes) for trees in model._predictors for tree in trees)
