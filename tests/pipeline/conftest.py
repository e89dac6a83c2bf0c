"""One reproduced workspace per session; tests that change it work on copies.

Reproducing the pipeline is the expensive part (each stage is a Python process
that imports torch), so it happens once: ``reproduced`` is the default dataset
through every stage, committed, with a second dataset (``synth_b``) in the
catalog, ready to be listed. ``copy_of(name)`` returns an exact copy (git,
DVC cache, outputs) to change freely.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ..parallel import built_once
from .workspace import catalog_second_synthetic, clone_workspace, commit, make_workspace, run

# lr 0.01 (not the default 0.001): `dvc exp run -S lr=1e-3` must be a real change here.
BASE_PARAMS = {"lr": 0.01}


@pytest.fixture(scope="session")
def reproduced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project with tiny params, `dvc repro` run once and committed.

    Read-only, also for dvc commands (shared between workers): tests use ``copy_of``.
    """

    def build(folder: Path) -> None:
        root = make_workspace(folder / "repo", BASE_PARAMS)
        catalog_second_synthetic(root, folder / "raw_b")  # in the catalog, not in params.yaml
        commit(root, "catalog synth_b")
        run(["dvc", "repro"], root)
        commit(root, "reproduced")

    return built_once(tmp_path_factory, "reproduced", build) / "repo"


@pytest.fixture(scope="session")
def copy_of(reproduced: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """copy_of(name) -> a fresh copy of the reproduced workspace in its own folder.

    Each copy sits alone in its folder, so its default remote (``../kdgat-remote``)
    is its own too.
    """

    def make(name: str) -> Path:
        return clone_workspace(reproduced, tmp_path_factory.mktemp(name) / "repo")

    return make
