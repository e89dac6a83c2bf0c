"""`kdgat doctor`: where every pipeline output is (workspace, local cache, remote), and the fix.

Scratch file systems on clusters purge old files, which silently empties a DVC
cache; then `dvc status` says every stage changed and a naive `dvc repro` would
retrain everything. The doctor reads the same facts DVC does (`dvc data status`,
`dvc status`, `dvc status -c`) and says which command restores what:
`dvc checkout` (in the cache), `dvc commit` (only the cache lost it),
`dvc pull` (on the remote), `dvc repro` (nowhere: rebuild).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kdgat import io
from kdgat.errors import RemoteError
from kdgat.workspace import preflight
from kdgat.workspace.dvc import open_repo

Place = Literal["ok", "missing", "modified"]
RemoteState = Literal["yes", "no", "unknown"]
# Reasons in `dvc status` that only a re-run fixes (missing outputs are fixed by restoring them).
RERUN = ("changed command", "always changed")


@dataclass(frozen=True)
class Output:
    """One cached output of the pipeline (a file or folder in dvc.lock)."""

    path: str
    stage: str
    workspace: Place
    cached: bool
    remote: RemoteState


@dataclass(frozen=True)
class Report:
    """Everything `kdgat doctor` found."""

    root: Path
    cache_dir: Path
    cache_files: int
    cache_bytes: int
    outputs: list[Output]
    stale: dict[str, str]  # stage -> why only a re-run brings it up to date
    missing_inputs: list[str]  # deps that are nobody's output and are gone (raw data)
    remote: preflight.Remote | None = None
    remote_problem: str | None = None
    leftovers: list[Path] = field(default_factory=list)  # staging of killed runs (kdgat.io)


def diagnose(root: Path, remote_name: str | None = None) -> Report:
    """Collect the state of every output; never changes the workspace or the cache."""
    remote, problem = _remote(root, remote_name)
    online = remote.name if remote is not None and problem is None else None
    with open_repo(root) as repo:
        outs = [o for o in repo.index.outs if o.use_cache and o.hash_info]
        # not_in_remote: whole outputs (also those whose folder listing is lost everywhere,
        # which `dvc status -c` skips); `dvc status -c`: single files missing inside them.
        # remote_refresh: DVC otherwise answers from its remote index, stale after a push.
        data = repo.data_status(
            not_in_remote=online is not None, remote=online, remote_refresh=True
        )
        cloud = repo.status(cloud=True, remote=online) if online else None
        pipeline = repo.status()
        cache_dir = Path(repo.cache.local_cache_dir)
        produced = {str(o) for o in repo.index.outs}
    not_cached = _paths(data.get("not_in_cache", []))
    changed = data.get("uncommitted", {})
    outputs = [
        Output(
            path=str(out),
            stage=out.stage.addressing,
            workspace=_place(root, str(out), changed),
            cached=str(out) not in not_cached,
            remote=_on_remote(str(out), cloud, _paths(data.get("not_in_remote", []))),
        )
        for out in outs
    ]
    files, size = _tally(cache_dir / "files")
    stale, gone = _pipeline(pipeline, produced)
    left = staging_leftovers(root, [o.path for o in outputs])
    return Report(root, cache_dir, files, size, outputs, stale, gone, remote, problem, left)


def staging_leftovers(root: Path, outputs: Iterable[str]) -> list[Path]:
    """Hidden staging files and folders that killed runs left beside the outputs."""
    folders = {(root / path).parent for path in outputs}
    return sorted(p for folder in folders for p in io.leftovers(folder))


def _remote(root: Path, name: str | None) -> tuple[preflight.Remote | None, str | None]:
    try:
        return preflight.check(root, name, create=False), None
    except RemoteError as err:
        try:
            return preflight.resolve(root, name), str(err)
        except RemoteError:
            return None, str(err)


def _paths(items: Iterable[str]) -> set[str]:
    return {item.rstrip("/") for item in items}


def _place(root: Path, path: str, changed: Mapping[str, list[str]]) -> Place:
    if not (root / path).exists() or path in _paths(changed.get("deleted", [])):
        return "missing"
    if path in _paths(changed.get("modified", [])):
        return "modified"
    return "ok"


def _on_remote(path: str, cloud: Mapping[str, str] | None, absent: set[str]) -> RemoteState:
    """In `dvc status -c`, "new" = only in the cache, "missing" = nowhere."""
    if cloud is None:
        return "unknown"
    inside = (s for f, s in cloud.items() if f == path or f.startswith(f"{path}/"))
    return "no" if path in absent or any(s in ("new", "missing") for s in inside) else "yes"


def _tally(folder: Path) -> tuple[int, int]:
    sizes = [path.stat().st_size for path in folder.rglob("*") if path.is_file()]
    return len(sizes), sum(sizes)


def _pipeline(status: Mapping[str, Any], produced: set[str]) -> tuple[dict[str, str], list[str]]:
    """Stages only a re-run fixes (with the reason), and vanished inputs nobody produces.

    A changed input that another stage produces is that output's business (checkout,
    commit, pull): it shows up in the table, not here.
    """
    stale: dict[str, str] = {}
    gone: list[str] = []
    for stage, changes in status.items():
        for change in changes:
            if isinstance(change, str) and change in RERUN:
                stale.setdefault(stage, change)
            elif isinstance(change, dict):
                for dep, state in change.get("changed deps", {}).items():
                    if isinstance(state, dict):  # a params file: {key: "modified", ...}
                        stale.setdefault(stage, f"changed {dep}: {', '.join(state)}")
                    elif state == "modified" and dep not in produced:  # code, raw data
                        stale.setdefault(stage, f"changed {dep}")
                    elif state == "deleted" and dep not in produced:
                        gone.append(dep)
    return stale, sorted(set(gone))
