"""Small bridges to DVC: find the repository, edit its config, run its commands."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from kdgat.errors import WorkspaceError

if TYPE_CHECKING:
    from dvc.repo import Repo

Level = Literal["repo", "local"]  # .dvc/config (tracked) | .dvc/config.local (this clone only)
CONFIG_FILES = {"repo": ".dvc/config", "local": ".dvc/config.local"}


def find_root(start: Path) -> Path:
    """The DVC repository holding ``start`` (the folder with ``.dvc/``)."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".dvc").is_dir():
            return folder
    raise WorkspaceError(
        f"{start}: not inside a DVC repository (no .dvc/ folder here or above); "
        "fix: run the command from your kdgat clone"
    )


@contextmanager
def edit_config(root: Path, level: Level) -> Iterator[dict[str, Any]]:
    """Edit one DVC config file as a dict; DVC validates the merged result on exit.

    DVC's own ``Config.edit`` is what `dvc remote add` / `dvc config` use, so paths,
    section names and validation are exactly theirs.
    """
    from dvc.config import Config, ConfigError

    path = root / CONFIG_FILES[level]
    try:
        with Config(dvc_dir=str(root / ".dvc")).edit(level) as conf:
            yield conf
    except ConfigError as err:
        raise WorkspaceError(f"{path}: {err}") from err
    if level == "local" and path.is_file():
        path.chmod(0o600)  # it may hold a secret key: this user's eyes only


def read_config(root: Path, level: Level | None = None) -> dict[str, Any]:
    """The merged DVC config (``level`` None) or one file's settings."""
    from dvc.config import Config, ConfigError

    try:
        return dict(Config(dvc_dir=str(root / ".dvc")).read(level))
    except ConfigError as err:
        where = root / CONFIG_FILES[level] if level else root / ".dvc"
        raise WorkspaceError(f"{where}: {err}") from err


@contextmanager
def open_repo(root: Path) -> Iterator[Repo]:
    """A DVC ``Repo`` at ``root``, closed afterwards (it holds a state database)."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    try:
        repo = Repo(str(root))
    except DvcException as err:
        raise WorkspaceError(f"{root}: cannot open the DVC repository: {err}") from err
    try:
        yield repo
    except DvcException as err:  # e.g. a dvc.yaml that does not parse: one line, no traceback
        raise WorkspaceError(f"{root}: DVC cannot read the workspace: {err}") from err
    finally:
        repo.close()


def run_dvc(
    args: list[str], root: Path, env: Mapping[str, str] | None = None, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``dvc ARGS`` (this interpreter's DVC) in ``root``; output captured, never raises."""
    return subprocess.run(
        [sys.executable, "-m", "dvc", *args],
        cwd=root,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def track(root: Path, folder: Path) -> Path:
    """`dvc add` ``folder`` (a fetched dataset) in the DVC repository ``root``; its .dvc file.

    A folder of links (a local source: links to read-only shared files) is added with
    ``--no-relink``: DVC copies the content into its cache and leaves the links as they
    are. Relinking would replace them with copies (cache type copy), or make the shared
    file itself the cache entry (hardlink): DVC's chmod of cache files would then act
    on it, and an edit of the source would corrupt the cache.
    """
    links = any(path.is_symlink() for path in folder.rglob("*"))
    result = run_dvc(["add", *(["--no-relink"] if links else []), str(folder.absolute())], root)
    if result.returncode != 0:
        raise WorkspaceError(
            f"{folder}: `dvc add` failed ({error_line(result)}); the files are fetched but not "
            f"tracked. Fix the cause and run `dvc add {folder}`, or fetch again with --no-dvc"
        )
    return folder.with_name(f"{folder.name}.dvc")


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The first ``ERROR:`` line of a failed DVC command (else its last line of output)."""
    lines = result.stderr.strip().splitlines() or [f"exit status {result.returncode}"]
    return next((x.removeprefix("ERROR: ") for x in lines if x.startswith("ERROR")), lines[-1])
