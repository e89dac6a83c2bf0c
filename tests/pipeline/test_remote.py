"""push / pull through real local S3 servers (moto, rclone), and the errors users meet."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ..s3_server import S3Server
from .workspace import (
    add_s3_remote,
    cache_snapshot,
    commit,
    delete_cache_and_outputs,
    digests,
    ran_stages,
    run,
)

pytestmark = [pytest.mark.slow, pytest.mark.s3]


@pytest.fixture(scope="module")
def pushed(copy_of: Callable[[str], Path], moto_s3: S3Server) -> tuple[Path, dict[str, str]]:
    """A reproduced copy whose (committed) default remote is a moto bucket, pushed."""
    root = copy_of("pushed")
    add_s3_remote(root, moto_s3, "moto")
    commit(root, "remote: moto")
    out = run(["kdgat", "push"], root, extra_env=moto_s3.env()).stdout
    assert "pushed" in out
    return root, digests(root)


def test_push_delete_pull_restores_identical_bytes(
    pushed: tuple[Path, dict[str, str]], moto_s3: S3Server
) -> None:
    root, before = pushed
    delete_cache_and_outputs(root)
    run(["kdgat", "pull"], root, extra_env=moto_s3.env())
    assert "Data and pipelines are up to date" in run(["dvc", "status"], root).stdout
    assert digests(root) == before


def test_second_clone_pulls_and_repro_runs_nothing(
    pushed: tuple[Path, dict[str, str]], moto_s3: S3Server, tmp_path: Path
) -> None:
    """The laptop workflow: clone, pull, and the pipeline is already up to date."""
    root, before = pushed
    laptop = tmp_path / "laptop"
    run(["git", "clone", "-q", str(root), str(laptop)], tmp_path)
    run(["kdgat", "pull"], laptop, extra_env=moto_s3.env())
    assert ran_stages(run(["dvc", "repro"], laptop).stdout) == set()
    assert "Data and pipelines are up to date" in run(["dvc", "status"], laptop).stdout
    assert digests(laptop) == before


def test_rclone_keeps_pushed_data_across_a_restart(
    copy_of: Callable[[str], Path], rclone_s3: S3Server
) -> None:
    """Keys in .dvc/config.local (checked by rclone), a server restart between push and pull."""
    root = copy_of("rclone")
    add_s3_remote(root, rclone_s3, "rclone", rclone_s3.access_key, rclone_s3.secret_key)
    before = digests(root)
    run(["kdgat", "push"], root, extra_env=rclone_s3.extra_env)
    rclone_s3.restart()
    delete_cache_and_outputs(root)
    run(["kdgat", "pull"], root, extra_env=rclone_s3.extra_env)
    assert "Data and pipelines are up to date" in run(["dvc", "status"], root).stdout
    assert digests(root) == before


@pytest.fixture(scope="module")
def broken(copy_of: Callable[[str], Path]) -> Path:
    return copy_of("errors")


def fails_cleanly(root: Path, command: list[str], expect: str, env: dict[str, str]) -> None:
    """One `error: ... fix: ...` line, exit status 1, and the local cache exactly as before."""
    before = cache_snapshot(root)
    result = run(["kdgat", *command], root, check=False, extra_env=env)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, result.stdout + result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    assert expect in lines[0], lines[0]
    assert "fix: " in lines[0], lines[0]
    assert cache_snapshot(root) == before


def test_missing_remote_is_one_clear_error(broken: Path) -> None:
    fails_cleanly(broken, ["pull", "--remote", "nowhere"], "remote 'nowhere' is not defined", {})
    run(["dvc", "remote", "default", "--unset"], broken)
    fails_cleanly(broken, ["push"], "no default DVC remote", {})


def test_bad_credentials_are_one_clear_error(broken: Path, rclone_s3: S3Server) -> None:
    add_s3_remote(broken, rclone_s3, "badkeys", rclone_s3.access_key, "not-the-secret")
    env = rclone_s3.extra_env
    fails_cleanly(broken, ["push", "--remote", "badkeys"], "credentials were refused", env)
    fails_cleanly(broken, ["pull", "--remote", "badkeys"], "credentials were refused", env)


def test_unreachable_endpoint_is_one_clear_error(broken: Path, moto_s3: S3Server) -> None:
    add_s3_remote(broken, moto_s3, "down")
    with moto_s3.stopped():
        for command in ("push", "pull"):
            fails_cleanly(
                broken, [command, "--remote", "down"], "cannot reach the endpoint", moto_s3.env()
            )
