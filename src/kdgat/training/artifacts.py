"""A trained model on disk: weights + constructor arguments, thresholds, model card."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from torch import nn

from kdgat.io import write_json
from kdgat.layout import ModelFiles
from kdgat.models import registry
from kdgat.models.sizes import count_parameters
from kdgat.models.weights import load_weights, rebuilding, save_weights


def save_model(files: ModelFiles, kind: str, arguments: dict[str, Any], model: nn.Module) -> None:
    """The weights file: enough to rebuild the model without Lightning or params.yaml."""
    payload = {"kind": kind, "arguments": arguments, "state_dict": model.state_dict()}
    save_weights(files.weights, payload)


Model = TypeVar("Model", bound=nn.Module)


def load_typed(files: ModelFiles, kind: type[Model]) -> tuple[Model, dict[str, Any]]:
    """``load_model``, checked to be of the expected class."""
    model, arguments = load_model(files)
    if not isinstance(model, kind):
        raise TypeError(f"{files.weights} holds a {type(model).__name__}, not a {kind.__name__}")
    return model, arguments


def load_model(files: ModelFiles) -> tuple[nn.Module, dict[str, Any]]:
    """The model saved in ``files`` (eval mode) and its constructor arguments."""
    saved = load_weights(files.weights, "dvc repro")
    with rebuilding(files.weights, "dvc repro"):
        model = registry.build(saved["kind"], saved["arguments"])
        model.load_state_dict(saved["state_dict"])
    return model.eval(), saved["arguments"]


def read_threshold(files: ModelFiles) -> float:
    """The validation threshold a model's stage chose (``thresholds.json``)."""
    return float(json.loads(files.thresholds.read_text())["threshold"])


def write_outputs(
    files: ModelFiles,
    kind: str,
    arguments: dict[str, Any],
    model: nn.Module,
    results: dict[str, Any],
    card: dict[str, Any],
) -> None:
    """Model, thresholds and model card of a finished run."""
    files.dir.mkdir(parents=True, exist_ok=True)
    save_model(files, kind, arguments, model)
    write_json(
        files.thresholds,
        {"threshold": results["threshold"], "method": results["threshold_method"]},
    )
    write_json(
        files.card,
        {
            "architecture": {"class": type(model).__name__, "arguments": arguments},
            "parameters": count_parameters(model),
            **card,
            "validation": results,
        },
    )
