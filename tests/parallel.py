"""Running the suite on pytest-xdist workers (``-n auto``, pyproject's addopts).

* ``built_once``: a session folder built by one worker and reused by the others
  (the reproduced workspace costs a minute; building it twice would cost two).
* ``group_and_order``: tests that share a mutable session fixture or one service
  run on one worker (``xdist_group``), and the longest groups are collected first,
  so they start first.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

BUILT = ".built"


def built_once(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A folder ``build`` filled once per test run, whichever worker asks first."""
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


# A test using one of these fixtures runs on the worker that holds it: they are written
# by tests (the tiny trained workspace gets its fusion stages) or are one machine-wide
# service (the SLURM cluster).
GROUPS = {"slurm_cluster": "slurm", "requeue_job": "slurm", "trained": "tiny"}
# Longest first, so the scheduler starts them first; test_requeue.py last in its group:
# its job (tests/slurm_cluster.py) runs while the group's other tests do.
FIRST = ("tests/slurm/", "tests/pipeline/test_incremental.py", "tests/pipeline/test_experiments")


def group_and_order(items: list[pytest.Item]) -> None:
    """Mark each item's xdist group and sort the collection (same order on every worker)."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        group = next((g for f, g in GROUPS.items() if f in fixtures), None)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))

    def rank(item: pytest.Item) -> tuple[int, bool]:
        path = item.nodeid
        first = next((i for i, prefix in enumerate(FIRST) if path.startswith(prefix)), len(FIRST))
        return first, path.startswith("tests/slurm/test_requeue.py")

    items.sort(key=rank)  # stable: collection order within each rank
