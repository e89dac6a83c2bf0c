"""The fusion state of every graph: what the VGAE and the GAT say about it.

Computed once per split by running both models of a pair over the graph store
in batches. Every VGAE column, and the GAT's log-odds, are measured against their
capture's running reference (``kdgat.fusion.capture_reference``), so the state means
the same on a vehicle the models never saw. Columns (one row per graph):

* ``s_vgae_rel``: the VGAE's composite anomaly score, log ratio to the reference;
  ``err_features_rel``, ``err_ids_rel``, ``err_neighbours_rel``, ``err_kl_rel``:
  its components, likewise; ``vgae_reference``: the reference ``s_vgae_rel`` is
  measured against (the log of the capture's running quantile of ``s_vgae``), which says
  how familiar the capture is to the VGAE (``kdgat.fusion.novelty``; not a feature);
* ``s_vgae_cal``: ``s_vgae_rel`` calibrated to [0, 1] on validation (see ``calibrate``);
* ``mu_norm_rel``, ``mu_std_rel``, ``logstd_mean_rel``: latent statistics (graph
  means over nodes), differences to the reference;
* ``p_gat``: the GAT's attack probability; ``gat_confidence``: 1 - normalised entropy;
* ``gat_rel``: the GAT's attack log-odds minus the running reference; ``s_gat_cal``: it,
  calibrated like the VGAE's, the GAT score the fusions weigh. On a vehicle it never saw
  the GAT can call every window an attack (``lovo_set03b``) while still ranking the
  attacks first; the capture's own reference removes that offset;
* ``agree``: 1 when both models, at their validation thresholds, decide alike;
* ``s_gbt``: the window-statistics trees' score (``window_gbt``, re-baselined per
  capture by its own stage); ``s_gbt_cal``: calibrated like the VGAE's. State
  features only when ``window_gbt`` is among the fused experts;
* ``s_vgae`` (the raw score, kept for inspection, not a feature),
  ``y`` and ``attack_code`` (labels, never a model input).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch
from torch_geometric.data import Batch
from torch_geometric.utils import scatter

from kdgat.errors import KdgatError
from kdgat.evaluation.scoring import INFERENCE_BATCH
from kdgat.fusion.capture_reference import TINY, relative
from kdgat.fusion.dqn import Experience
from kdgat.graphs.arrays import GraphArrays
from kdgat.graphs.loader import GraphLoader
from kdgat.graphs.store import GraphStore
from kdgat.models.classifier import GraphClassifier, attack_log_odds
from kdgat.models.vgae import VGAE, anomaly_score
from kdgat.progress import bar

LOG_TERMS = ("s_vgae", "err_features", "err_ids", "err_neighbours", "err_kl")  # errors: > 0
SIGNED_TERMS = ("mu_norm", "mu_std", "logstd_mean")
FEATURES = (
    "s_vgae_rel",
    "s_vgae_cal",
    *(f"{name}_rel" for name in LOG_TERMS[1:] + SIGNED_TERMS),
    "p_gat",
    "gat_confidence",
    "gat_rel",
    "s_gat_cal",
    "agree",
)
GBT_FEATURES = ("s_gbt", "s_gbt_cal")
ALARM_INPUTS = ("s_vgae", "vgae_reference")  # beside the features, for the VGAE's own alarm
# What each expert the fusion may weigh contributes: its score in [0, 1].
EXPERT_SCORES = {"gat": "s_gat_cal", "vgae": "s_vgae_cal", "window_gbt": "s_gbt_cal"}


def state_features(experts: tuple[str, ...]) -> tuple[str, ...]:
    """The state columns the fusion sees when it weighs ``experts``."""
    return FEATURES + (GBT_FEATURES if "window_gbt" in experts else ())


@torch.no_grad()
def model_outputs(
    vgae: VGAE,
    classifier: GraphClassifier,
    store: GraphStore | GraphArrays,
    score_weights: dict[str, float],
    desc: str = "fusion state",
) -> dict[str, np.ndarray]:
    """Raw per-graph outputs of a pair's two models over a split (eval mode, batched).

    ``desc`` names the progress bar (graphs, rate, ETA).
    """
    vgae.eval(), classifier.eval()
    parts: dict[str, list[np.ndarray]] = {}
    loader = GraphLoader(store, INFERENCE_BATCH)
    for batch in bar_over(loader, desc):
        out, errors = vgae.errors(batch)
        logits = classifier.logits(batch)
        pooled = {
            "mu_norm": out.mu.norm(dim=-1),
            "mu_std": out.mu.std(dim=-1),
            "logstd_mean": out.logstd.mean(dim=-1),
        }
        columns = {
            "s_vgae": anomaly_score(errors, score_weights),
            **{f"err_{name}": value for name, value in errors.items()},
            **{
                name: scatter(v, batch.batch, dim=0, dim_size=batch.num_graphs, reduce="mean")
                for name, v in pooled.items()
            },
            "p_gat": logits.softmax(dim=-1)[:, 1],
            "gat_log_odds": attack_log_odds(logits),
            "y": batch.y,
            "attack_code": batch.attack_code,
        }
        for name, value in columns.items():
            parts.setdefault(name, []).append(value.cpu().numpy())
    return {name: np.concatenate(chunks) for name, chunks in parts.items()}


def bar_over(loader: GraphLoader, desc: str) -> Iterator[Batch]:
    """The loader's batches, counted in graphs on a ``kdgat.progress`` bar."""
    with bar(loader.num_samples, desc, "graph") as progress:
        for batch in loader:
            yield batch
            progress.update(batch.num_graphs)


def calibrate(scores: np.ndarray, threshold: float, validation: np.ndarray) -> np.ndarray:
    """Scores mapped to [0, 1]: 0.5 at the validation threshold, logistic around it.

    The slope's unit is the interquartile range of the validation scores, so the
    mapping is scale-free (the VGAE's composite error has no natural unit) and a
    window one IQR above the threshold scores about 0.73.
    """
    q25, q75 = np.percentile(validation, [25, 75])
    spread = max(float(q75 - q25), 1e-12)
    z = np.clip((scores - threshold) / spread, -50.0, 50.0)
    return 1.0 / (1.0 + np.exp(-z))


def binary_entropy_confidence(p: np.ndarray) -> np.ndarray:
    """1 - H(p) / log 2: 1 for a certain prediction, 0 for a coin flip."""
    q = np.clip(np.asarray(p, np.float64), 1e-12, 1 - 1e-12)  # float32 rounds 1 - 1e-12 to 1
    entropy = -(q * np.log(q) + (1 - q) * np.log(1 - q))
    return 1.0 - entropy / np.log(2.0)


def relative_columns(
    raw: dict[str, np.ndarray],
    capture: np.ndarray,
    start: np.ndarray,
    q: float | None,
    q_gat: float | None,
) -> dict[str, np.ndarray]:
    """``<name>_rel`` of every VGAE output and ``gat_rel``: distances to the capture's reference.

    The reference is the running ``q``-quantile, ``q_gat`` for the GAT's log-odds; the
    composite score's own is ``vgae_reference``.
    """
    vgae = {
        f"{name}_rel": relative(raw[name], capture, start, q, log=name in LOG_TERMS)
        for name in LOG_TERMS + SIGNED_TERMS
    }
    reference = np.log(np.maximum(raw["s_vgae"], TINY)) - vgae["s_vgae_rel"]
    gat = relative(raw["gat_log_odds"], capture, start, q_gat, log=False)
    return vgae | {"vgae_reference": reference, "gat_rel": gat}


def state_columns(
    raw: dict[str, np.ndarray],
    thresholds: dict[str, float],
    validation: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """The full state (module docstring) from ``model_outputs`` plus ``relative_columns``.

    ``thresholds``: validation thresholds of ``s_vgae_rel``, ``gat_rel`` and ``p_gat`` (the
    GAT's own); ``validation``: the validation split's columns, whose spread calibrates.
    """
    flagged_vgae = raw["s_vgae_rel"] >= thresholds["s_vgae_rel"]
    flagged_gat = raw["p_gat"] >= thresholds["p_gat"]
    calibrated = {
        f"s_{model}_cal": calibrate(raw[name], thresholds[name], validation[name])
        for model, name in (("vgae", "s_vgae_rel"), ("gat", "gat_rel"))
    }
    derived = {
        **calibrated,
        "gat_confidence": binary_entropy_confidence(raw["p_gat"]),
        "agree": (flagged_vgae == flagged_gat).astype(np.float32),
    }
    columns = {**raw, **derived}
    return {
        **{name: columns[name].astype(np.float32) for name in (*FEATURES, *ALARM_INPUTS)},
        "y": raw["y"].astype(np.int64),
        "attack_code": raw["attack_code"].astype(np.int32),
    }


def gbt_columns(
    scores: np.ndarray, threshold: float, validation: np.ndarray
) -> dict[str, np.ndarray]:
    """The window-statistics trees' columns of the state, from their scores on a split."""
    return {
        "s_gbt": scores.astype(np.float32),
        "s_gbt_cal": calibrate(scores, threshold, validation).astype(np.float32),
    }


def _state_table(path: Path, columns: list[str]) -> pa.Table:
    if not path.is_file():
        raise KdgatError(f"{path}: not found; run `dvc repro fusion_state@<dataset>-<seed>`")
    missing = sorted(set(columns) - set(pq.read_schema(path).names))
    if missing:
        raise KdgatError(
            f"{path}: no column {missing[0]!r} (written by an older kdgat); "
            "run `dvc repro fusion_state@<dataset>-<seed>`"
        )
    return pq.read_table(path, columns=columns)


def read_state(path: Path, experts: tuple[str, ...]) -> Experience:
    """A split's fusion state (one Parquet file) as the fusions weighing ``experts`` take it."""
    features = state_features(experts)
    scores = [EXPERT_SCORES[name] for name in experts]
    table = _state_table(path, list(dict.fromkeys([*features, *scores, "y"])))
    return Experience(
        states=np.column_stack([table[name].to_numpy() for name in features]).astype(np.float32),
        experts=np.column_stack([table[name].to_numpy() for name in scores]).astype(np.float64),
        y=table["y"].to_numpy().astype(np.int64),
    )


def read_alarm_inputs(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A split's ``s_vgae_rel`` and ``vgae_reference``: what ``NoveltyAlarm.fires`` reads."""
    table = _state_table(path, ["s_vgae_rel", "vgae_reference"])
    return table["s_vgae_rel"].to_numpy(), table["vgae_reference"].to_numpy()
