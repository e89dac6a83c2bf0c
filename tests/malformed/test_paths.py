"""Inputs that are not regular files, for every format: missing, links, folders, pipes."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from kdgat.data.formats import FORMATS

from .cases import Case, Error, Written, run_ingest_case, table

SUFFIX = {
    "can_csv": "csv",
    "parquet": "parquet",
    "hcrl_car_hacking": "csv",
    "candump": "log",
    "asc": "asc",
    "blf": "blf",
    "netflow_cicids": "csv",
    "netflow_unsw": "csv",
    "road": "log",
    "can_mirgu": "log",
}


def missing(fmt: str) -> Callable[[Path], Written]:
    return lambda tmp: Written(tmp / f"capture.{SUFFIX[fmt]}", fmt, 0)


def symlink_loop(fmt: str) -> Callable[[Path], Written]:
    def build(tmp: Path) -> Written:
        path, other = tmp / f"capture.{SUFFIX[fmt]}", tmp / f"other.{SUFFIX[fmt]}"
        path.symlink_to(other)
        other.symlink_to(path)
        return Written(path, fmt, 0)

    return build


def dangling_symlink(fmt: str) -> Callable[[Path], Written]:
    def build(tmp: Path) -> Written:
        path = tmp / f"capture.{SUFFIX[fmt]}"
        path.symlink_to(tmp / "moved" / f"capture.{SUFFIX[fmt]}")
        return Written(path, fmt, 0)

    return build


def folder(fmt: str) -> Callable[[Path], Written]:
    def build(tmp: Path) -> Written:
        path = tmp / f"capture.{SUFFIX[fmt]}"
        path.mkdir()
        (path / "part-0.bin").write_bytes(b"\x00" * 16)
        return Written(path, fmt, 0)

    return build


def fifo(fmt: str) -> Callable[[Path], Written]:
    """A named pipe: reading it would wait forever for a writer; it must be refused up front."""

    def build(tmp: Path) -> Written:
        path = tmp / f"capture.{SUFFIX[fmt]}"
        os.mkfifo(path)
        return Written(path, fmt, 0)

    return build


PATHS = [
    case
    for fmt in FORMATS
    for case in (
        Case(f"{fmt}_missing_path", missing(fmt), Error("not found|no such|missing")),
        Case(f"{fmt}_symlink_loop", symlink_loop(fmt), Error("link|loop")),
        Case(f"{fmt}_dangling_symlink", dangling_symlink(fmt), Error("not found|link")),
        Case(f"{fmt}_folder_as_file", folder(fmt), Error("folder|director")),
        Case(f"{fmt}_named_pipe", fifo(fmt), Error("")),
    )
]


@pytest.mark.timeout(30)  # a reader that opens a named pipe blocks: fail, never hang
@pytest.mark.parametrize("case", table(PATHS))
def test_input_path(case: Case, tmp_path: Path) -> None:
    run_ingest_case(case, tmp_path)
