"""`kdgat hpo best --apply`: the best values land in params.yaml, everything else stays."""

from __future__ import annotations

import difflib
import shutil
import subprocess
import sys
from pathlib import Path

import optuna
import pytest

from kdgat.config import load_params
from kdgat.errors import HPOError
from kdgat.hpo import params_file, study
from kdgat.hpo.best import apply_best

from ..conftest import REPO

IDENTITY = {"model": "gat", "dataset": "synth", "metric": "val/loss"}


@pytest.fixture
def params(tmp_path: Path) -> Path:
    path = tmp_path / "params.yaml"
    shutil.copy(REPO / "params.yaml", path)
    return path


def changed_lines(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_writing_nothing_keeps_the_file_byte_for_byte(params: Path) -> None:
    before = params.read_text()
    params_file.write_values(params, {})
    assert params.read_text() == before


def test_values_change_only_their_lines_and_comments_stay(params: Path) -> None:
    before = params.read_text()
    previous = params_file.write_values(
        params, {"gat.large.hidden_channels": 64, "gat.focal_gamma": 1.5, "gat.lr": 0.003}
    )
    after = params.read_text()
    assert previous == {"gat.large.hidden_channels": 32, "gat.focal_gamma": 2.0, "gat.lr": None}
    large = "  large: {hidden_channels: %d, num_layers: 3, heads: 2, embedding_dim: 16, jk: cat, "
    large += "dropout: 0.2}"
    assert changed_lines(before, after) == [
        "-" + large % 32,
        "+  lr: 0.003",  # a new key goes first in its section
        "+" + large % 64,  # a flow mapping stays one
        "-  focal_gamma: 2.0",
        "+  focal_gamma: 1.5",
    ]
    p = load_params(params)
    assert (p.gat.large.hidden_channels, p.gat.focal_gamma, p.gat.lr) == (64, 1.5, 0.003)


def test_a_key_without_its_section_is_refused(params: Path) -> None:
    before = params.read_text()
    with pytest.raises(HPOError, match="no section 'nope'"):
        params_file.write_values(params, {"nope.lr": 0.1})
    assert params.read_text() == before


def add_trial(s: optuna.Study, lr: float, hidden: int, value: float) -> None:
    distributions = {
        "gat.lr": optuna.distributions.FloatDistribution(1e-4, 1e-2, log=True),
        "gat.large.hidden_channels": optuna.distributions.CategoricalDistribution([16, 32, 64]),
    }
    values = {"gat.lr": lr, "gat.large.hidden_channels": hidden}
    s.add_trial(optuna.trial.create_trial(params=values, distributions=distributions, value=value))


def test_apply_best_writes_the_best_complete_trial(params: Path, tmp_path: Path) -> None:
    journal = str(tmp_path / "journal.log")
    s = study.open_study("s1", journal, IDENTITY)
    with pytest.raises(HPOError, match="no complete trial yet"):
        apply_best(s, params)
    add_trial(s, 0.001, 32, value=0.5)
    add_trial(s, 0.004, 16, value=0.2)  # lowest val/loss: the best
    add_trial(s, 0.009, 64, value=0.9)
    changes = apply_best(study.load("s1", journal), params)
    assert changes == {"gat.lr": (None, 0.004), "gat.large.hidden_channels": (32, 16)}
    p = load_params(params)
    assert (p.gat.lr, p.gat.large.hidden_channels) == (0.004, 16)


def test_best_on_the_command_line(params: Path, tmp_path: Path) -> None:
    journal = str(tmp_path / "journal.log")
    s = study.open_study("cli", journal, IDENTITY)
    add_trial(s, 0.002, 16, value=0.3)
    kdgat = [sys.executable, "-m", "kdgat.cli", "hpo", "best", "--storage", journal]
    shown = subprocess.run(
        [*kdgat, "--study", "cli", "--params", str(params), "--apply"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    assert "best trial 0: val/loss = 0.3" in shown.stdout
    assert f"{params}: gat.large.hidden_channels: 32 -> 16" in shown.stdout
    assert load_params(params).gat.large.hidden_channels == 16
    missing = subprocess.run(
        [*kdgat, "--study", "nope"], capture_output=True, text=True, timeout=120
    )
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"error: no study 'nope' in {journal} (studies there: cli)"
