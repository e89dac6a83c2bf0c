"""`kdgat cluster-config`: two clones share one cache and reuse each other's stages."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from .workspace import make_workspace, run

pytestmark = pytest.mark.slow


def config_local(root: Path) -> dict[str, str]:
    listed = run(["dvc", "config", "--list", "--local"], root).stdout
    return dict(line.split("=", 1) for line in listed.splitlines())


def test_cluster_config_shares_one_cache_between_clones(tmp_path: Path) -> None:
    shared, site = tmp_path / "project/dvc-cache", tmp_path / "node-local"
    first = make_workspace(tmp_path / "job1")
    run(
        ["kdgat", "cluster-config", "--cache-dir", str(shared), "--site-cache-dir", str(site)],
        first,
    )
    assert config_local(first) == {
        "cache.dir": str(shared),
        "cache.shared": "group",
        "cache.type": "hardlink,symlink",
        "core.hardlink_lock": "true",
        "core.site_cache_dir": str(site),
    }
    assert shared.stat().st_mode & stat.S_ISGID
    assert shared.stat().st_mode & stat.S_IWGRP

    assert "Running stage 'synth'" in run(["dvc", "repro", "synth"], first).stdout
    capture = next((first / "data/raw/synth").iterdir())
    assert capture.stat().st_nlink >= 2 or capture.is_symlink()  # a link into the cache
    assert any((shared / "files/md5").rglob("*"))
    assert not (first / ".dvc/cache").exists()
    assert any(site.rglob("*"))  # DVC's state databases went to the node-local folder

    second = tmp_path / "job2"  # another job's clone
    run(["git", "clone", "-q", str(first), str(second)], tmp_path)
    run(
        ["kdgat", "cluster-config", "--cache-dir", str(shared), "--site-cache-dir", str(site)],
        second,
    )
    out = run(["dvc", "repro", "synth"], second).stdout
    assert "Stage 'synth' is cached - skipping run, checking out outputs" in out
