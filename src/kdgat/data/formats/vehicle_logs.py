"""Vehicle logs read with python-can: candump ``-L`` (.log), Vector ASC and BLF.

Timestamps are what python-can reads: candump and BLF absolute (epoch
seconds), ASC seconds since the start of the measurement as written in the
file. ``source_row`` is the line number (candump, ASC) or the 1-based index of
the CAN message in the log (BLF).

Labels come from an optional sidecar next to the log, ``<log name>.labels.yaml``::

    attack_type: spoofing          # optional
    intervals: [[12.5, 14.0]]      # optional, seconds in the log's clock, inclusive
    injected_ids: [0x0A0, "0x1F4"] # optional, ints or hex strings

A frame is an attack when it lies in an interval and (if ``injected_ids`` is
given) has an injected id; with only ``injected_ids``, every frame of those
ids. Without a sidecar every frame is label 0 (and a warning says so).

Remote and error frames carry no payload: they are kept as parse errors.
python-can's candump reader stops at the first bad line, so every line is
checked against the candump grammar first; only well-formed lines reach
python-can, and malformed ones become quarantined rows.
"""

from __future__ import annotations

import io
import itertools
import logging
import re
import struct
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO, cast

import can
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml
from can.io.blf import BLFParseError

from kdgat.data.formats._common import (
    frame_batch,
    hex_to_int,
    parse_errors,
    read_lines,
    require_nonempty,
    unparsed_rows,
)
from kdgat.data.schema import LEN_TO_DLC, MAX_EXTENDED_ID
from kdgat.errors import FormatError

log = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".labels.yaml"
SIDECAR_KEYS = ("attack_type", "intervals", "injected_ids")
# "(1436509052.249713) vcan0 044#2A366C2BBA [R|T]"; FD "123##<flags><data>"; remote "123#R[dlc]"
CANDUMP_LINE = (
    r"^\s*\((?P<timestamp>[0-9]+(?:\.[0-9]*)?)\) +[A-Za-z0-9_.:@-]+ +"
    r"(?P<id>[0-9A-Fa-f]{1,8})#(?:#[0-9](?:[0-9A-Fa-f]{2}){0,64}|[Rr][0-9]?|(?:[0-9A-Fa-f]{2}){0,8})"
    r"(?: +[RrTt])?\s*$"
)
CANDUMP_HELP = "not a candump -L frame '(timestamp) interface id#data':"
_CORRUPT = (
    ValueError,
    IndexError,
    KeyError,
    TypeError,
    OverflowError,
    EOFError,
    struct.error,
    zlib.error,
    BLFParseError,
)


@dataclass(frozen=True)
class Labels:
    """Attack labelling rules from a sidecar (all None: every frame is benign)."""

    attack_type: str | None = None
    intervals: np.ndarray | None = None  # (k, 2), sorted and merged
    injected_ids: np.ndarray | None = None

    def label(self, timestamp: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """0/1 per frame."""
        if self.intervals is None and self.injected_ids is None:
            return np.zeros(len(timestamp), dtype=np.int64)
        hit = np.ones(len(timestamp), dtype=bool)
        if self.intervals is not None:
            hit &= _within(timestamp, self.intervals)
        if self.injected_ids is not None:
            hit &= np.isin(ids, self.injected_ids)
        return hit.astype(np.int64)

    def attack_types(self, label: np.ndarray) -> pa.Array:
        """The sidecar's attack type on attack frames, null elsewhere."""
        if self.attack_type is None:
            return pa.nulls(len(label), pa.string())
        attack = pa.scalar(self.attack_type, pa.string())
        return pc.if_else(pa.array(label == 1), attack, pa.scalar(None, pa.string()))


def _within(timestamp: np.ndarray, intervals: np.ndarray) -> np.ndarray:
    """True where a timestamp lies in one of the sorted, disjoint, inclusive intervals."""
    if len(intervals) == 0:
        return np.zeros(len(timestamp), dtype=bool)
    slot = np.searchsorted(intervals[:, 0], timestamp, side="right") - 1
    ends = intervals[np.clip(slot, 0, None), 1]
    return (slot >= 0) & (timestamp <= ends)


def sidecar_path(path: Path) -> Path:
    """``drive.log`` -> ``drive.log.labels.yaml``."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def load_labels(path: Path) -> Labels:
    """Read the label sidecar of a log; FormatError naming the sidecar and key when malformed."""
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        log.warning("%s: no label sidecar %s; every frame is labelled 0", path, sidecar.name)
        return Labels()
    try:
        doc = yaml.safe_load(sidecar.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise FormatError(sidecar, f"not valid YAML ({err})", "fix the YAML syntax") from err
    doc = {} if doc is None else doc  # an empty sidecar
    if not isinstance(doc, dict):
        raise FormatError(sidecar, "must be a mapping", f"use the keys {', '.join(SIDECAR_KEYS)}")
    unknown = sorted(str(k) for k in doc if k not in SIDECAR_KEYS)
    if unknown:
        raise FormatError(
            sidecar, f"unknown key(s) {unknown}", f"use only {', '.join(SIDECAR_KEYS)}"
        )
    labels = Labels(
        _attack_type(sidecar, doc.get("attack_type")),
        _intervals(sidecar, doc.get("intervals")),
        _injected_ids(sidecar, doc.get("injected_ids")),
    )
    if labels.intervals is None and labels.injected_ids is None:
        log.warning("%s: no intervals or injected_ids; every frame is labelled 0", sidecar)
    return labels


def _attack_type(sidecar: Path, value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise FormatError(sidecar, f"key 'attack_type' is {value!r}", "give a non-empty string")


def _intervals(sidecar: Path, value: object) -> np.ndarray | None:
    if value is None:
        return None
    fix = "write intervals as a list of [t_start, t_end] pairs of seconds, t_start <= t_end"
    if not isinstance(value, list):
        raise FormatError(sidecar, f"key 'intervals' is {value!r}, not a list", fix)
    for i, pair in enumerate(value):
        numbers = isinstance(pair, list) and all(_is_number(t) for t in pair)
        if not (numbers and len(pair) == 2 and pair[0] <= pair[1]):
            raise FormatError(sidecar, f"key 'intervals': item {i} is {pair!r}", fix)
    pairs = np.array(value, dtype=np.float64).reshape(-1, 2)
    if not np.isfinite(pairs).all():
        raise FormatError(sidecar, "key 'intervals' has a non-finite bound", fix)
    return _merge(pairs[np.argsort(pairs[:, 0], kind="stable")])


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _merge(pairs: np.ndarray) -> np.ndarray:
    """Merge overlapping (sorted) intervals, so each timestamp falls in at most one."""
    merged: list[list[float]] = []
    for start, end in pairs.tolist():
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return np.array(merged, dtype=np.float64).reshape(-1, 2)


def _injected_ids(sidecar: Path, value: object) -> np.ndarray | None:
    if value is None:
        return None
    fix = "write injected_ids as a list of CAN ids: integers or hex strings like '0x1F4'"
    if not isinstance(value, list):
        raise FormatError(sidecar, f"key 'injected_ids' is {value!r}, not a list", fix)
    ids = [_can_id(v) for v in value]
    for i, (raw, parsed) in enumerate(zip(value, ids, strict=True)):
        if parsed is None:
            raise FormatError(sidecar, f"key 'injected_ids': item {i} is {raw!r}", fix)
    return np.array(ids, dtype=np.int64)


def _can_id(value: object) -> int | None:
    """An id from an int or a hex string; None when it is neither or out of range."""
    parsed: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = int(value.strip(), 16)
        except ValueError:
            return None
    return parsed if parsed is not None and 0 <= parsed <= MAX_EXTENDED_ID else None


def _frames(messages: Sequence[can.Message], rows: np.ndarray, labels: Labels) -> pa.Table:
    """A ``RAW_FRAME`` batch from python-can messages (remote/error frames as parse errors)."""
    n = len(messages)
    timestamp = np.fromiter((m.timestamp for m in messages), np.float64, n)
    ids = np.fromiter((m.arbitration_id for m in messages), np.int64, n)
    length = np.fromiter((m.dlc for m in messages), np.int64, n)  # python-can: dlc in bytes
    dlc = np.where((length >= 0) & (length <= 64), LEN_TO_DLC[np.clip(length, 0, 64)], -1)
    payload = pa.array([bytes(m.data) for m in messages], pa.binary())
    remote = np.fromiter((m.is_remote_frame for m in messages), bool, n)
    error = np.fromiter((m.is_error_frame for m in messages), bool, n)
    shown = pa.array(
        [str(m) if r or e else None for m, r, e in zip(messages, remote, error, strict=True)]
    )
    errors = parse_errors(
        n,
        [
            (error, "error frame (not a data frame):", shown),
            (remote, "remote frame (no data bytes):", shown),
        ],
    )
    label = labels.label(timestamp, ids)
    return frame_batch(
        timestamp, ids, dlc, payload, label, rows, errors, labels.attack_types(label)
    )


def _bad_lines(texts: list[str], rows: np.ndarray, reasons: list[str]) -> pa.Table:
    """Lines that are not frames, as parse errors carrying the line text."""
    errors = [f"{why} {text!r}" for why, text in zip(reasons, texts, strict=True)]
    return unparsed_rows(rows, pa.array(errors, pa.string()))


def read_candump(path: Path, batch_rows: int) -> Iterator[pa.Table]:
    """Yield ``RAW_FRAME`` batches of a ``candump -L`` log (malformed lines quarantined)."""
    require_nonempty(path)
    check_candump(path)
    labels = load_labels(path)
    for first_line, lines in read_lines(path, batch_rows):
        table = candump_batch(lines, first_line, labels)
        if table.num_rows:
            yield table


def check_candump(path: Path) -> None:
    """A file whose first line is not even shaped like candump -L is the wrong format."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        first = next((line.strip() for line in handle if line.strip()), "")
    if not first.startswith("("):
        raise FormatError(
            path,
            f"first line {first[:120]!r} is not candump -L output '(timestamp) interface id#data'",
            "record with `candump -L`, or convert the log with python-can's can.logconvert",
        )


def candump_batch(lines: list[str], first_line: int, labels: Labels | None = None) -> pa.Table:
    """A ``RAW_FRAME`` batch of candump -L lines (line ``first_line`` first), bad ones quarantined.

    Without ``labels`` every frame is label 0: for the formats (ROAD, CAN-MIRGU) that label
    the frames themselves afterwards.
    """
    labels = labels or Labels()
    kept = [i for i, line in enumerate(lines) if line.strip()]
    texts = [lines[i] for i in kept]
    rows = first_line + np.array(kept, dtype=np.int64)
    parts = pc.extract_regex(pa.array(texts, pa.string()), CANDUMP_LINE)
    matched = pc.is_valid(parts).to_numpy(zero_copy_only=False)
    ids, _ = hex_to_int(pc.fill_null(pc.struct_field(parts, "id"), "0"))
    good = matched & (ids <= MAX_EXTENDED_ID)
    good_texts = [t for t, ok in zip(texts, good, strict=True) if ok]
    messages = list(can.CanutilsLogReader(io.StringIO("\n".join(good_texts))))
    if len(messages) != len(good_texts):  # cannot happen for lines that passed CANDUMP_LINE
        raise AssertionError("python-can skipped a validated candump line")
    bad = np.flatnonzero(~good)
    reasons = [CANDUMP_HELP if not matched[i] else "id has error/flag bits set:" for i in bad]
    tables = [_frames(messages, rows[good], labels)]
    if len(bad):
        tables.append(_bad_lines([texts[i] for i in bad], rows[bad], reasons))
    return pa.concat_tables(tables).sort_by("source_row")


class _NumberedLines:
    """A text file that numbers the lines read from it and keeps them until taken.

    python-can's readers count nothing and skip what they do not understand;
    the lines read since the last message tell which were skipped.
    """

    def __init__(self, handle: TextIO) -> None:
        self.handle, self.number = handle, 0
        self.read: list[tuple[int, str]] = []

    def __iter__(self) -> _NumberedLines:
        return self

    def __next__(self) -> str:
        line = next(self.handle)
        self.number += 1
        self.read.append((self.number, line))
        return line

    def take(self) -> list[tuple[int, str]]:
        """(number, text) of the lines read since the last call."""
        lines, self.read = self.read, []
        return lines

    def close(self) -> None:
        self.handle.close()


# What an ASC log holds besides frames: header lines, comments, trigger blocks, and events
# that start with a timestamp (statistics, error frames, J1939...). Anything else is garbage.
ASC_NOT_A_FRAME = re.compile(
    r"^\s*(?:$|//|date\s|base\s|(?:no\s+)?internal\s+events|begin\s+triggerblock|"
    r"end\s+triggerblock|[0-9]+(?:\.[0-9]*)?\s)",
    re.IGNORECASE,
)
# A frame line python-can skipped (cut short, a channel that is no number): a lost frame.
ASC_BROKEN_FRAME = re.compile(
    r"^\s*[0-9]+(?:\.[0-9]*)?\s+\S+\s+[0-9A-Fa-f]+x?(?:\s+(?:Rx|Tx)\b.*)?\s*$",
    re.IGNORECASE,
)
ASC_HELP = "not an ASC frame, event, comment or header line:"


@dataclass(frozen=True)
class _Garbage:
    """A line of a log that is neither a frame nor anything else the format allows."""

    text: str


def read_asc(path: Path, batch_rows: int) -> Iterator[pa.Table]:
    """Yield ``RAW_FRAME`` batches of a Vector ASC log; a corrupt line -> FormatError."""
    require_nonempty(path)
    labels = load_labels(path)
    yield from _batches(path, _asc_messages(path), labels, batch_rows)


def _asc_messages(path: Path) -> Iterator[tuple[int, can.Message | _Garbage]]:
    """(line number, message) pairs of an ASC log, and the garbage lines python-can skips."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        lines = _NumberedLines(handle)
        try:
            for message in can.ASCReader(cast(TextIO, lines)):
                yield from _garbage(lines.take()[:-1])  # the last line read is the message's
                yield lines.number, message
            yield from _garbage(lines.take())
        except _CORRUPT as err:
            raise FormatError(
                path, f"corrupt ASC line {lines.number} ({err!r})", "repair or re-export the log"
            ) from err


def _garbage(lines: list[tuple[int, str]]) -> Iterator[tuple[int, _Garbage]]:
    for number, text in lines:
        if not ASC_NOT_A_FRAME.match(text) or ASC_BROKEN_FRAME.match(text):
            yield number, _Garbage(text.rstrip("\r\n"))


def read_blf(path: Path, batch_rows: int) -> Iterator[pa.Table]:
    """Yield ``RAW_FRAME`` batches of a Vector BLF log; a corrupt file -> FormatError."""
    require_nonempty(path)
    labels = load_labels(path)
    yield from _batches(path, _blf_messages(path), labels, batch_rows)


def _blf_messages(path: Path) -> Iterator[tuple[int, can.Message]]:
    """(1-based message index, message) pairs of a BLF log."""
    index = 0
    with path.open("rb") as handle:
        try:
            reader = can.BLFReader(handle)
            if path.stat().st_size < reader.file_size:  # python-can would stop quietly at the cut
                raise FormatError(
                    path,
                    f"truncated: its header says {reader.file_size} bytes, the file has "
                    f"{path.stat().st_size}, so the frames after the cut would be lost",
                    "copy or export the log again",
                )
            for index, message in enumerate(reader, start=1):
                yield index, message
        except _CORRUPT as err:
            raise FormatError(
                path, f"corrupt BLF data after message {index} ({err!r})", "re-export the log"
            ) from err


def _batches(
    path: Path,
    messages: Iterator[tuple[int, can.Message | _Garbage]],
    labels: Labels,
    batch_rows: int,
) -> Iterator[pa.Table]:
    """Group (position, message) pairs into ``RAW_FRAME`` batches; garbage lines quarantined."""
    total = 0
    while chunk := list(itertools.islice(messages, batch_rows)):
        frames = [(row, m) for row, m in chunk if isinstance(m, can.Message)]
        rows = np.array([row for row, _ in frames], dtype=np.int64)
        yield _frames([message for _, message in frames], rows, labels)
        garbage = [(row, m) for row, m in chunk if isinstance(m, _Garbage)]
        if garbage:
            numbers = np.array([row for row, _ in garbage], dtype=np.int64)
            texts = [g.text for _, g in garbage]
            yield _bad_lines(texts, numbers, [ASC_HELP] * len(garbage))
        total += len(frames)
    if total == 0:
        raise FormatError(path, "no CAN frames found", f"check that it is a {path.suffix} log")
