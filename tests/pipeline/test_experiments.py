"""Experiments: `dvc exp run -S lr=1e-3` literally, and a queue worked by two workers."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kdgat.config import load_params

from .workspace import at, expected, ran_stages, run, stages_of

pytestmark = pytest.mark.slow

LR_USERS = ["train_vgae", "train_gat", "distill"]  # the stages whose params list `lr`
NOT_LR = ["ingest", "graphs", "window_baseline"]


@pytest.fixture(scope="module")
def lab(copy_of: Callable[[str], Path]) -> Path:
    return copy_of("experiments")


def experiments(root: Path) -> list[dict[str, Any]]:
    """The experiment rows of `dvc exp show --json` (baseline excluded)."""
    rows = json.loads(run(["dvc", "exp", "show", "--json"], root).stdout)
    return [
        rev for row in rows for exp in row.get("experiments") or [] for rev in exp.get("revs", [])
    ]


def params_of(rev: dict[str, Any]) -> dict[str, Any]:
    return rev["data"]["params"]["params.yaml"]["data"]


def metrics_of(rev: dict[str, Any]) -> dict[str, Any]:
    return {path: m.get("data") for path, m in (rev["data"].get("metrics") or {}).items()}


def test_exp_run_set_lr_retrains_what_uses_lr(lab: Path) -> None:
    ran = ran_stages(run(["dvc", "exp", "run", "-S", "lr=1e-3"], lab).stdout)
    assert expected(lab, at(LR_USERS, "synth")) <= ran
    assert not ran & {"synth", *at(NOT_LR, "synth")}
    assert load_params(lab / "params.yaml").lr == pytest.approx(1e-3)  # the workspace has it

    (rev,) = [r for r in experiments(lab) if params_of(r)["lr"] == pytest.approx(1e-3)]
    metrics = metrics_of(rev)
    assert metrics["reports/headline.json"]
    if "export" in stages_of(lab):
        assert "gat" in metrics["reports/headline.json"]["synth"]["known_vehicle_known_attack"]


@pytest.fixture
def workers(lab: Path) -> Iterator[None]:
    """Whatever happens, stop the queue's workers at the end."""
    yield
    run(["dvc", "queue", "stop", "--kill"], lab, check=False)


def wait_for_queue(root: Path, timeout: float = 600) -> str:
    """Poll `dvc queue status` until nothing is queued or running; return the last table."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        table = run(["dvc", "queue", "status"], root).stdout
        if not any(state in table for state in ("Queued", "Running")):
            return table
        time.sleep(2)
    raise AssertionError(f"queue still busy after {timeout} s:\n{table}")


def test_queued_experiments_run_with_two_workers(lab: Path, workers: None) -> None:
    # A setting only the last stages read keeps each queued run short.
    key, values = (
        ("dqn.steps", [120, 160])
        if "train_dqn@synth-42" in stages_of(lab)
        else ("kd.alpha", [0.5, 0.6])
    )
    run(["git", "checkout", "--", "."], lab)  # back to the baseline commit...
    run(["dvc", "checkout", "--force"], lab)  # ...and its outputs
    for value in values:
        run(["dvc", "exp", "run", "--queue", "-S", f"{key}={value}"], lab)
    run(["dvc", "queue", "start", "-j", "2"], lab)
    table = wait_for_queue(lab)
    assert table.count("Success") >= 2, table
    assert "Failed" not in table, table

    section, option = key.split(".")
    done = [r for r in experiments(lab) if params_of(r)[section][option] in values]
    assert sorted(params_of(r)[section][option] for r in done) == values
    assert all(metrics_of(r) for r in done)
