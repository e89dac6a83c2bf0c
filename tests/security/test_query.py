"""`kdgat query` runs SQL that can read or write no file (`--unsafe` lifts it, on purpose)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..lakehouse.test_export import cli, kdgat
from ..lakehouse.workspace import make_repo


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_repo(tmp_path / "repo", ["synth"])
    monkeypatch.chdir(root)
    cli("export")
    return root


@pytest.mark.parametrize(
    "sql",
    [
        "select * from read_csv('/etc/passwd')",
        "copy (select * from leaderboard) to 'stolen.csv'",
        "copy (select 1) to 'lakehouse/runs/evil.parquet'",
        "attach 'other.db'",
        "set enable_external_access = true",
        "install httpfs",
    ],
)
def test_sql_touching_files_is_refused(repo: Path, sql: str) -> None:
    result = kdgat(repo, "query", sql)
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("error: query failed:")
    assert "Traceback" not in result.stderr
    assert not (repo / "stolen.csv").exists()
    assert not (repo / "lakehouse" / "runs" / "evil.parquet").exists()


def test_unsafe_lets_the_sql_write(repo: Path) -> None:
    cli("query", "--unsafe", "copy (select model from leaderboard) to 'mine.csv'")
    assert (repo / "mine.csv").read_text().startswith("model")


@pytest.mark.parametrize(
    "damage",
    [lambda b: b[: len(b) // 2], lambda b: b"", lambda b: b"\xff\xfe", lambda b: b"[1, 2]"],
    ids=["truncated", "empty", "not_utf8", "not_an_object"],
)
def test_a_damaged_lakehouse_manifest_is_one_clear_error(repo: Path, damage) -> None:
    manifest = next((repo / "lakehouse" / "_manifests").glob("*.json"))
    manifest.write_bytes(damage(manifest.read_bytes()))
    result = kdgat(repo, "query", "select * from leaderboard")
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {manifest}")
    assert "kdgat export" in result.stderr
    assert "Traceback" not in result.stderr
