"""Every model the pipeline trains, and the model pairs the fusion combines.

One entry per trained model: its network (``kdgat.models.registry``), the
params.yaml section holding its sizes and training settings, which size, the
teacher it is distilled from, and the DVC stage that trains it. Training, HPO,
fusion and evaluation read this table; adding a model is one line here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrainedModel:
    """One trained model: ``models/<dataset>/<name>/``, its evaluation row."""

    name: str
    network: str  # kdgat.models.registry.NETWORKS key
    section: str  # params.yaml section: sizes (large, small) and training settings
    stage: str  # the dvc.yaml stage that trains it
    size: str = "large"
    teacher: str | None = None  # distilled from this model (with the kd settings)


MODELS: dict[str, TrainedModel] = {
    m.name: m
    for m in (
        TrainedModel("vgae", "vgae", "vgae", "train_vgae"),
        TrainedModel("gat", "gat", "gat", "train_gat"),
        TrainedModel("vgae_small", "vgae", "vgae", "distill", "small", teacher="vgae"),
        TrainedModel("gat_small", "gat", "gat", "distill", "small", teacher="gat"),
        TrainedModel("gin", "gin", "gin", "train_gin"),
    )
}

# Fusion pairs: (autoencoder, classifier). The fusion state and the DQN are per pair.
PAIRS = {"teacher": ("vgae", "gat"), "student": ("vgae_small", "gat_small")}

# The autoencoder whose anomaly scores order a classifier's curriculum.
CURRICULUM_SCORER = "vgae"


def trained_by(stage: str) -> list[TrainedModel]:
    """The models a stage trains, in table order."""
    return [m for m in MODELS.values() if m.stage == stage]


def searchable() -> list[str]:
    """The models an HPO trial can train: every model of the table not distilled from another."""
    return [m.name for m in MODELS.values() if m.teacher is None]
