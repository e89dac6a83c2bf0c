"""Same params, data and machine: two training processes write byte-identical models."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kdgat.layout import Layout

from .conftest import DATASET

pytestmark = pytest.mark.slow


def train(workspace: Path, model: str) -> dict[str, str]:
    """Train ``model`` in a fresh process; sha256 of each file it wrote."""
    files = Layout(workspace, 42).model(DATASET, model)
    shutil.rmtree(files.dir, ignore_errors=True)
    result = subprocess.run(
        [sys.executable, "-m", "kdgat.cli", "train", model, DATASET, "--seed", "42"],
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files.dir.iterdir()}


def test_two_processes_train_the_same_bytes(workspace: Path) -> None:
    first = train(workspace, "vgae")
    assert train(workspace, "vgae") == first
    assert {"model.pt", "thresholds.json", "model_card.json"} <= set(first)
    card = json.loads(Layout(workspace, 42).model(DATASET, "vgae").card.read_text())
    assert card["validation"]["threads"] == card["settings"]["threads"] == 1  # a run states it
    assert card["validation"]["deterministic"] is True
