"""Network files that hold tensors and plain values only: loading one never runs code.

``torch.load(weights_only=True)`` unpickles nothing but tensors, containers and
numbers, so a ``model.pt`` pulled from a shared remote cannot execute anything.
A file that needs more (an old full pickle, a planted object) is refused with
the command that rebuilds it.
"""

from __future__ import annotations

import pickle
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from kdgat.errors import KdgatError
from kdgat.io import atomic_path


def save_weights(path: Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` (state dicts, constructor arguments) atomically."""
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_weights(path: Path, rebuild: str) -> dict[str, Any]:
    """The payload at ``path``; ``rebuild`` is the command that writes it again."""
    if not path.is_file():
        raise KdgatError(f"{path}: not found; run `{rebuild}` first")
    try:
        with warnings.catch_warnings():  # a foreign pickle's protocol notice: refused anyway
            warnings.filterwarnings("ignore", "Detected pickle protocol", UserWarning)
            saved = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile) as err:
        reason = str(err).splitlines()[0]
        raise KdgatError(
            f"{path}: refused: not a plain weights file ({reason}). kdgat never runs code "
            f"from a model file; if it came from an older kdgat or an unknown source, "
            f"rebuild it with `{rebuild}`"
        ) from None
    if not isinstance(saved, dict):
        raise KdgatError(f"{path}: holds a {type(saved).__name__}, not kdgat weights; `{rebuild}`")
    return saved


@contextmanager
def rebuilding(path: Path, rebuild: str) -> Iterator[None]:
    """Turn a payload that does not fit its network (a missing key, wrong shapes) into an error."""
    try:
        yield
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise KdgatError(
            f"{path}: not the weights of a kdgat network ({type(err).__name__}: {err}); "
            f"rebuild it with `{rebuild}`"
        ) from None
