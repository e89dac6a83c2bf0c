"""A tiny workspace with ingested synthetic data and graph stores, for training tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ..tiny import DATASET, tiny_params

__all__ = ["DATASET", "tiny_params"]


@pytest.fixture
def workspace(graphs_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding the tiny graphs and a params.yaml (cwd for the test)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data/graphs").symlink_to(graphs_root / "data/graphs")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(tiny_params(), sort_keys=False))
    monkeypatch.chdir(tmp_path)
    return tmp_path
