"""Atomic outputs: write to a temporary sibling, then rename.

A killed stage leaves either the previous output or the new one, never a
half-written file that a later stage (or DVC's cache) could trust.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def replace_dir(final: Path) -> Iterator[Path]:
    """Yield an empty temporary folder that replaces ``final`` on success."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; outputs are shared (DVC cache, group clusters)
    try:
        yield tmp
        if final.is_symlink() or final.is_file():
            final.unlink()
        elif final.exists():
            shutil.rmtree(final)
        tmp.rename(final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


@contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary file path in ``final``'s folder; renamed over it on success."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", dir=final.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.chmod(0o644)  # mkstemp makes it private; outputs are read by others (DVC cache, group)
    try:
        yield tmp
        tmp.replace(final)
    finally:
        tmp.unlink(missing_ok=True)


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically, with a trailing newline (friendly to git diffs)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
