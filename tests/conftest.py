"""Shared fixtures: repository paths and the real CAN captures in ../shared/data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .parallel import Scheduling, order
from .s3_server import moto_s3, rclone_s3  # noqa: F401  (real local S3 servers, scripts/ci/)
from .slurm_cluster import requeue_job, slurm_cluster  # noqa: F401  (a real SLURM cluster)
from .tiny import graphs_root, trained  # noqa: F401  (tiny dataset and models, built once)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "can-train-and-test-set_01"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest tests first (tests/parallel.py)."""
    order(items)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Scheduling:
    """The SLURM tests together on one worker (tests/parallel.py)."""
    return Scheduling(config, log)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real set_01 sample; tests that need it skip (with the reason) where it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"real CAN sample not found at {SHARED}")
    return SHARED


@pytest.fixture
def write(tmp_path: Path):
    """write(name, text) -> path of a text file in tmp_path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    return _write


@pytest.fixture
def offline_wandb(monkeypatch: pytest.MonkeyPatch):
    """W&B offline (no account, no network: files to sync later), fresh for this test.

    wandb keeps a service process and settings per interpreter: a run left by an earlier
    test makes the next one write no history, so each W&B test starts and ends clean.
    """
    import wandb

    wandb.teardown()
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    yield
    wandb.teardown()
