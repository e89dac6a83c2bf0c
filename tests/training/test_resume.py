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
    (workspace / "params.yaml").write_text(yaml.safe_dump(tiny_params(epochs=6), sort_keys=False))
    run_dir = workspace / ".kdgat" / "runs" / f"vgae_{DATASET}"
    first = start(workspace)
    wait_for_epochs(run_dir / "progress.json", 2, first)
    first.send_signal(sig)
    output = first.communicate(timeout=240)[0]
    assert first.returncode == 128 + sig, output
    assert f"stopped by {sig.name}" in output
    assert (run_dir / "last.ckpt").exists()
    assert not (workspace / "models" / DATASET / "vgae" / "model.pt").exists()
    stopped_at = json.loads((run_dir / "progress.json").read_text())["epochs_done"]
    assert stopped_at < 6

    second = start(workspace)
    output = second.communicate(timeout=600)[0]
    assert second.returncode == 0, output
    assert "resuming vgae_tiny" in output
    epochs_logged = [
        line for line in output.splitlines() if "kdgat.training.callbacks: epoch" in line
    ]
    assert epochs_logged[0].split("epoch ")[1].startswith(f"{stopped_at + 1}/6")  # no epoch redone
    card = json.loads((workspace / "models" / DATASET / "vgae" / "model_card.json").read_text())
    assert card["validation"]["epochs"] == 6
    assert not run_dir.exists()


def test_changed_settings_start_over(workspace: Path) -> None:
    (workspace / "params.yaml").write_text(yaml.safe_dump(tiny_params(epochs=6), sort_keys=False))
    run_dir = workspace / ".kdgat" / "runs" / f"vgae_{DATASET}"
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
