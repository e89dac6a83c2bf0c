"""Outputs that are atomic and never destroy what kdgat did not write.

Every output is staged under a hidden sibling name and renamed into place on
success, so a killed stage leaves the previous output or the new one, never a
half-written file that a later stage (or DVC's cache) could trust.

A folder output carries a marker file naming its kind. ``replace_dir`` replaces
only an earlier output of the same kind (or, with ``force``, a folder the user
says is one); it never replaces a file, the working directory or one of its
parents, a repository, or a folder holding one of the command's inputs. Staging
names carry host and process id, so the leftovers of a killed run are told
apart from a live run's and removed (``remove_leftovers``, ``kdgat doctor``).
"""

from __future__ import annotations

import errno
import glob
import json
import os
import shutil
import socket
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kdgat.errors import KdgatError, OutputError

MARKER = ".kdgat-output"
STAGING = ".staging-"  # then "<pid>-<host>~" and a random suffix


@contextmanager
def replace_dir(
    final: Path, kind: str | None, *, force: bool = False, inputs: Iterable[Path] = ()
) -> Iterator[Path]:
    """Yield an empty staging folder that replaces the output folder ``final`` on success.

    ``kind`` None: a folder of the artifact layout that DVC reads file by file (plots),
    where a marker would be one file too many; it is replaced whatever it holds.

    Raises:
        OutputError: ``final`` is not an output this call may replace (nothing is
            touched), or another process wrote it while this one was staging.
    """
    before = check_target(final, kind, force, list(inputs))
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(final.parent, final.name)
    tmp = Path(tempfile.mkdtemp(prefix=_staging_prefix(final), dir=final.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; outputs are shared (DVC cache, group clusters)
    try:
        yield tmp
        if kind is not None:
            (tmp / MARKER).write_text(json.dumps({"kind": kind}) + "\n")
        _swap(tmp, final, before)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def check_target(final: Path, kind: str | None, force: bool, inputs: list[Path]) -> int | None:
    """Refuse a ``final`` that replace_dir must not replace; its inode (None: absent)."""
    if final.is_symlink() or (final.exists() and not final.is_dir()):
        raise OutputError(f"{final}: exists and is not a folder; give a new folder for the output")
    for source in inputs:
        if _within(source, final):
            raise OutputError(
                f"{final}: holds the input {source}; writing there would delete it. "
                "Fix: give an output folder outside the inputs"
            )
    if not final.exists():
        return None
    if _protected(final):
        raise OutputError(
            f"{final}: is the working directory, one of its parents or a repository; "
            "kdgat never replaces it. Fix: give a new folder for the output"
        )
    if kind is not None and any(final.iterdir()) and output_kind(final) != kind and not force:
        raise OutputError(
            f"{final}: exists and is not a kdgat {kind} output (no {MARKER} marker); "
            "nothing was changed. Fix: give a new folder, or add --force if it is an "
            "output of an older kdgat that you mean to replace"
        )
    return final.stat().st_ino


def output_kind(folder: Path) -> str | None:
    """The kind named by a folder's marker (None: not a kdgat output)."""
    try:
        return str(json.loads((folder / MARKER).read_text())["kind"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _within(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or inside it (as given, or with links resolved)."""
    base = Path(os.path.realpath(folder))  # realpath: a link loop is no error here
    real = Path(os.path.realpath(path))
    return any(p == base or base in p.parents for p in (path.absolute(), real))


def _protected(folder: Path) -> bool:
    cwd = Path.cwd().resolve()
    real = folder.resolve()
    return real == cwd or real in cwd.parents or (real / ".git").exists()


def _swap(tmp: Path, final: Path, before: int | None) -> None:
    """Rename ``tmp`` to ``final``, failing if another process wrote ``final`` meanwhile."""
    appeared = OutputError(
        f"{final}: another process wrote it while this one was staging; its output was "
        "kept and this one dropped. Fix: run one writer per output folder"
    )
    if before is None:
        try:
            tmp.rename(final)  # fails on a non-empty folder that appeared meanwhile
        except OSError as err:
            if err.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
                raise appeared from None
            raise
        return
    old = tmp.with_name(tmp.name + ".old")
    try:
        final.rename(old)
    except FileNotFoundError:
        raise appeared from None
    if old.stat().st_ino != before:
        old.rename(final)  # not the folder we checked: put the other writer's output back
        raise appeared
    tmp.rename(final)
    shutil.rmtree(old)


def _staging_prefix(final: Path) -> str:
    return f".{final.name}{STAGING}{os.getpid()}-{socket.gethostname()}~"


def leftovers(folder: Path, name: str | None = None) -> list[Path]:
    """Staging files and folders (of output ``name``) in ``folder`` whose process has ended.

    Only this host's are judged: another node's process cannot be asked whether it runs.
    """
    pattern = f".{glob.escape(name) if name else '*'}{STAGING}*~*"
    found = []
    for path in sorted(folder.glob(pattern)):
        pid, _, host = path.name.rpartition(STAGING)[2].partition("~")[0].partition("-")
        if host == socket.gethostname() and pid.isdigit() and not _alive(int(pid)):
            found.append(path)
    return found


def remove_leftovers(folder: Path, name: str | None = None) -> list[Path]:
    """Delete ``leftovers(folder, name)``; return what was removed."""
    removed = leftovers(folder, name)
    for path in removed:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


@contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary file path in ``final``'s folder; renamed over it on success."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=_staging_prefix(final), dir=final.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.chmod(0o644)  # mkstemp makes it private; outputs are read by others (DVC cache, group)
    try:
        yield tmp
        tmp.replace(final)
    finally:
        tmp.unlink(missing_ok=True)


def read_json(path: Path, fix: str) -> Any:
    """A JSON file kdgat wrote; missing, unreadable or cut short, it is an error naming ``fix``."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KdgatError(f"{path}: not found; {fix}") from None
    except IsADirectoryError:
        raise KdgatError(f"{path}: is a folder, not a JSON file; {fix}") from None
    except UnicodeDecodeError as err:
        raise KdgatError(f"{path}: not UTF-8 text (byte {err.start}): damaged; {fix}") from None
    except json.JSONDecodeError as err:
        raise KdgatError(f"{path}: not valid JSON ({err}): cut short or edited; {fix}") from None
    except RecursionError:
        raise KdgatError(f"{path}: nested too deeply to be kdgat's JSON; {fix}") from None
    except OSError as err:
        raise KdgatError(f"{path}: cannot be read ({err.strerror}); {fix}") from None


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically, with a trailing newline (friendly to git diffs)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
