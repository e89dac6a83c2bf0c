"""Unpack a downloaded dataset archive (zip, tar) without letting it write outside its folder.

An archive is data from a stranger: a member named ``../../.bashrc`` or ``/etc/x``
(zip-slip), a symlink or hard link (which a later member could write through), or a
device file is refused before anything is written, naming the member.
"""

from __future__ import annotations

import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from kdgat.errors import SourceError

SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")


def is_archive(path: Path) -> bool:
    """Whether ``path`` names an archive kdgat unpacks."""
    return path.name.lower().endswith(SUFFIXES)


def extract(archive: Path, dest: Path) -> None:
    """Unpack ``archive`` into ``dest``; every member is checked first."""
    try:
        if archive.name.lower().endswith(".zip"):
            _extract_zip(archive, dest)
        else:
            _extract_tar(archive, dest)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as err:
        raise SourceError(
            f"{archive}: not a readable archive ({err}); delete it and fetch again"
        ) from None


def _extract_zip(archive: Path, dest: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            _check_name(archive, info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):
                _refuse(archive, info.filename, "is a symbolic link")
        zf.extractall(dest)


def _extract_tar(archive: Path, dest: Path) -> None:
    with tarfile.open(archive) as tf:
        members = tf.getmembers()
        for member in members:
            _check_name(archive, member.name)
            if not (member.isfile() or member.isdir()):
                _refuse(archive, member.name, "is a link or a special file")
        tf.extractall(dest, members=members, filter="data")


def _check_name(archive: Path, name: str) -> None:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        _refuse(archive, name, "points outside the folder it is unpacked into")


def _refuse(archive: Path, member: str, why: str) -> None:
    raise SourceError(
        f"{archive}: member {member!r} {why}; refused, nothing was unpacked. "
        "Fix: get the dataset from its publisher again, or unpack it yourself and point "
        "`source` at the folder"
    )
