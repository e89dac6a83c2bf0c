"""The fusion state of every graph: what the VGAE and the GAT say about it.

Computed once per split by running both models of a pair over the graph store
in batches. Every VGAE column is measured against its capture's running baseline
(``kdgat.fusion.capture_baseline``), so the state means the same on a vehicle the
VGAE never saw. Columns (one row per graph):

* ``s_vgae_rel``: the VGAE's composite anomaly score, log ratio to the baseline;
  ``err_features_rel``, ``err_ids_rel``, ``err_neighbours_rel``, ``err_kl_rel``:
  its components, likewise;
* ``s_vgae_cal``: ``s_vgae_rel`` calibrated to [0, 1] on validation (see ``calibrate``);
* ``mu_norm_rel``, ``mu_std_rel``, ``logstd_mean_rel``: latent statistics (graph
  means over nodes), differences to the baseline;
* ``p_gat``: the GAT's attack probability; ``gat_confidence``: 1 - normalised entropy;
* ``agree``: 1 when both models, at their validation thresholds, decide alike;
* ``s_vgae`` (the raw score, not a feature: the VGAE's own row in the evaluation),
  ``y`` and ``attack_code`` (labels, never a model input).
"""

from __future__ import annotations

import numpy as np
import torch
from torch_geometric.utils import scatter

from kdgat.fusion.capture_baseline import relative
from kdgat.graphs.arrays import GraphArrays
from kdgat.graphs.loader import GraphLoader
from kdgat.graphs.store import GraphStore
from kdgat.models.gat import GATClassifier
from kdgat.models.vgae import VGAE, anomaly_score, reconstruction_errors

PAIRS = {"teacher": ("vgae", "gat"), "student": ("vgae_small", "gat_small")}
LOG_TERMS = ("s_vgae", "err_features", "err_ids", "err_neighbours", "err_kl")  # errors: > 0
SIGNED_TERMS = ("mu_norm", "mu_std", "logstd_mean")
FEATURES = (
    "s_vgae_rel",
    "s_vgae_cal",
    *(f"{name}_rel" for name in LOG_TERMS[1:] + SIGNED_TERMS),
    "p_gat",
    "gat_confidence",
    "agree",
)
INFERENCE_BATCH = 512  # graphs per forward pass; results do not depend on it


@torch.no_grad()
def model_outputs(
    vgae: VGAE,
    gat: GATClassifier,
    store: GraphStore | GraphArrays,
    score_weights: dict[str, float],
    vocab_size: int,
) -> dict[str, np.ndarray]:
    """Raw per-graph outputs of both models over a split (eval mode, batched)."""
    vgae.eval(), gat.eval()
    parts: dict[str, list[np.ndarray]] = {}
    for batch in GraphLoader(store, INFERENCE_BATCH):
        args = (batch.x, batch.node_id, batch.edge_index, batch.edge_attr)
        out = vgae(*args)
        errors = reconstruction_errors(
            out, batch.x, batch.node_id, batch.edge_index, batch.batch, batch.num_graphs, vocab_size
        )
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
            "p_gat": gat(*args, batch.batch).softmax(dim=-1)[:, 1],
            "y": batch.y,
            "attack_code": batch.attack_code,
        }
        for name, value in columns.items():
            parts.setdefault(name, []).append(value.cpu().numpy())
    return {name: np.concatenate(chunks) for name, chunks in parts.items()}


def calibrate(scores: np.ndarray, threshold: float, validation: np.ndarray) -> np.ndarray:
    """VGAE scores mapped to [0, 1]: 0.5 at the validation threshold, logistic around it.

    The slope's unit is the interquartile range of the validation scores, so the
    mapping is scale-free (the raw composite error has no natural unit) and a
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
    raw: dict[str, np.ndarray], capture: np.ndarray, start: np.ndarray, q: float | None
) -> dict[str, np.ndarray]:
    """``<name>_rel`` for every VGAE output: its distance to the capture's running baseline."""
    return {
        f"{name}_rel": relative(raw[name], capture, start, q, log=name in LOG_TERMS)
        for name in LOG_TERMS + SIGNED_TERMS
    }


def state_columns(
    raw: dict[str, np.ndarray],
    thresholds: tuple[float, float],
    validation_scores: np.ndarray,
) -> dict[str, np.ndarray]:
    """The full state (module docstring) from ``model_outputs`` plus ``relative_columns``.

    ``thresholds``: the relative VGAE score's and the GAT's, both from validation;
    ``validation_scores``: the relative VGAE scores of the validation split.
    """
    vgae_threshold, gat_threshold = thresholds
    flagged_vgae = raw["s_vgae_rel"] >= vgae_threshold
    flagged_gat = raw["p_gat"] >= gat_threshold
    derived = {
        "s_vgae_cal": calibrate(raw["s_vgae_rel"], vgae_threshold, validation_scores),
        "gat_confidence": binary_entropy_confidence(raw["p_gat"]),
        "agree": (flagged_vgae == flagged_gat).astype(np.float32),
    }
    columns = {**raw, **derived}
    return {
        **{name: columns[name].astype(np.float32) for name in (*FEATURES, "s_vgae")},
        "y": raw["y"].astype(np.int64),
        "attack_code": raw["attack_code"].astype(np.int32),
    }
