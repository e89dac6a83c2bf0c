"""A trained model on disk: weights + constructor arguments, thresholds, model card."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn

from kdgat.io import atomic_path, write_json
from kdgat.models.gat import GATClassifier
from kdgat.models.sizes import count_parameters
from kdgat.models.vgae import VGAE

KINDS: dict[str, type[nn.Module]] = {"gat": GATClassifier, "vgae": VGAE}


def save_model(folder: Path, kind: str, arguments: dict[str, Any], model: nn.Module) -> None:
    """``model.pt``: enough to rebuild the model without Lightning or params.yaml."""
    with atomic_path(folder / "model.pt") as tmp:
        torch.save({"kind": kind, "arguments": arguments, "state_dict": model.state_dict()}, tmp)


Model = TypeVar("Model", bound=nn.Module)


def load_typed(folder: Path, kind: type[Model]) -> tuple[Model, dict[str, Any]]:
    """``load_model``, checked to be of the expected class."""
    model, arguments = load_model(folder)
    if not isinstance(model, kind):
        raise TypeError(f"{folder}/model.pt holds a {type(model).__name__}, not a {kind.__name__}")
    return model, arguments


def load_model(folder: Path) -> tuple[nn.Module, dict[str, Any]]:
    """The model saved in ``folder`` (eval mode) and its constructor arguments."""
    saved = torch.load(folder / "model.pt", map_location="cpu", weights_only=False)
    model = KINDS[saved["kind"]](**saved["arguments"])
    model.load_state_dict(saved["state_dict"])
    return model.eval(), saved["arguments"]


def git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_outputs(
    folder: Path,
    kind: str,
    arguments: dict[str, Any],
    model: nn.Module,
    results: dict[str, Any],
    card: dict[str, Any],
) -> None:
    """Model, thresholds and model card of a finished run."""
    folder.mkdir(parents=True, exist_ok=True)
    save_model(folder, kind, arguments, model)
    write_json(
        folder / "thresholds.json",
        {"threshold": results["threshold"], "method": results["threshold_method"]},
    )
    write_json(
        folder / "model_card.json",
        {
            "architecture": {"class": type(model).__name__, "arguments": arguments},
            "parameters": count_parameters(model),
            "git_revision": git_revision(),
            **card,
            "validation": results,
        },
    )
