"""`kdgat remote ...` on a fresh copy (nothing reproduced): what lands in which config file."""

from __future__ import annotations

from pathlib import Path

import pytest

from kdgat.workspace.dvc import read_config

from ..s3_server import S3Server
from .workspace import make_workspace, run


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "repo")


def test_the_default_remote_is_a_folder_beside_the_clone(fresh: Path) -> None:
    listed = run(["dvc", "remote", "list"], fresh).stdout.split()
    assert listed[:3] == ["local", str(fresh.parent / "kdgat-remote"), "(default)"]
    run(["kdgat", "remote", "local", "--path", "../elsewhere"], fresh)
    assert "url = ../../elsewhere" in (fresh / ".dvc/config").read_text()  # relative to .dvc/
    assert run(["kdgat", "remote", "check"], fresh).stdout.strip().endswith("reachable")


@pytest.mark.parametrize(
    ("option", "value", "expect"),
    [
        ("--account-id", "not-an-account", "--account-id 'not-an-account': a Cloudflare account"),
        ("--bucket", "Bad_Bucket", "--bucket 'Bad_Bucket': bucket names are"),
    ],
)
def test_r2_settings_are_checked(fresh: Path, option: str, value: str, expect: str) -> None:
    args = {"--account-id": "0" * 32, "--bucket": "kdgat-data", option: value}
    result = run(["kdgat", "remote", "r2", *[x for kv in args.items() for x in kv]], fresh, False)
    assert result.returncode == 1
    assert expect in result.stderr
    assert "fix: " in result.stderr
    assert "r2" not in read_config(fresh, "repo")["remote"]


@pytest.mark.s3
def test_a_missing_bucket_is_named_before_anything_moves(fresh: Path, moto_s3: S3Server) -> None:
    url = ["--url", "s3://never-created/dvc", "--endpoint-url", moto_s3.endpoint_url]
    run(["kdgat", "remote", "s3", *url, "--name", "nobucket"], fresh)
    result = run(["kdgat", "push", "-r", "nobucket"], fresh, False, moto_s3.env())
    assert result.returncode == 1
    assert "the bucket does not exist" in result.stderr
    assert "fix: " in result.stderr
