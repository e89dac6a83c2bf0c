"""A workspace with the tiny graphs and params.yaml, for trials that really train."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ..tiny import DATASET, tiny_params

__all__ = ["DATASET", "hpo_params"]


def hpo_params(**changes: object) -> dict:
    """tiny params: 2 epochs, the GAT without curriculum (no trained VGAE needed)."""
    params = tiny_params(**changes)
    params["gat"]["curriculum"] = False
    return params


@pytest.fixture
def workspace(graphs_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """cwd for the test: data/graphs of the tiny dataset and a params.yaml.

    The working directory, not a ``Layout``: ``kdgat hpo run`` (``kdgat.hpo.search``) works
    in the workspace it is started in, as every ``kdgat`` command does.
    """
    (tmp_path / "data").mkdir()
    (tmp_path / "data/graphs").symlink_to(graphs_root / "data/graphs")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(hpo_params(), sort_keys=False))
    monkeypatch.chdir(tmp_path)
    return tmp_path
