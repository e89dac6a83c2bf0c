"""LightningModules: how each model is trained and validated (the models stay plain nn.Modules).

Every task has the same shape: ``loss_and_scores(batch)`` gives the training
loss and one attack score per graph (higher = more likely an attack). Constructors
take keywords only and save their plain settings (``save_hyperparameters``) in
every checkpoint; the networks themselves are saved as weights.
Validation logs ``val/loss`` (the early-stopping and checkpoint monitor: it
exists even when a validation split has no attacks) and, when both classes
are present, ``val/auroc`` and ``val/f1`` at the best validation threshold.
"""

from __future__ import annotations

from typing import Any, Literal

import lightning.pytorch as pl
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Batch

from kdgat.evaluation.thresholds import binary_metrics, choose_threshold
from kdgat.models.classifier import GraphClassifier
from kdgat.models.vgae import VGAE, VGAEOutput, anomaly_score, vgae_loss
from kdgat.progress import bar
from kdgat.training.losses import classification_loss, distillation_loss

LossKind = Literal["ce", "weighted_ce", "focal"]


class GraphTask(pl.LightningModule):
    """Optimiser, validation bookkeeping and logging shared by every task."""

    model: nn.Module

    def __init__(self, *, lr: float, weight_decay: float) -> None:
        super().__init__()
        self.lr, self.weight_decay = lr, weight_decay
        # Networks, teachers and tensors are not hyperparameters: they are weights.
        self.save_hyperparameters(ignore=["model", "student", "teacher", "class_weights"])
        self._scores: list[Tensor] = []
        self._labels: list[Tensor] = []

    def loss_and_scores(self, batch: Batch) -> tuple[Tensor, Tensor]:
        """Training loss of the batch, and one attack score per graph; each task defines it."""
        raise NotImplementedError

    @torch.no_grad()
    def scores(self, batch: Batch) -> Tensor:
        """Attack score of every graph of the batch (eval mode)."""
        return self.loss_and_scores(batch)[1]

    def training_step(self, batch: Batch, batch_idx: int) -> Tensor:
        """The task's loss, logged as the epoch mean ``train/loss``."""
        loss, _ = self.loss_and_scores(batch)
        self.log("train/loss", loss, batch_size=batch.num_graphs, on_step=False, on_epoch=True)
        return loss

    def on_validation_epoch_start(self) -> None:
        """Forget the previous validation pass's scores."""
        self._scores, self._labels = [], []

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        """Log ``val/loss`` and keep the scores, for metrics over the whole split."""
        loss, scores = self.loss_and_scores(batch)
        self.log("val/loss", loss, batch_size=batch.num_graphs, on_epoch=True, prog_bar=True)
        self._scores.append(scores.detach().float().cpu())
        self._labels.append(batch.y.detach().cpu())

    def on_validation_epoch_end(self) -> None:
        """Log ``val/auroc`` and ``val/f1`` over the whole split, if it has both classes."""
        if not self._scores:
            return
        scores = torch.cat(self._scores).numpy()
        labels = torch.cat(self._labels).numpy()
        if len(np.unique(labels)) == 2:
            metrics = binary_metrics(scores, labels, choose_threshold(scores, labels, "max_f1"))
            self.log("val/auroc", metrics["auroc"])
            self.log("val/f1", metrics["f1"])

    def configure_optimizers(self) -> torch.optim.Optimizer:
        """AdamW with the task's learning rate and weight decay."""
        return torch.optim.AdamW(self.parameters(), lr=self.lr, weight_decay=self.weight_decay)

    def on_fit_start(self) -> None:
        """Move a distillation task's teacher to the student's device (Lightning does not)."""
        teacher = getattr(self, "teacher", None)
        if isinstance(teacher, Teacher):  # outside the module tree: move it by hand
            teacher.model.to(self.device)


class ClassifierTask(GraphTask):
    """Supervised window classification (any ``GraphClassifier``: GAT, GIN)."""

    model: GraphClassifier

    def __init__(
        self,
        *,
        model: GraphClassifier,
        lr: float,
        weight_decay: float,
        loss: LossKind,
        class_weights: Tensor | None,
        focal_gamma: float,
    ) -> None:
        super().__init__(lr=lr, weight_decay=weight_decay)
        self.model, self.loss_kind, self.focal_gamma = model, loss, focal_gamma
        self.class_weights: Tensor | None
        self.register_buffer("class_weights", class_weights, persistent=False)

    def loss_and_scores(self, batch: Batch) -> tuple[Tensor, Tensor]:
        """Classification loss (``gat.loss``) and the attack-class probability."""
        logits = self.model.logits(batch)
        loss = classification_loss(
            self.loss_kind, logits, batch.y, self.class_weights, self.focal_gamma
        )
        return loss, logits.softmax(dim=-1)[:, 1]


class VGAETask(GraphTask):
    """One-class training of the VGAE on benign graphs; the score is its composite error."""

    model: VGAE

    def __init__(
        self,
        *,
        model: VGAE,
        lr: float,
        weight_decay: float,
        loss_weights: dict[str, float],
        score_weights: dict[str, float],
    ) -> None:
        super().__init__(lr=lr, weight_decay=weight_decay)
        self.model = model
        self.loss_weights, self.score_weights = loss_weights, score_weights

    def loss_and_scores(self, batch: Batch) -> tuple[Tensor, Tensor]:
        """The weighted VGAE loss and the composite anomaly score."""
        _, errors = self.model.errors(batch)
        return vgae_loss(errors, self.loss_weights), anomaly_score(errors, self.score_weights)


class DistilledClassifierTask(GraphTask):
    """A small classifier learning from a frozen large one (Hinton et al. 2015)."""

    model: GraphClassifier

    def __init__(
        self,
        *,
        student: GraphClassifier,
        teacher: GraphClassifier,
        lr: float,
        weight_decay: float,
        temperature: float,
        alpha: float,
    ) -> None:
        super().__init__(lr=lr, weight_decay=weight_decay)
        self.model, self.teacher = student, Teacher(teacher)
        self.temperature, self.alpha = temperature, alpha

    def loss_and_scores(self, batch: Batch) -> tuple[Tensor, Tensor]:
        """Distillation loss against the teacher's logits; the student's attack probability."""
        logits = self.model.logits(batch)
        with torch.no_grad():
            teacher_logits = self.teacher.model.logits(batch)
        loss = distillation_loss(logits, teacher_logits, batch.y, self.temperature, self.alpha)
        return loss, logits.softmax(dim=-1)[:, 1]


class DistilledVGAETask(GraphTask):
    """Small VGAE: its own loss, plus matching the frozen teacher's latent and reconstructions.

    A learned linear map projects the student latent onto the teacher's (the
    two differ in size); its MSE pulls the student's geometry towards the
    teacher's. Reconstruction matching: MSE of feature reconstructions, KL of
    id distributions, MSE of neighbourhood probabilities.
    """

    model: VGAE

    def __init__(
        self,
        *,
        student: VGAE,
        teacher: VGAE,
        lr: float,
        weight_decay: float,
        loss_weights: dict[str, float],
        score_weights: dict[str, float],
        latent_weight: float,
        recon_weight: float,
    ) -> None:
        super().__init__(lr=lr, weight_decay=weight_decay)
        self.model, self.teacher = student, Teacher(teacher)
        self.projection = nn.Linear(student.mu.out_features, teacher.mu.out_features)
        self.loss_weights, self.score_weights = loss_weights, score_weights
        self.latent_weight, self.recon_weight = latent_weight, recon_weight

    def loss_and_scores(self, batch: Batch) -> tuple[Tensor, Tensor]:
        """Own loss plus latent and reconstruction matching; the composite anomaly score."""
        out, errors = self.model.errors(batch)
        with torch.no_grad():
            target = self.teacher.model(batch.x, batch.node_id, batch.edge_index, batch.edge_attr)
        latent = F.mse_loss(self.projection(out.mu), target.mu)
        loss = (
            vgae_loss(errors, self.loss_weights)
            + self.latent_weight * latent
            + self.recon_weight * _matching(out, target)
        )
        return loss, anomaly_score(errors, self.score_weights)


def _matching(out: VGAEOutput, target: VGAEOutput) -> Tensor:
    """How far the student's reconstructions are from the teacher's."""
    return (
        F.mse_loss(out.x_hat, target.x_hat)
        + F.kl_div(
            out.id_logits.log_softmax(-1), target.id_logits.softmax(-1), reduction="batchmean"
        )
        + F.mse_loss(out.neighbour_logits.sigmoid(), target.neighbour_logits.sigmoid())
    )


class Teacher:
    """A frozen model held outside the module tree.

    Lightning then never switches it to train mode (no dropout in the targets),
    never saves it in the student's checkpoints (it is loaded from its own stage
    output), and the student's optimiser never sees its parameters. Call it under
    ``torch.no_grad()``.
    """

    def __init__(self, model: nn.Module) -> None:
        self.model: Any = model.eval().requires_grad_(False)


def collect_scores(
    task: GraphTask, loader: Any, desc: str = "scoring"
) -> tuple[np.ndarray, np.ndarray]:
    """(scores, labels) of every graph the loader yields, in eval mode (a bar named ``desc``)."""
    task.eval()
    scores, labels = [], []
    with bar(getattr(loader, "num_samples", None), desc, "graph") as progress:
        for batch in loader:
            scores.append(task.scores(batch).float().cpu().numpy())
            labels.append(batch.y.cpu().numpy())
            progress.update(batch.num_graphs)
    if not scores:
        return np.zeros(0), np.zeros(0, np.int64)
    result = np.concatenate(scores), np.concatenate(labels)
    if not np.all(np.isfinite(result[0])):
        raise FloatingPointError("non-finite scores: training diverged (lower lr?)")
    return result
