"""A workspace to submit from; the cluster and job helpers live in tests/slurm_cluster.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..pipeline.workspace import (
    SECOND,
    catalog_second_synthetic,
    commit,
    make_workspace,
    use_dataset,
)
from ..slurm_cluster import RequeueJob


@pytest.fixture(scope="session")
def submit_root(tmp_path_factory: pytest.TempPathFactory, slurm_cluster: None) -> Path:
    """A committed workspace with two tiny datasets (synth and synth_b), nothing built yet.

    One epoch per model, and the GAT without curriculum (HPO trials need only the graphs):
    the whole two-dataset pipeline runs in these tests.
    """
    params = {"epochs": 1, "gat.curriculum": False}
    root = make_workspace(tmp_path_factory.mktemp("slurm") / "repo", params)
    catalog_second_synthetic(root, root.parent / "synth_b_source")
    use_dataset(root, SECOND)
    commit(root, "second dataset")
    return root


@pytest.fixture(autouse=True)
def _requeue_job_started(requeue_job: RequeueJob | None) -> None:
    """The first SLURM test submits the requeue job, so its waiting overlaps the others."""
