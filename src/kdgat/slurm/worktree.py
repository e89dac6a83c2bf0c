"""One git worktree per SLURM job, sharing the main workspace's DVC cache and remotes.

The worktree lives on scratch under a name derived from the job id, which a
requeued job keeps: the requeued job finds its worktree again, with the
training checkpoints in ``.kdgat/runs/`` inside it, and resumes.
"""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path
from typing import Any

from kdgat.errors import SlurmError

log = logging.getLogger(__name__)

# Raw inputs no stage writes (`kdgat fetch`): checked out where DVC tracks them, else linked in.
RAW_INPUTS = Path("data/raw")
# A stash commit needs an identity; CI machines and fresh accounts often have none.
FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "kdgat",
    "GIT_AUTHOR_EMAIL": "kdgat@localhost",
    "GIT_COMMITTER_NAME": "kdgat",
    "GIT_COMMITTER_EMAIL": "kdgat@localhost",
}


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in ``repo``; its stdout, or a SlurmError with git's own message."""
    result = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    if result.returncode != 0:
        said = result.stderr.strip() or result.stdout.strip() or f"exit status {result.returncode}"
        raise SlurmError(f"{repo}: git {' '.join(args)} failed: {said}")
    return result.stdout.strip()


def snapshot(repo: Path) -> str:
    """The commit jobs run: HEAD plus uncommitted edits of tracked files (``git stash create``).

    Nothing in the workspace, the index or the stash list changes; the commit is
    kept alive by the worktrees checked out at it.
    """
    has_identity = subprocess.run(
        ["git", "-C", str(repo), "config", "user.email"], capture_output=True
    ).returncode
    env = None if has_identity == 0 else FALLBACK_IDENTITY
    try:
        return git(repo, "stash", "create", env=env) or git(repo, "rev-parse", "HEAD")
    except SlurmError:
        # Seen once right after a `dvc repro`, silently: with no tracked edit, HEAD is the answer.
        if git(repo, "status", "--porcelain", "--untracked-files=no"):
            raise
        return git(repo, "rev-parse", "HEAD")


def untracked_files(repo: Path) -> list[str]:
    """Files git neither tracks nor ignores: a job's worktree will not have them."""
    out = git(repo, "ls-files", "--others", "--exclude-standard")
    return out.splitlines()


def is_worktree_of(repo: Path, path: Path) -> bool:
    """Whether ``path`` is a checkout (worktree) of the repository at ``repo``."""
    if not (path / ".git").exists():
        return False
    try:
        ours = git(path, "rev-parse", "--path-format=absolute", "--git-common-dir")
    except SlurmError:
        return False
    theirs = git(repo, "rev-parse", "--path-format=absolute", "--git-common-dir")
    return Path(ours).resolve() == Path(theirs).resolve()


def prepare(
    repo: Path, path: Path, rev: str, cache_dir: Path | None, site_cache_dir: Path | None
) -> Path:
    """Create the job's worktree at ``rev`` (or reuse it after a requeue); return it."""
    repo, path = repo.resolve(), path.absolute()
    if path.exists():
        if not is_worktree_of(repo, path):
            raise SlurmError(
                f"{path} exists and is not a worktree of {repo}; fix: remove it, or set "
                "KDGAT_SCRATCH (scripts/slurm/site.env) to another folder"
            )
        log.info("reusing worktree %s (a requeued job resumes in it)", path)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    git(repo, "worktree", "add", "--detach", str(path), rev)
    configure_dvc(repo, path, cache_dir, site_cache_dir)
    link_inputs(repo, path)
    checkout_inputs(repo, path)
    return path


def configure_dvc(repo: Path, path: Path, cache_dir: Path | None, site: Path | None) -> None:
    """The worktree's config.local: the main clone's (credentials, remotes) plus the shared cache.

    Local-folder remote URLs are written absolute: relative ones would resolve from
    the worktree's own folder, elsewhere on scratch.
    """
    from kdgat.workspace.cluster import cluster_config
    from kdgat.workspace.dvc import edit_config, read_config

    local, merged = read_config(repo, "local"), read_config(repo)
    with edit_config(path, "local") as conf:
        _merge(conf, local)
        for name, remote in merged.get("remote", {}).items():
            url = str(remote.get("url", ""))
            if url and "://" not in url:
                conf["remote"].setdefault(name, {})["url"] = str(Path(url).absolute())
    shared = cache_dir or Path(str(merged.get("cache", {}).get("dir") or repo / ".dvc" / "cache"))
    cluster_config(path, shared, site)


def _merge(into: dict[str, Any], update: dict[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        elif isinstance(value, dict):
            into[key] = dict(value)
        else:
            into[key] = str(value) if isinstance(value, str) else value


def link_inputs(repo: Path, path: Path) -> list[Path]:
    """Symlink raw folders no stage writes and DVC does not track (placed by hand, --no-dvc)."""
    source = repo / RAW_INPUTS
    if not source.is_dir():
        return []
    written = _stage_outputs(path)
    linked = []
    for entry in sorted(source.iterdir()):
        target = path / RAW_INPUTS / entry.name
        if target.exists() or target.is_symlink() or target in written:
            continue
        if target.with_name(entry.name + ".dvc").exists():  # DVC-tracked: checkout_inputs
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(entry.resolve(), target_is_directory=entry.is_dir())
        linked.append(target)
    return linked


def checkout_inputs(repo: Path, path: Path) -> list[str]:
    """Check out the DVC-tracked raw inputs (``data/raw/NAME.dvc``) from the shared cache.

    `dvc repro` does not restore a data source: it stops on a missing one.
    """
    from kdgat.workspace.dvc import error_line, run_dvc

    targets = sorted(str(p.relative_to(path)) for p in (path / RAW_INPUTS).glob("*.dvc"))
    if not targets:
        return []
    result = run_dvc(["checkout", *targets], path)
    if result.returncode != 0:
        raise SlurmError(
            f"{path}: `dvc checkout {' '.join(targets)}` failed ({error_line(result)}); fix: "
            f"`kdgat pull` (or `kdgat fetch NAME`) in {repo}, so that the shared cache holds it"
        )
    return targets


def _stage_outputs(root: Path) -> set[Path]:
    """Every path a stage of the worktree's pipeline writes."""
    from kdgat.workspace.dvc import open_repo

    with open_repo(root) as repo:
        return {Path(out.fs_path) for out in repo.index.outs}


def remove(repo: Path, path: Path) -> None:
    """Delete a finished job's worktree (its outputs are safe in the shared cache)."""
    if is_worktree_of(repo, path):
        git(repo, "worktree", "remove", "--force", str(path))
    git(repo, "worktree", "prune")
