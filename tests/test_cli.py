"""The kdgat command as a user runs it: real processes, exit codes, messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer

from kdgat.cli import LazyGroup, app

from .conftest import REPO

GROUP = typer.main.get_command(app)
assert isinstance(GROUP, LazyGroup)  # the app's group class, which lists the lazy commands
# Every command, the lazily registered operations (hpo, slurm, export, ...) included.
COMMANDS = GROUP.list_commands(typer.Context(GROUP))


def kdgat(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kdgat.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = kdgat(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: kdgat" in result.stdout


def test_adhoc_ingest_of_the_shared_sample(shared_data: Path, tmp_path: Path) -> None:
    files = [str(p) for p in sorted(shared_data.glob("*.parquet"))]
    result = kdgat("ingest", "--format", "parquet", "--out", str(tmp_path / "out"), *files)
    assert result.returncode == 0, result.stderr
    assert "9 captures, 7 unique (2 duplicates)" in result.stdout
    assert "0 bad rows" in result.stdout
    assert "duplicate of train_01_attack_free__accessory-1" in result.stdout
    assert (tmp_path / "out" / "ingest_report.json").exists()


def test_bad_input_gives_one_clean_error_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp;arbitration_id;data_field;attack\n1;2;3;4\n")
    result = kdgat("ingest", "--format", "can_csv", "--out", str(tmp_path / "out"), str(bad))
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {bad}: header")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_unknown_format_and_dataset(tmp_path: Path) -> None:
    result = kdgat("ingest", "--format", "pcap", "--out", str(tmp_path), "x.pcap")
    assert result.returncode == 1
    assert "unknown format 'pcap'; allowed: asc, blf, can_csv" in result.stderr
    result = kdgat("ingest", "nope")
    assert result.returncode == 1
    assert "no dataset 'nope'" in result.stderr


def test_check_config() -> None:
    result = kdgat("check-config")
    assert result.returncode == 0
    assert "synth: can/can_csv" in result.stdout
