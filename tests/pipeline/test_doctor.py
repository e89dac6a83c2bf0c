"""`kdgat doctor` after a scratch purge: what is where, and which command restores it."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from kdgat.io import STAGING

from .workspace import run

pytestmark = pytest.mark.slow


def row(report: str, output: str) -> list[str]:
    """The table row of one output: [path, stage, workspace, cache, remote]."""
    (line,) = [line for line in report.splitlines() if line.startswith(f"{output} ")]
    return line.split()


def advice(report: str) -> str:
    return report.split("what to do:", 1)[1]


def test_doctor_after_a_purge_points_at_commit_and_pull(copy_of: Callable[[str], Path]) -> None:
    root = copy_of("doctor")
    run(["kdgat", "push"], root)  # the default remote: the folder ../kdgat-remote
    assert "nothing to do" in run(["kdgat", "doctor"], root).stdout

    shutil.rmtree(root / ".dvc/cache")  # what a scratch clean-up does
    shutil.rmtree(root / "models/synth/seed_42/gat")  # and one output deleted by hand
    report = run(["kdgat", "doctor"], root).stdout
    assert row(report, "models/synth/seed_42/gat")[2:] == ["missing", "no", "yes"]
    assert row(report, "models/synth/seed_42/vgae")[2:] == ["ok", "no", "yes"]
    todo = advice(report)
    assert "purged" in todo
    assert "do NOT run `dvc repro` first" in todo
    assert "`dvc commit --force" in todo
    assert "train_vgae@synth-42" in todo
    pull = next(line for line in todo.splitlines() if "`kdgat pull`" in line)
    assert "models/synth/seed_42/gat" in pull

    run(["kdgat", "pull"], root)  # the advice, followed
    assert "nothing to do" in advice(run(["kdgat", "doctor"], root).stdout)
    assert "Data and pipelines are up to date" in run(["dvc", "status"], root).stdout


def test_doctor_without_the_data_on_the_remote_points_at_repro(
    copy_of: Callable[[str], Path],
) -> None:
    root = copy_of("doctor-unpushed")  # nothing pushed: the remote folder does not exist
    shutil.rmtree(root / ".dvc/cache/files")
    shutil.rmtree(root / "models/synth/seed_42/gat")
    report = run(["kdgat", "doctor"], root).stdout
    assert row(report, "models/synth/seed_42/gat")[2:] == ["missing", "no", "no"]
    todo = advice(report)
    assert "`dvc repro` rebuilds train_gat@synth-42" in todo
    assert "neither in the cache nor on the remote" in todo


def test_doctor_reports_an_unreachable_remote_and_still_lists_the_workspace(
    copy_of: Callable[[str], Path],
) -> None:
    root = copy_of("doctor-offline")
    run(
        ["kdgat", "remote", "s3", "--url", "s3://offline/dvc", "--name", "offline",
         "--default", "--endpoint-url", "http://127.0.0.1:9"],
        root,
    )  # fmt: skip
    keys = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}
    report = run(["kdgat", "doctor"], root, extra_env=keys).stdout
    assert row(report, "models/synth/seed_42/gat")[2:] == ["ok", "yes", "unknown"]
    assert "cannot reach the endpoint" in advice(report)


def test_doctor_reports_and_cleans_a_killed_runs_staging(copy_of: Callable[[str], Path]) -> None:
    root = copy_of("doctor-staging")
    # What a killed ingest leaves: a staging folder whose process (pid 999999) is gone.
    host = socket.gethostname()
    stale = root / "data" / "processed" / f".synth{STAGING}999999-{host}~x1y2"
    (stale / "captures").mkdir(parents=True)
    (stale / "captures" / "half.parquet").write_bytes(b"\0" * 1000)
    report = run(["kdgat", "doctor"], root).stdout
    assert "1 staging folders or files of killed runs" in advice(report)
    assert stale.exists()  # reported, not touched
    cleaned = run(["kdgat", "doctor", "--clean"], root).stdout
    assert f"removed {stale}" in cleaned
    assert not stale.exists()
    assert "staging" not in advice(cleaned)
