"""The lakehouse on a real local S3 server: upload, query, re-export, server down, credentials."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kdgat.cli import app
from kdgat.errors import LakehouseError
from kdgat.lakehouse.collect import collect
from kdgat.lakehouse.compact import compact
from kdgat.lakehouse.export import write_export
from kdgat.lakehouse.query import connect
from kdgat.lakehouse.store import load_manifests, open_lakehouse
from kdgat.lakehouse.tables import SCHEMAS
from kdgat.lakehouse.upload import Transfer, UploadError, upload_export
from kdgat.layout import Layout
from tests.s3_server import S3Server

from .workspace import MODELS, SCENARIOS, TRAINING_SEED, make_repo, retrain, set_lakehouse

pytestmark = pytest.mark.s3
MIB = 1024 * 1024


def kdgat(cwd: Path, server: S3Server, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kdgat.cli", *args],
        cwd=cwd,
        env={**os.environ, **server.env()},
        capture_output=True,
        text=True,
        timeout=120,
    )


def cli(repo: Path, *args: str) -> str:
    """The kdgat command in this process (no interpreter start-up): its output."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def use(monkeypatch: pytest.MonkeyPatch):
    """use(server): this test's process reaches ``server`` (credentials from the environment)."""

    def _use(server: S3Server) -> S3Server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        return server

    return _use


@pytest.fixture
def repo(tmp_path: Path, moto_s3: S3Server, use, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace (the current directory) whose lakehouse.uri is a fresh bucket on moto."""
    use(moto_s3)
    bucket = moto_s3.new_bucket("lake")
    root = make_repo(
        tmp_path / "repo",
        ["synth", "can_sample"],
        {"uri": f"s3://{bucket}/kdgat", "endpoint_url": moto_s3.endpoint_url},
    )
    monkeypatch.chdir(root)
    return root


def test_export_uploads_and_the_s3_copy_answers_like_the_local_one(
    repo: Path, moto_s3: S3Server
) -> None:
    result = kdgat(repo, moto_s3, "export")  # the command as a user (or DVC) runs it
    assert result.returncode == 0, result.stderr
    assert "uploaded" in result.stdout
    sql = "select dataset, scenario, rank, model, f1 from leaderboard order by all"
    local = cli(repo, "query", "--csv", sql)
    assert cli(repo, "query", "--s3", "--csv", sql) == local
    assert len(local.splitlines()) == 1 + 2 * len(MODELS) * len(SCENARIOS)
    # Other s3:// paths in SQL go through the registered s3fs filesystem (no httpfs), with
    # --unsafe only: by default the SQL may read no file.
    glob = f"{_uri(repo)}/runs/*/*.parquet"
    files = f"select count(*) as n from read_parquet('{glob}')"
    raw = cli(repo, "query", "--s3", "--csv", "--unsafe", files)
    assert raw.splitlines() == ["n", str(2 * len(MODELS))]


def test_reexport_never_duplicates_and_a_retrained_model_is_a_new_run(
    repo: Path, moto_s3: S3Server
) -> None:
    for _ in range(2):
        assert "uploaded" in cli(repo, "export")
    uri = _uri(repo)
    lake = open_lakehouse(uri, moto_s3.endpoint_url)
    assert len(load_manifests(lake)) == 1  # the same export id: replaced in place
    assert connect(uri, moto_s3.endpoint_url).execute("select count(*) from runs").fetchone() == (
        2 * len(MODELS),
    )
    retrain(repo, "synth", "gat", lr=0.05)
    cli(repo, "export")
    con = connect(uri, moto_s3.endpoint_url)
    assert con.execute("select count(*) from runs").fetchone() == (2 * len(MODELS) + 1,)
    assert con.execute("select count(*) from runs where model = 'gat'").fetchone() == (3,)


def test_server_down_keeps_the_local_export_and_says_how_to_retry(
    repo: Path, moto_s3: S3Server
) -> None:
    set_lakehouse(repo, attempts=3, backoff_s=0.1)
    with moto_s3.stopped():
        result = kdgat(repo, moto_s3, "export")
    moto_s3.client().create_bucket(Bucket=_uri(repo)[5:].split("/")[0])  # moto forgets on restart
    assert result.returncode == 1
    assert "cannot reach the S3 server" in result.stderr
    assert "after 3 attempts" in result.stderr
    assert "The local export in lakehouse/ is intact" in result.stderr
    assert "kdgat export --upload-only" in result.stderr
    assert "Traceback" not in result.stderr
    assert '"n": 22' in cli(repo, "query", "--json", "select count(*) as n from runs")
    assert "uploaded" in cli(repo, "export", "--upload-only")
    assert '"n": 22' in cli(repo, "query", "--s3", "--json", "select count(*) as n from runs")


def test_query_s3_without_an_export_says_so(repo: Path) -> None:
    with pytest.raises(LakehouseError, match=r"no export found.*--upload-only"):
        cli(repo, "query", "--s3", "select * from runs")


def test_compaction_on_s3_merges_exports_and_keeps_the_answers(
    repo: Path, moto_s3: S3Server
) -> None:
    for lr in (0.01, 0.02, 0.03):
        retrain(repo, "synth", "gat", lr=lr)
        cli(repo, "export")
    uri = _uri(repo)
    sql = "select * from leaderboard order by all"
    before = repr(connect(uri, moto_s3.endpoint_url).execute(sql).fetchall())  # NaN == NaN
    lake = open_lakehouse(uri, moto_s3.endpoint_url)
    assert compact(lake) is not None
    assert len(load_manifests(lake)) == 1
    assert repr(connect(uri, moto_s3.endpoint_url).execute(sql).fetchall()) == before
    bucket, prefix = uri[5:].split("/", 1)
    keys = _keys(moto_s3, bucket, prefix)
    assert sum(k.endswith(".parquet") for k in keys) == len(SCHEMAS) * 2  # per table and dataset


def test_wrong_secret_fails_at_once_with_the_fix(tmp_path: Path, rclone_s3: S3Server, use) -> None:
    bucket = rclone_s3.new_bucket("lake")
    repo = make_repo(tmp_path / "repo", ["synth"])
    _local_export(repo)
    use(dataclasses.replace(rclone_s3, secret_key="not-the-secret"))
    with pytest.raises(UploadError, match=r"refused the credentials.*AWS_SECRET_ACCESS_KEY"):
        _upload(repo, f"s3://{bucket}", rclone_s3, Transfer(attempts=5, backoff_s=5))
    # No retries for refused keys: five attempts with 5 s backoff would have taken 75 s.


def test_missing_bucket_is_named(tmp_path: Path, moto_s3: S3Server, use) -> None:
    use(moto_s3)
    repo = make_repo(tmp_path / "repo", ["synth"])
    _local_export(repo)
    with pytest.raises(UploadError, match="bucket 'no-such-bucket' does not exist"):
        _upload(repo, "s3://no-such-bucket/x", moto_s3, Transfer(attempts=1))


@pytest.mark.parametrize("server_name", ["moto_s3", "rclone_s3"])
def test_multipart_upload_is_verified(
    tmp_path: Path, server_name: str, request: pytest.FixtureRequest, use
) -> None:
    """moto answers multipart ETags the AWS/R2 way (md5 of part md5s), rclone with the
    whole file's MD5: both verify."""
    server: S3Server = use(request.getfixturevalue(server_name))
    bucket = server.new_bucket("multi")
    repo = make_repo(tmp_path / "repo", ["synth"])
    _local_export(repo)
    big = next((repo / "lakehouse").glob("epoch_metrics/**/*.parquet"))
    big.write_bytes(os.urandom(11 * MIB))  # a large table file
    manifest = next((repo / "lakehouse/_manifests").glob("*.json"))
    _refresh_manifest(manifest, big)
    transfer = Transfer(multipart_threshold=5 * MIB, part_size=5 * MIB)
    sent = _upload(repo, f"s3://{bucket}/lh", server, transfer)
    assert sent["bytes"] > 11 * MIB
    key = f"lh/{big.relative_to(repo / 'lakehouse').as_posix()}"
    head = server.client().head_object(Bucket=bucket, Key=key)
    assert head["ContentLength"] == 11 * MIB


def test_set_lakehouse_changes_the_target(repo: Path, moto_s3: S3Server) -> None:
    other = moto_s3.new_bucket("other")
    set_lakehouse(repo, uri=f"s3://{other}")
    cli(repo, "export")
    assert any(k.startswith("_manifests/") for k in _keys(moto_s3, other, ""))


def _local_export(repo: Path) -> None:
    rows = collect(Layout(repo), {"synth": {"domain": "can"}}, "r1", {}, seeds=[TRAINING_SEED])
    write_export(rows, repo / "lakehouse", "r1")


def _upload(repo: Path, uri: str, server: S3Server, transfer: Transfer) -> dict:
    return upload_export(repo / "lakehouse", uri, server.endpoint_url, server.region, transfer)


def _refresh_manifest(manifest: Path, changed: Path) -> None:
    import json

    from kdgat.lakehouse.ids import md5_file

    data = json.loads(manifest.read_text())
    root = manifest.parent.parent
    for entry in data["files"]:
        if root / entry["path"] == changed:
            entry.update(bytes=changed.stat().st_size, md5=md5_file(changed))
    manifest.write_text(json.dumps(data))


def _uri(repo: Path) -> str:
    import yaml

    return str(yaml.safe_load((repo / "params.yaml").read_text())["lakehouse"]["uri"])


def _keys(server: S3Server, bucket: str, prefix: str) -> list[str]:
    pages = server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]
