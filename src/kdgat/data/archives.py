"""Unpack a downloaded dataset archive (zip, tar, 7z, gz) without letting it write outside it.

An archive is data from a stranger: a member named ``../../.bashrc`` or ``/etc/x``
(zip-slip), a symlink or hard link (which a later member could write through), or a
device file is refused before anything is written, naming the member. A ``.gz`` that is
not a tarball holds one file, unpacked under the archive's name without ``.gz`` (its
header's name is ignored: it is a stranger's path too).
"""

from __future__ import annotations

import gzip
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from kdgat.errors import SourceError

TARS = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")
SUFFIXES = (".zip", ".7z", ".gz", *TARS)


def is_archive(path: Path) -> bool:
    """Whether ``path`` names an archive kdgat unpacks."""
    return path.name.lower().endswith(SUFFIXES)


def extract(archive: Path, dest: Path) -> None:
    """Unpack ``archive`` into ``dest``; every member is checked first."""
    name = archive.name.lower()
    try:
        if name.endswith(".zip"):
            _extract_zip(archive, dest)
        elif name.endswith(".7z"):
            _extract_7z(archive, dest)
        elif name.endswith(TARS):
            _extract_tar(archive, dest)
        else:
            _extract_gz(archive, dest)
    except (
        zipfile.BadZipFile,
        tarfile.TarError,
        gzip.BadGzipFile,
        EOFError,
        OSError,
    ) as err:
        raise _unreadable(archive, err) from None


def _unreadable(archive: Path, err: Exception) -> SourceError:
    return SourceError(f"{archive}: not a readable archive ({err}); delete it and fetch again")


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


def _extract_7z(archive: Path, dest: Path) -> None:
    import py7zr  # here, not at the top: only a 7z fetch pays for importing it

    try:
        with py7zr.SevenZipFile(archive) as sz:
            for info in sz.list():
                _check_name(archive, info.filename)
                if info.is_symlink:
                    _refuse(archive, info.filename, "is a symbolic link")
                if not (info.is_file or info.is_directory):
                    _refuse(archive, info.filename, "is a special file")
            sz.extractall(dest)
    except py7zr.Bad7zFile as err:
        raise _unreadable(archive, err) from None


def _extract_gz(archive: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / archive.name[: -len(".gz")]
    partial = target.with_name(f".{target.name}.partial")  # a damaged stream leaves no half file
    try:
        with gzip.open(archive) as src, partial.open("wb") as out:
            shutil.copyfileobj(src, out)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


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
