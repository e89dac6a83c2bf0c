"""A run stopped by SIGTERM / SIGUSR1 (what SLURM sends) checkpoints, and the next run resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from .conftest import DATASET, tiny_params

pytestmark = pytest.mark.slow
SEED = 42  # the first of params.yaml's seeds: a stage command's default

# Enough that the signal sent after epoch 2 lands before the last one: a tiny epoch is
# a fraction of a second on one thread.
EPOCHS = 30


def start(workspace: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "kdgat.cli", "train-vgae", DATASET],
        cwd=workspace,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_epochs(progress: Path, epochs: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if progress.exists() and json.loads(progress.read_text())["epochs_done"] >= epochs:
            return
        if process.poll() is not None:
            raise AssertionError(
                f"training ended early:\n{process.stdout.read() if process.stdout else ''}"
            )
        time.sleep(0.2)
    raise AssertionError("training made no progress in 240 s")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGUSR1])
def test_signal_checkpoints_and_the_next_run_resumes(workspace: Path, sig: signal.Signals) -> None:
    (workspace / "params.yaml").write_text(
        yaml.safe_dump(tiny_params(epochs=EPOCHS), sort_keys=False)
    )
    run_dir = workspace / ".kdgat" / "runs" / f"vgae_{DATASET}-{SEED}"
    first = start(workspace)
    wait_for_epochs(run_dir / "progress.json", 2, first)
    first.send_signal(sig)
    output = first.communicate(timeout=240)[0]
    assert first.returncode == 128 + sig, output
    assert f"stopped by {sig.name}" in output
    assert (run_dir / "last.ckpt").exists()
    assert not (workspace / "models" / DATASET / f"seed_{SEED}" / "vgae" / "model.pt").exists()
    stopped_at = json.loads((run_dir / "progress.json").read_text())["epochs_done"]
    assert stopped_at < EPOCHS

    second = start(workspace)
    output = second.communicate(timeout=600)[0]
    assert second.returncode == 0, output
    assert f"resuming vgae_{DATASET}-{SEED}" in output
    epochs_logged = [
        line for line in output.splitlines() if "kdgat.training.callbacks: vgae@" in line
    ]
    # No epoch redone; every line names its run.
    assert epochs_logged[0].split("epoch ")[1].startswith(f"{stopped_at + 1}/{EPOCHS}")
    card = json.loads(
        (workspace / "models" / DATASET / f"seed_{SEED}" / "vgae" / "model_card.json").read_text()
    )
    assert card["validation"]["epochs"] == EPOCHS
    assert not run_dir.exists()


def test_changed_settings_start_over(workspace: Path) -> None:
    (workspace / "params.yaml").write_text(yaml.safe_dump(tiny_params(epochs=6), sort_keys=False))
    run_dir = workspace / ".kdgat" / "runs" / f"vgae_{DATASET}-{SEED}"
    first = start(workspace)
    wait_for_epochs(run_dir / "progress.json", 1, first)
    first.send_signal(signal.SIGTERM)
    first.communicate(timeout=240)
    (workspace / "params.yaml").write_text(
        yaml.safe_dump(tiny_params(epochs=2, lr=0.01), sort_keys=False)
    )
    second = start(workspace)
    output = second.communicate(timeout=600)[0]
    assert second.returncode == 0, output
    assert "resuming" not in output  # another lr: the old checkpoint must not be mixed in
