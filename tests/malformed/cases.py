"""The malformed-input table: one ``Case`` per class of bad input, and what must happen to it.

Every case writes its own input into ``tmp_path`` and expects exactly one outcome:

* ``Error``: a ``KdgatError`` (CLI: exit code != 0, stderr starting ``error:``) whose
  message names the file, says what is wrong (``says``, a regular expression) and a fix,
  with nothing half-written left behind.
* ``Quarantine``: ingest succeeds and every record the test wrote is accounted for:
  rows in == rows in the output Parquet + rows in the quarantine Parquet, and the bad
  records are quarantined with their source line / row number.
* ``Duplicates``: ingest succeeds, keeps every frame and counts exact duplicate frames
  under ``duplicate_frames`` in the capture's report.
* ``NoSilentLoss``: a clear error, or a success whose report says how many frames were
  lost; never a success that silently drops frames.
* ``Usage``: a CLI usage error (exit code 2), no traceback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from kdgat.data.catalog import Capture
from kdgat.data.formats import get_format
from kdgat.data.ingest import ingest_captures
from kdgat.errors import KdgatError

# A fix names an action the user can take (the words kdgat's messages use for one), or lists
# the values that would be valid ("known datasets: a, b").
FIX = re.compile(
    r"\b(fix|use|give|rename|save|check|run|keep|allowed|should|must|needs?|remove|repair|"
    r"re-?export|re-?download|convert|raise|lower|add|pass|record|write|store|narrow|create|"
    r"choose|set|delete|move|start|try|drop|point|list|rebuild|restore|replace|known|one of|"
    r"available)\b|:\s*[\w.-]+(?:, [\w.-]+)+",
    re.IGNORECASE,
)
T0 = 1_700_000_000.0  # 2023-11-14: a plausible capture start (epoch seconds)
YEAR_2100 = 4_102_444_800.0
DAY = 86_400.0


# --- outcomes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Error:
    """(a) A clear error: names the file, matches ``says`` (what is wrong), gives a fix."""

    says: str = ""


@dataclass(frozen=True)
class Quarantine:
    """(b) Ingest succeeds; ``rows`` (source line / row numbers) are quarantined, none lost."""

    rows: tuple[int, ...] = ()
    says: str = ""  # every quarantined row's reason matches this


@dataclass(frozen=True)
class Duplicates:
    """Ingest keeps every frame and reports ``count`` exact duplicates as duplicate_frames.

    ``count`` is the number of extra copies: a frame recorded three times counts 2.
    """

    count: int


@dataclass(frozen=True)
class NoSilentLoss:
    """A clear error (matching ``says``), or success with the lost frames counted."""

    says: str = ""


@dataclass(frozen=True)
class Usage:
    """A CLI usage error: exit code 2, ``says`` in the output, no traceback."""

    says: str = ""


Outcome = Error | Quarantine | Duplicates | NoSilentLoss | Usage


@dataclass(frozen=True)
class Case:
    """One class of bad input: ``build(tmp_path)`` writes it, ``expect`` is what must happen."""

    name: str
    build: Callable[..., Any]
    expect: Outcome

    def __str__(self) -> str:
        return self.name


def table(cases: Sequence[Case]) -> list[Any]:
    """``pytest.param`` per case, named by it (names must be unique within a table)."""
    names = [c.name for c in cases]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    assert not duplicated, f"case names used twice: {duplicated}"
    return [pytest.param(c, id=c.name) for c in cases]


# --- what a case builds ---------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """A raw capture written by a case.

    ``rows`` is the number of data records the case wrote (counted by the case itself);
    ``blame`` the file an error must name (default: the capture); ``says`` extra
    patterns the error message must match (e.g. line numbers only known once written).
    """

    path: Path
    fmt: str
    rows: int
    blame: Path | None = None
    says: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.path.name.split(".")[0]


Build = Callable[[Path], Written]


def raw_file(name: str, fmt: str) -> Callable[[bytes, int], Build]:
    """Builders of cases that write given bytes (holding ``rows`` records) as file ``name``."""

    def raw(data: bytes, rows: int) -> Build:
        def build(tmp: Path) -> Written:
            path = tmp / name
            path.write_bytes(data)
            return Written(path, fmt, rows)

        return build

    return raw


# --- assertions -----------------------------------------------------------------------------


def _names(message: str, path: Path | str) -> bool:
    """Whether ``message`` names ``path``: in full, or as its folder plus its file name."""
    path = Path(path)
    return str(path) in message or (str(path.parent) in message and path.name in message)


def assert_clear_error(
    err: BaseException, path: Path | str | None, says: str = "", *more: str
) -> str:
    """``err`` is a KdgatError naming ``path``, matching ``says`` and ``more``, with a fix."""
    if not isinstance(err, KdgatError):
        raise AssertionError(
            f"{type(err).__name__} (a traceback) instead of a KdgatError: {err}"
        ) from err
    message = str(err)
    check_message(message, path, says, *more)
    return message


# The tests' own temporary paths, left out when a message is searched for what it says.
_TMP_PATH = re.compile(r"/[^\s'\"]*pytest-of-[^\s'\":]*")


def check_message(message: str, path: Path | str | None, says: str = "", *more: str) -> None:
    """The checks of a clear error message (shared by the library and the CLI)."""
    if path is not None:
        assert _names(message, path), f"the message does not name {path}: {message!r}"
    words = _TMP_PATH.sub("<path>", message)  # a case's name in its tmp_path says nothing
    for pattern in (says, *more):
        if pattern:
            assert re.search(pattern, words, re.IGNORECASE | re.DOTALL), (
                f"the message does not say {pattern!r}: {message!r}"
            )
    assert FIX.search(words), f"the message gives no fix: {message!r}"


def files_under(folder: Path) -> list[Path]:
    """Every file (not folder) under ``folder``; [] when it does not exist."""
    return sorted(p for p in folder.rglob("*") if not p.is_dir()) if folder.exists() else []


def assert_nothing_written(out: Path) -> None:
    """No file left behind in the output folder of a failed ingest."""
    left = files_under(out)
    assert not left, f"a failed ingest left files behind: {[str(p) for p in left]}"


def written_rows(out: Path, capture: dict[str, Any]) -> int:
    """Rows in a capture's output Parquet (0 when it has none)."""
    return pq.read_table(out / capture["output"]).num_rows if capture["output"] else 0


def quarantined(out: Path, capture: dict[str, Any]) -> tuple[list[int], list[str]]:
    """(source rows, reasons) of a capture's quarantine Parquet."""
    if not capture.get("quarantine"):
        return [], []
    bad = pq.read_table(out / capture["quarantine"])
    return bad["source_row"].to_pylist(), bad["reason"].to_pylist()


def assert_accounted(
    report: dict[str, Any],
    out: Path,
    name: str,
    rows_in: int,
    bad_rows: Sequence[int] = (),
    says: str = "",
) -> None:
    """Every record is written or quarantined; exactly ``bad_rows`` are quarantined."""
    capture = report["captures"][name]
    good = written_rows(out, capture)
    rows, reasons = quarantined(out, capture)
    assert rows_in == good + len(rows), (
        f"{rows_in} records in, {good} written + {len(rows)} quarantined: "
        f"{rows_in - good - len(rows)} lost (quarantined rows {rows})"
    )
    assert sorted(rows) == sorted(bad_rows), (
        f"quarantined source rows {sorted(rows)}, expected {sorted(bad_rows)} (reasons {reasons})"
    )
    if says:
        for reason in reasons:
            assert re.search(says, reason, re.IGNORECASE), (
                f"reason {reason!r} does not say {says!r}"
            )


def assert_duplicates(
    report: dict[str, Any], out: Path, name: str, rows_in: int, count: int
) -> None:
    """Every frame kept, and ``count`` exact duplicates reported as ``duplicate_frames``."""
    capture = report["captures"][name]
    good = written_rows(out, capture)
    rows, _ = quarantined(out, capture)
    assert (good, rows) == (rows_in, []), (
        f"duplicates must be kept: {rows_in} frames in, {good} written, quarantined {rows}"
    )
    assert "duplicate_frames" in capture, (
        f"no duplicate_frames in the capture report (keys: {sorted(capture)})"
    )
    assert capture["duplicate_frames"] == count, (
        f"duplicate_frames is {capture['duplicate_frames']}, expected {count}"
    )


def assert_loss_counted(report: dict[str, Any], out: Path, name: str, rows_in: int) -> None:
    """A success on a damaged log must say how many frames it lost."""
    capture = report["captures"][name]
    good = written_rows(out, capture)
    rows, reasons = quarantined(out, capture)
    lost = rows_in - good - len(rows)
    if lost == 0:
        return
    said = json.dumps(capture) + " ".join(reasons)
    assert re.search(rf"\b{lost}\b", said), (
        f"ingest succeeded with {good} of {rows_in} frames: {lost} lost without a word "
        f"(report {capture})"
    )


# --- running an ingest case -----------------------------------------------------------------


def summary(report: dict[str, Any], out: Path, name: str) -> str:
    capture = report["captures"][name]
    rows, reasons = quarantined(out, capture)
    return f"{written_rows(out, capture)} rows written, quarantined {rows} {reasons[:3]}"


def run_ingest_case(case: Case, tmp_path: Path) -> None:
    """Build the case's capture, ingest it (in-process) and check the expected outcome."""
    written: Written = case.build(tmp_path)
    out = tmp_path / "out"
    capture = Capture(written.path, written.name, "train")
    expect = case.expect

    def ingest() -> dict[str, Any]:
        return ingest_captures(
            [capture], get_format(written.fmt), out, row_group_size=1024, max_bad_fraction=1.0
        )

    if isinstance(expect, Error | NoSilentLoss):
        try:
            report = ingest()
        except Exception as err:
            assert_clear_error(err, written.blame or written.path, expect.says, *written.says)
            assert_nothing_written(out)
            return
        if isinstance(expect, Error):
            pytest.fail(f"accepted instead of a clear error: {summary(report, out, written.name)}")
        assert_loss_counted(report, out, written.name, written.rows)
        return
    report = ingest()  # any exception fails the case with it
    if isinstance(expect, Quarantine):
        assert_accounted(report, out, written.name, written.rows, expect.rows, expect.says)
    elif isinstance(expect, Duplicates):
        assert_duplicates(report, out, written.name, written.rows, expect.count)
    else:
        raise AssertionError(f"{case.name}: outcome {expect} is not one of ingest's")
