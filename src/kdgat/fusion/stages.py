"""Stages fusion_state@ and train_dqn@<dataset>: wiring only.

Layout of what they write:

* ``data/fusion/<dataset>/<pair>/<split>.parquet``: the state of every graph
  (``kdgat.fusion.state``), for the teacher pair and the student pair;
* ``models/<dataset>/fusion/<pair>/``: the DQN (``dqn.pt``), the stacker
  (``stacker.pkl``) and ``fusion.json`` (the average's alpha, every variant's
  threshold, where choices were made).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from kdgat.config import Params
from kdgat.errors import KdgatError
from kdgat.fusion.baselines import fit_stacker, selection_set, tune_alpha
from kdgat.fusion.dqn import (
    DQNSettings,
    Experience,
    alpha_grid,
    train_dqn,
)
from kdgat.fusion.models import FusionModels
from kdgat.fusion.state import (
    FEATURES,
    PAIRS,
    model_outputs,
    relative_columns,
    state_columns,
)
from kdgat.graphs.store import open_store
from kdgat.io import replace_dir
from kdgat.models.gat import GATClassifier
from kdgat.models.vgae import VGAE
from kdgat.training.artifacts import load_typed
from kdgat.training.thresholds import choose_threshold

GRAPHS, PROCESSED, MODELS = Path("data/graphs"), Path("data/processed"), Path("models")
FUSION = Path("data/fusion")
TRAIN, VAL = "train", "val"


def splits(dataset: str) -> list[str]:
    """The dataset's split names: train, val, then the test scenarios."""
    found = sorted(p.name for p in (GRAPHS / dataset).iterdir() if (p / "meta.json").exists())
    if TRAIN not in found or VAL not in found:
        raise KdgatError(
            f"{GRAPHS / dataset}: no train/val graph stores; run `dvc repro graphs@{dataset}`"
        )
    return [TRAIN, VAL, *(s for s in found if s not in (TRAIN, VAL))]


def scenario_names(dataset: str) -> list[str]:
    """The test scenarios of a dataset (every split but train and val)."""
    return splits(dataset)[2:]


def _threshold(model: str, dataset: str) -> float:
    path = MODELS / dataset / model / "thresholds.json"
    if not path.exists():
        raise KdgatError(f"{path}: not found; run `dvc repro train_gat@{dataset}` (or distill@)")
    return float(json.loads(path.read_text())["threshold"])


def fusion_state(dataset: str, p: Params) -> dict[str, Any]:
    """Both pairs' state for every split, written to ``data/fusion/<dataset>``.

    Training and validation windows of one capture share its running baseline, so
    the relative columns are computed over all splits at once, then split again.
    """
    vocab_size = json.loads((GRAPHS / dataset / "meta.json").read_text())["vocab_size"]
    stores = {split: open_store(GRAPHS / dataset / split) for split in splits(dataset)}
    capture = np.concatenate([s.arrays.capture for s in stores.values()])
    start = np.concatenate([s.arrays.start for s in stores.values()])
    ends = np.cumsum([len(s) for s in stores.values()])
    summary: dict[str, Any] = {"graphs": {split: len(s) for split, s in stores.items()}}
    with replace_dir(FUSION / dataset) as tmp:
        for pair, (vgae_name, gat_name) in PAIRS.items():
            vgae, _ = load_typed(MODELS / dataset / vgae_name, VGAE)
            gat, _ = load_typed(MODELS / dataset / gat_name, GATClassifier)
            parts = [
                model_outputs(vgae, gat, store, p.vgae.score_weights, vocab_size)
                for store in stores.values()
            ]
            merged = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
            merged |= relative_columns(merged, capture, start, p.fusion.capture_baseline)
            pieces = {name: np.split(v, ends[:-1]) for name, v in merged.items()}
            by_split = {
                split: {name: v[i] for name, v in pieces.items()} for i, split in enumerate(stores)
            }
            val = by_split[VAL]
            thresholds = (
                choose_threshold(val["s_vgae_rel"], val["y"], p.threshold.method),
                _threshold(gat_name, dataset),
            )
            (tmp / pair).mkdir()
            for split, outputs in by_split.items():
                columns = state_columns(outputs, thresholds, val["s_vgae_rel"])
                pq.write_table(pa.table(columns), tmp / pair / f"{split}.parquet")
            summary[f"{pair}_vgae_rel_threshold"] = thresholds[0]
    return summary


def _state_table(dataset: str, pair: str, split: str, columns: list[str]) -> pa.Table:
    path = FUSION / dataset / pair / f"{split}.parquet"
    if not path.exists():
        raise KdgatError(f"{path}: not found; run `dvc repro fusion_state@{dataset}`")
    return pq.read_table(path, columns=columns)


def read_state(dataset: str, pair: str, split: str) -> Experience:
    """A split's fusion state as the DQN and the baselines take it."""
    table = _state_table(dataset, pair, split, [*FEATURES, "y"])
    return Experience(
        states=np.column_stack([table[name].to_numpy() for name in FEATURES]).astype(np.float32),
        p_gat=table["p_gat"].to_numpy().astype(np.float64),
        s_vgae=table["s_vgae_cal"].to_numpy().astype(np.float64),
        y=table["y"].to_numpy().astype(np.int64),
    )


def read_raw_vgae(dataset: str, pair: str, split: str) -> np.ndarray:
    """The pair's VGAE score as the model gives it (no baseline): its own evaluation row."""
    return _state_table(dataset, pair, split, ["s_vgae"])["s_vgae"].to_numpy()


def dqn_settings(p: Params) -> DQNSettings:
    d = p.dqn
    return DQNSettings(
        num_actions=d.alphas,
        **d.model_dump(exclude={"alphas"}),
    )


def train_fusion(dataset: str, p: Params) -> dict[str, Any]:
    """DQN, weighted average and stacker for both pairs: ``models/<dataset>/fusion``."""
    s, method = dqn_settings(p), p.threshold.method
    summary = {}
    with replace_dir(MODELS / dataset / "fusion") as tmp:
        for pair in PAIRS:
            train, val = read_state(dataset, pair, TRAIN), read_state(dataset, pair, VAL)
            select, where = selection_set(val, train)
            q, dqn_summary = train_dqn(train, select, s, p.seed)
            alpha = tune_alpha(select, alpha_grid(s.num_actions), method)
            stacker = fit_stacker(train, p.seed)
            folder = tmp / pair
            models = FusionModels(q, alpha, stacker)
            thresholds = {
                name: choose_threshold(score, val.y, method)
                for name, score in models.scores(val).items()
            }
            summary[pair] = {
                "selected_on": where,
                "thresholds": thresholds,
                "threshold_method": method,
                "dqn": dqn_summary,
                "parameters": sum(t.numel() for t in q.parameters()),
            }
            models.save(folder, summary[pair])
            summary[pair]["average_alpha"] = alpha
    return summary
