"""A tiny workspace with ingested synthetic data and graph stores, for training tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kdgat.layout import Layout

from ..tiny import DATASET, tiny_params

__all__ = ["DATASET", "tiny_params"]


@pytest.fixture
def workspace(graphs_root: Path, tmp_path: Path) -> Path:
    """A workspace root holding the tiny graphs and a params.yaml (``Layout(workspace)``)."""
    layout = Layout(tmp_path)
    layout.graphs(DATASET).dir.parent.mkdir(parents=True)
    layout.graphs(DATASET).dir.symlink_to(Layout(graphs_root).graphs(DATASET).dir)
    layout.params.write_text(yaml.safe_dump(tiny_params(), sort_keys=False))
    return tmp_path
