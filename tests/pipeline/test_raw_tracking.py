"""Fetched raw data is a DVC-tracked input: it moves with push/pull like every output.

A laptop's fresh clone pulls the raw files and the ingest outputs, and the pipeline
there is up to date without `--allow-missing`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from ..s3_server import S3Server
from .workspace import (
    add_s3_remote,
    catalog_dataset,
    commit,
    make_workspace,
    ran_stages,
    run,
    tiny_can_csv,
)

pytestmark = [pytest.mark.slow, pytest.mark.s3]

NAME = "tiny"
RAW = f"data/raw/{NAME}"
TARGETS = [f"{RAW}.dvc", f"ingest@{NAME}"]  # all this test builds (nothing else is cached)


def contents(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (links followed), by relative path."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_fetched_data_travels_with_push_and_pull(tmp_path: Path, moto_s3: S3Server) -> None:
    root = make_workspace(tmp_path / "cluster")
    catalog_dataset(root, NAME, tiny_can_csv(tmp_path / "shared"))
    params = yaml.safe_load((root / "params.yaml").read_text())
    (root / "params.yaml").write_text(
        yaml.safe_dump({**params, "datasets": [*params["datasets"], NAME]}, sort_keys=False)
    )
    add_s3_remote(root, moto_s3, "moto")
    commit(root, f"catalog {NAME}, remote moto")

    assert f"git add {RAW}.dvc" in run(["kdgat", "fetch", NAME], root).stdout
    run(["git", "add", f"{RAW}.dvc"], root)
    assert run(["git", "status", "--porcelain"], root).stdout == f"A  {RAW}.dvc\n"
    before = contents(root / RAW)
    run(["dvc", "repro", f"ingest@{NAME}"], root)
    commit(root, f"fetch and ingest {NAME}")
    run(["kdgat", "push", *TARGETS], root, extra_env=moto_s3.env())

    laptop = tmp_path / "laptop"
    run(["git", "clone", "-q", str(root), str(laptop)], tmp_path)
    assert not (laptop / RAW).exists()
    run(["kdgat", "pull", *TARGETS], laptop, extra_env=moto_s3.env())
    assert contents(laptop / RAW) == before
    assert "up to date" in run(["dvc", "status", *TARGETS], laptop).stdout
    dry = run(["dvc", "repro", "--dry", f"ingest@{NAME}"], laptop).stdout
    assert ran_stages(dry) == set(), dry
    assert run(["git", "status", "--porcelain"], laptop).stdout == ""
