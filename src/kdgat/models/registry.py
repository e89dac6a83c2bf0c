"""Every network kdgat trains, by the name a saved model records (``model.pt``'s ``kind``).

A network is a classifier (``attack_probability``: supervised, windows labelled
attack or benign) or an autoencoder (``anomaly_score``: one-class, trained on
benign windows only). Training, fusion and evaluation score any of them through
``attack_score``, so a new network is one entry here (and its file).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from torch import Tensor, nn
from torch_geometric.data import Batch

from kdgat.models.classifier import GraphClassifier
from kdgat.models.gat import GATClassifier
from kdgat.models.gin import GINClassifier
from kdgat.models.vgae import VGAE

Role = Literal["classifier", "autoencoder"]


@dataclass(frozen=True)
class Network:
    """A kind of network: its class and how it is trained and scored."""

    cls: type[nn.Module]
    role: Role


NETWORKS: dict[str, Network] = {
    "gat": Network(GATClassifier, "classifier"),
    "gin": Network(GINClassifier, "classifier"),
    "vgae": Network(VGAE, "autoencoder"),
}


def build(kind: str, arguments: dict[str, Any]) -> nn.Module:
    """A fresh network of ``kind`` built from its constructor ``arguments``."""
    if kind not in NETWORKS:
        raise ValueError(f"unknown network {kind!r}; known: {', '.join(sorted(NETWORKS))}")
    return NETWORKS[kind].cls(**arguments)


def kind_of(model: nn.Module) -> str:
    """The registry name of ``model``'s class (what its saved file records)."""
    for kind, network in NETWORKS.items():
        if type(model) is network.cls:
            return kind
    raise ValueError(f"{type(model).__name__} is not a registered network")


def attack_score(model: nn.Module, batch: Batch, score_weights: dict[str, float]) -> Tensor:
    """Per graph, higher = more likely an attack, for any registered network.

    ``score_weights`` weigh an autoencoder's error terms (``vgae.score_weights``).
    """
    if isinstance(model, VGAE):
        return model.anomaly_score(batch, score_weights)
    if isinstance(model, GraphClassifier):
        return model.attack_probability(batch)
    raise TypeError(f"{type(model).__name__} has no attack score")
