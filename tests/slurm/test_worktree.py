"""Job worktrees without SLURM: shared cache, absolute remotes, linked raw data, reuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from kdgat.errors import SlurmError
from kdgat.slurm import worktree
from kdgat.workspace.dvc import read_config

from ..pipeline.workspace import (
    SECOND,
    catalog_second_synthetic,
    commit,
    make_workspace,
    run,
    use_dataset,
)


@pytest.fixture(scope="module")
def main(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_workspace(tmp_path_factory.mktemp("wt") / "main")
    catalog_second_synthetic(root, root.parent / "source")
    use_dataset(root, SECOND)  # fetched into a DVC repository: tracked (data/raw/synth_b.dvc)
    (root / "data/raw/by_hand").mkdir()  # a manual dataset's files, placed by hand: untracked
    (root / "data/raw/by_hand/capture.csv").write_text("timestamp,arbitration_id\n")
    run(["dvc", "remote", "add", "-f", "-d", "--local", "shared", "../remote"], root)
    commit(root, "second dataset")
    (root / "params.yaml").write_text((root / "params.yaml").read_text() + "\n# edited\n")
    return root


def test_a_job_worktree_shares_the_cache_and_sees_fetched_data(main: Path) -> None:
    rev = worktree.snapshot(main)
    assert rev != worktree.git(main, "rev-parse", "HEAD")  # carries the uncommitted edit
    path = main.parent / "scratch" / "job-1"
    assert worktree.prepare(main, path, rev, None, None) == path.absolute()
    assert (path / "params.yaml").read_text().endswith("# edited\n")
    config = read_config(path, "local")
    assert Path(config["cache"]["dir"]) == main / ".dvc" / "cache"
    assert config["cache"]["type"] == "hardlink,symlink"
    assert Path(config["remote"]["shared"]["url"]) == main.parent / "remote"
    raw, fetched = path / "data/raw" / SECOND, main / "data/raw" / SECOND
    assert not raw.is_symlink()  # DVC-tracked: checked out from the shared cache
    assert {p.name: p.read_bytes() for p in raw.iterdir()} == {
        p.name: p.read_bytes() for p in fetched.iterdir()
    }
    by_hand = path / "data/raw/by_hand"
    assert by_hand.is_symlink()
    assert by_hand.resolve() == (main / "data/raw/by_hand").resolve()
    assert not (path / "data/raw/synth").exists()  # a stage writes it: DVC restores it
    assert worktree.prepare(main, path, rev, None, None) == path.absolute()  # requeued job
    worktree.remove(main, path)
    assert not path.exists()
    assert str(path) not in worktree.git(main, "worktree", "list")


def test_a_folder_that_is_not_a_worktree_is_refused(main: Path, tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    with pytest.raises(SlurmError, match="is not a worktree of"):
        worktree.prepare(main, tmp_path / "taken", "HEAD", None, None)
