"""Names and sources are checked at the edge: none reaches a shell command or a path outside."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kdgat.config import DatasetEntry, load_catalog, load_params
from kdgat.data.sources import fetch
from kdgat.errors import ConfigError, SourceError

REPO = Path(__file__).resolve().parents[2]
HOSTILE = [
    "a;touch pwned",
    "$(touch pwned)",
    "`touch pwned`",
    "../outside",
    "a/../../b",
    "a b",
    "-rf",
    ".hidden",
    "x..y",
    "name'quote",
    "nul\x00byte",
    "",
    "a|b",
    "a\nb",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_in_params_are_refused(tmp_path: Path, name: str) -> None:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["datasets"] = ["synth", name]
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    with pytest.raises(ConfigError, match=r"datasets\.1: .*must start with a letter or digit"):
        load_params(path)


@pytest.mark.parametrize("name", HOSTILE[:6])
def test_hostile_names_in_the_catalog_are_refused(tmp_path: Path, name: str) -> None:
    entry = {"domain": "can", "format": "can_csv", "source": "x", "train": ["*"]}
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump({"datasets": {name: {**entry, "test": {"t": ["*"]}}}}))
    with pytest.raises(ConfigError, match="must start with a letter or digit"):
        load_catalog(path)


@pytest.mark.parametrize("name", ["../../tmp/x", "a;touch pwned"])
def test_a_stage_command_refuses_a_hostile_name_before_touching_anything(
    tmp_path: Path, name: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kdgat.cli", "graphs", name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: dataset name")
    assert "Traceback" not in result.stderr
    assert sorted(tmp_path.iterdir()) == []


def local_entry(source: str) -> DatasetEntry:
    return DatasetEntry(
        domain="can", format="can_csv", source=source, train=["*"], test={"t": ["*"]}
    )


def test_a_relative_source_outside_the_repository_is_refused(tmp_path: Path) -> None:
    repo, outside = tmp_path / "repo", tmp_path / "elsewhere"
    (outside).mkdir()
    (outside / "secret.csv").write_text("x")
    repo.mkdir()
    with pytest.raises(SourceError, match="outside the repository"):
        fetch(local_entry("../elsewhere"), repo / "data" / "raw" / "x", root=repo)
    assert not (repo / "data" / "raw" / "x").exists()


def test_a_link_inside_shared_that_escapes_is_refused(tmp_path: Path) -> None:
    repo, shared = tmp_path / "repo", tmp_path / "shared" / "set"
    shared.mkdir(parents=True)
    repo.mkdir()
    (tmp_path / "secret.csv").write_text("x")
    (shared / "capture.csv").symlink_to(tmp_path / "secret.csv")
    with pytest.raises(SourceError, match=r"secret\.csv, outside the repository"):
        fetch(local_entry("../shared/set"), repo / "raw", root=repo)


def test_shared_and_absolute_sources_are_linked(tmp_path: Path) -> None:
    repo, shared = tmp_path / "repo", tmp_path / "shared" / "set"
    shared.mkdir(parents=True)
    repo.mkdir()
    (shared / "capture.csv").write_text("x")
    assert [p.name for p in fetch(local_entry("../shared/set"), repo / "a", root=repo)] == [
        "capture.csv"
    ]
    assert [p.name for p in fetch(local_entry(str(shared)), repo / "b", root=repo)] == [
        "capture.csv"
    ]


def test_fetch_never_replaces_the_source_itself(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "capture.csv").write_text("frames")
    with pytest.raises(Exception, match="holds the input"):
        fetch(local_entry(str(tmp_path / "raw")), tmp_path / "raw", force=True, root=tmp_path)
    assert (tmp_path / "raw" / "capture.csv").read_text() == "frames"
