"""Stage ``fusion_state@<dataset>-<seed>``: both model pairs over every split -> each graph's state.

Writes ``data/fusion/<dataset>/<pair>/<split>.parquet`` (``kdgat.fusion.state``),
for the teacher pair and the student pair, with the ``window_gbt`` stage's scores
beside the graph models' (the fusion may weigh them as a third expert).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from kdgat.config import Params
from kdgat.errors import KdgatError
from kdgat.evaluation.thresholds import choose_threshold
from kdgat.fusion.state import gbt_columns, model_outputs, relative_columns, state_columns
from kdgat.graphs.store import GraphStore, open_store
from kdgat.io import replace_dir
from kdgat.layout import VAL, Layout, state_file
from kdgat.models.classifier import GraphClassifier
from kdgat.models.runtime import configure_torch
from kdgat.models.vgae import VGAE
from kdgat.pipeline import entry
from kdgat.pipeline.models import MODELS, PAIRS
from kdgat.training.artifacts import load_typed, read_threshold


def run(dataset: str, p: Params, layout: Layout) -> dict[str, Any]:
    """Both pairs' state for every split, written to ``data/fusion/<dataset>``.

    Training and validation windows of one capture share its running reference, so
    the relative columns are computed over all splits at once, then split again.
    """
    configure_torch(p.threads)
    graphs = layout.graphs(dataset)
    stores = {split: open_store(graphs.store(split)) for split in graphs.splits()}
    summary: dict[str, Any] = {"graphs": {split: len(s) for split, s in stores.items()}}
    gbt = _gbt_columns(layout, dataset, {split: len(s) for split, s in stores.items()})
    with replace_dir(layout.fusion_state(dataset), "fusion_state") as tmp:
        for pair, (vgae_name, gat_name) in PAIRS.items():
            vgae, _ = load_typed(layout.model(dataset, vgae_name), VGAE)
            gat, _ = load_typed(layout.model(dataset, gat_name), GraphClassifier)
            by_split = _pair_outputs(vgae, gat, stores, p, f"{pair} pair ({vgae_name}, {gat_name})")
            val = by_split[VAL]
            thresholds = {
                name: choose_threshold(val[name], val["y"], p.threshold.method)
                for name in ("s_vgae_rel", "gat_rel")
            } | {"p_gat": _threshold(layout, dataset, gat_name)}
            for split, outputs in by_split.items():
                columns = state_columns(outputs, thresholds, val) | gbt[split]
                path = state_file(tmp, pair, split)
                path.parent.mkdir(exist_ok=True)
                pq.write_table(pa.table(columns), path)
            summary[f"{pair}_vgae_rel_threshold"] = thresholds["s_vgae_rel"]
            summary[f"{pair}_gat_rel_threshold"] = thresholds["gat_rel"]
    return summary


def _pair_outputs(
    vgae: VGAE,
    classifier: GraphClassifier,
    stores: dict[str, GraphStore],
    p: Params,
    name: str,
) -> dict[str, dict[str, np.ndarray]]:
    """One pair's raw and relative outputs, per split (a bar per split, ``name`` on it)."""
    parts = [
        model_outputs(vgae, classifier, s, p.vgae.score_weights, f"{name} {split}")
        for split, s in stores.items()
    ]
    merged = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    capture = np.concatenate([s.arrays.capture for s in stores.values()])
    start = np.concatenate([s.arrays.start for s in stores.values()])
    quantiles = p.fusion.reference_quantile, p.fusion.gat_reference_quantile
    merged |= relative_columns(merged, capture, start, *quantiles)
    ends = np.cumsum([len(s) for s in stores.values()])[:-1]
    pieces = {name: np.split(v, ends) for name, v in merged.items()}
    return {split: {name: v[i] for name, v in pieces.items()} for i, split in enumerate(stores)}


def _gbt_columns(
    layout: Layout, dataset: str, sizes: dict[str, int]
) -> dict[str, dict[str, np.ndarray]]:
    """Per split: the ``window_gbt`` columns of the state, from that stage's scores file."""
    files = layout.model(dataset, "window_gbt")
    stage = f"window_baseline@{layout.key(dataset)}"
    table = pq.read_table(entry.require(files.scores, stage), columns=["split", "score"])
    split, score = table["split"].to_numpy(zero_copy_only=False), table["score"].to_numpy()
    scores = {name: score[split == name] for name in sizes}
    for name, n in sizes.items():
        if len(scores[name]) != n:  # one row per window, in the store's order
            raise KdgatError(
                f"{files.scores}: {len(scores[name])} scores for split {name!r} of "
                f"{n} windows; run `dvc repro {stage}`"
            )
    threshold = read_threshold(files)
    return {name: gbt_columns(s, threshold, scores[VAL]) for name, s in scores.items()}


def _threshold(layout: Layout, dataset: str, name: str) -> float:
    """The validation threshold the training stage of model ``name`` chose."""
    files = layout.model(dataset, name)
    entry.require(files.thresholds, f"{MODELS[name].stage}@{layout.key(dataset)}")
    return read_threshold(files)


def main(argv: list[str] | None = None) -> None:
    """``python stages/fusion_state.py DATASET``."""
    entry.main(run, argv)
