"""`kdgat fetch` and DVC: tracked where the workspace has .dvc/, untouched where it has none.

Push, a fresh clone and pull of a tracked dataset: tests/pipeline/test_raw_tracking.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kdgat.cli import app

from ..conftest import REPO
from ..pipeline.workspace import commit, run, tiny_can_csv

RAW = Path("data/raw/tiny")


def fetch(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["fetch", "tiny", "--catalog", "catalog.yaml", *args])
    return result.exit_code, result.output + (str(result.exception) if result.exception else "")


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a one-dataset catalog whose source is a read-only folder elsewhere."""
    root = tmp_path / "ws"
    root.mkdir()
    entry = tiny_can_csv(tmp_path / "shared", rows=20)
    (root / "catalog.yaml").write_text(yaml.safe_dump({"datasets": {"tiny": entry}}))
    monkeypatch.chdir(root)
    return root


def test_without_a_dvc_folder_fetch_links_as_before(workspace: Path) -> None:
    code, out = fetch()
    assert code == 0, out
    assert sorted(p.is_symlink() for p in (workspace / RAW).glob("*.csv")) == [True, True]
    assert not (workspace / "data/raw/tiny.dvc").exists()
    assert "DVC" not in out


def test_no_dvc_writes_no_dvc_file(workspace: Path) -> None:
    (workspace / ".dvc").mkdir()  # an empty one: running DVC here would fail
    code, out = fetch("--no-dvc")
    assert code == 0, out
    assert (workspace / RAW / "train_01_attack_free__a.csv").is_symlink()
    assert not (workspace / "data/raw/tiny.dvc").exists()


def test_dvc_outside_a_dvc_repository_is_refused_before_fetching(workspace: Path) -> None:
    code, out = fetch("--dvc")
    assert code != 0
    assert "--dvc needs a DVC repository" in out
    assert "dvc init" in out
    assert not (workspace / "data").exists()


def test_a_fetch_in_a_dvc_repository_is_tracked_and_keeps_its_links(workspace: Path) -> None:
    """`dvc add --no-relink`: the cache gets a copy; the links and the shared files stay."""
    shutil.copy(REPO / ".gitignore", workspace / ".gitignore")
    run(["git", "init", "-q"], workspace)
    run(["dvc", "init", "-q"], workspace)
    commit(workspace, "workspace")
    code, out = fetch()
    assert code == 0, out
    assert "git add data/raw/tiny.dvc" in out
    links = sorted((workspace / RAW).glob("*.csv"))
    assert [p.is_symlink() for p in links] == [True, True]
    for link in links:  # not replaced, not hardlinked into the cache, not made writable
        target = link.resolve().stat()
        assert (target.st_nlink, target.st_mode & 0o777) == (1, 0o444)
    run(["git", "add", "data/raw/tiny.dvc"], workspace)
    assert run(["git", "status", "--porcelain"], workspace).stdout == "A  data/raw/tiny.dvc\n"
    assert not (workspace / "data/raw/.gitignore").exists()  # the repository's rules suffice
    assert "up to date" in run(["dvc", "status", "data/raw/tiny.dvc"], workspace).stdout
