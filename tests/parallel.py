"""Running the suite on pytest-xdist workers (``-n auto``, pyproject's addopts).

* ``built_once``: a session folder built by one worker and reused by the others
  (the reproduced workspace costs a minute; building it twice would cost two).
* ``Scheduling``: the SLURM tests run on one worker (they share one machine-wide
  cluster, which a second worker would try to start again); every other test is
  scheduled on its own. (xdist's ``loadgroup`` marks do not group under pytest 9.)
* ``order``: the longest tests are collected first, so they start first.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock
from xdist.scheduler import LoadScopeScheduling

BUILT = ".built"
SLURM = "tests/slurm/"
# Longest first; test_requeue.py last among the SLURM tests: its job (tests/slurm_cluster.py)
# runs while the others do.
FIRST = (SLURM, "tests/pipeline/test_incremental.py", "tests/pipeline/test_experiments")


def built_once(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A folder ``build`` filled once per test run, whichever worker asks first (read-only)."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        folder = factory.mktemp(name)
        build(folder)
        return folder
    shared = factory.getbasetemp().parent  # the run's folder, above each worker's own
    folder = shared / name
    with FileLock(str(shared / f"{name}.lock")):
        if not (folder / BUILT).exists():
            shutil.rmtree(folder, ignore_errors=True)  # a worker that failed half-way
            folder.mkdir()
            build(folder)
            (folder / BUILT).touch()
    return folder


class Scheduling(LoadScopeScheduling):
    """One scope for the SLURM tests, one per test for the rest."""

    def _split_scope(self, nodeid: str) -> str:
        return SLURM if nodeid.startswith(SLURM) else nodeid


def order(items: list[pytest.Item]) -> None:
    """Sort the collection longest-first (the same order on every worker)."""

    def rank(item: pytest.Item) -> tuple[int, bool]:
        path = item.nodeid
        first = next((i for i, prefix in enumerate(FIRST) if path.startswith(prefix)), len(FIRST))
        return first, path.startswith(f"{SLURM}test_requeue.py")

    items.sort(key=rank)  # stable: collection order within each rank
