"""kdgat site without a browser: snapshots, the npm ci decision, the build's checks, the server."""

from __future__ import annotations

import json
import threading
import urllib.request
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from kdgat.cli import app
from kdgat.lakehouse.collect import collect
from kdgat.lakehouse.export import write_export
from kdgat.lakehouse.query import connect
from kdgat.layout import Layout
from kdgat.site import SiteError, SiteFiles
from kdgat.site.build import build, install, server, upload
from kdgat.site.snapshots import SNAPSHOTS, write_snapshots

from ..lakehouse.workspace import REPO, make_repo


@pytest.fixture(scope="module")
def lakehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_repo(tmp_path_factory.mktemp("ws") / "ws", ["synth"])
    info = {"domain": "can", "format": "can_csv", "source": "synth"}
    write_export(collect(Layout(root), {"synth": info}, "r1", {}, seeds=[42]), root / "lh", "r1")
    return root / "lh"


def test_snapshots_are_the_views_deterministic_and_name_the_source(
    lakehouse: Path, tmp_path: Path
) -> None:
    first = write_snapshots(lakehouse, tmp_path / "a", REPO / "data" / "catalog.yaml")
    second = write_snapshots(lakehouse, tmp_path / "b", REPO / "data" / "catalog.yaml")
    assert [p.name for p in first] == [f"{n}.parquet" for n in SNAPSHOTS] + ["catalog.parquet"]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    board = pq.read_table(tmp_path / "a" / "leaderboard.parquet").to_pylist()
    con = connect(lakehouse)
    names = con.sql("select * from leaderboard").columns
    rows = con.sql("select * from leaderboard").fetchall()
    assert repr([tuple(r.values()) for r in board]) == repr(rows)  # NaN intervals: one seed
    assert list(board[0]) == names
    catalog = pq.read_table(tmp_path / "a" / "catalog.parquet").to_pylist()
    assert catalog[0]["dataset"] == "synth"
    assert catalog[0]["source"] == "synth"


def test_npm_ci_runs_only_when_the_lockfile_changed(tmp_path: Path) -> None:
    site = SiteFiles(tmp_path)
    calls: list[list[str]] = []

    def runner(command: list[str], cwd: Path) -> None:
        calls.append(command)
        site.node_modules.mkdir(exist_ok=True)

    with pytest.raises(SiteError, match=r"package-lock\.json: missing"):
        install(site, runner)
    site.lockfile.write_text("{}")
    assert install(site, runner) is True
    assert install(site, runner) is False
    site.lockfile.write_text('{"lockfileVersion": 3}')
    assert install(site, runner) is True
    assert [c[:2] for c in calls] == [["npm", "ci"], ["npm", "ci"]]


def test_build_needs_snapshots_or_a_data_url_and_copies_the_data(tmp_path: Path) -> None:
    site = SiteFiles(tmp_path)
    (tmp_path / "src").mkdir()
    site.lockfile.write_text("{}")

    def runner(command: list[str], cwd: Path) -> None:
        site.node_modules.mkdir(exist_ok=True)
        if command[:2] == ["npm", "run"]:
            site.dist.mkdir(exist_ok=True)
            (site.dist / "index.html").write_text("<html></html>")

    with pytest.raises(SiteError, match="no snapshots"):
        build(site, run=runner)
    site.data.mkdir()
    (site.data / "leaderboard.parquet").write_bytes(b"PAR1")
    dist = build(site, run=runner)
    assert (dist / "data" / "leaderboard.parquet").read_bytes() == b"PAR1"
    assert json.loads(site.config.read_text()) == {"data_url": ""}
    build(site, "https://pub-x.r2.dev/kdgat/", run=runner)
    assert json.loads(site.config.read_text()) == {"data_url": "https://pub-x.r2.dev/kdgat"}


def test_server_gives_wasm_its_type_and_refuses_an_unbuilt_site(tmp_path: Path) -> None:
    with pytest.raises(SiteError, match="no built site"):
        server(tmp_path)
    (tmp_path / "index.html").write_text("<html></html>")
    (tmp_path / "x.wasm").write_bytes(b"\0asm")
    httpd = server(tmp_path)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/x.wasm"
        with urllib.request.urlopen(url) as response:
            assert response.headers["Content-Type"] == "application/wasm"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_cli_site_build_without_a_lakehouse_says_run_first(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["site", "build"])
    assert result.exit_code != 0
    assert "make run" in str(result.exception) + result.output


@pytest.mark.s3
def test_upload_puts_every_snapshot_under_the_prefix(
    lakehouse: Path, tmp_path: Path, moto_s3, monkeypatch
) -> None:
    import boto3

    for name, value in moto_s3.env().items():
        monkeypatch.setenv(name, value)
    bucket = moto_s3.new_bucket("site")
    write_snapshots(lakehouse, tmp_path / "data")
    keys = upload(tmp_path / "data", f"s3://{bucket}/kdgat/site", moto_s3.endpoint_url)
    assert keys == sorted(f"kdgat/site/{name}.parquet" for name in SNAPSHOTS)
    s3 = boto3.client("s3", endpoint_url=moto_s3.endpoint_url)
    head = s3.head_object(Bucket=bucket, Key="kdgat/site/leaderboard.parquet")
    assert head["ContentType"] == "application/vnd.apache.parquet"
