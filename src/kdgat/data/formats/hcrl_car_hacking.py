"""HCRL Car-Hacking dataset: the attack CSVs and ``normal_run_data.txt``.

Two layouts, told apart by the first non-empty line:

* CSV without header, ``Timestamp,CAN ID,DLC,DATA[0],...,DATA[DLC-1],Flag``
  (``1478198376.389427,0316,8,05,21,68,09,21,21,00,6f,R``): a frame with
  fewer than 8 bytes has fewer fields, so the flag moves left. Flag ``R`` is
  a normal frame (label 0), ``T`` an injected one (label 1).
* ``normal_run_data.txt``: ``Timestamp: 1479121434.850202  ID: 0350  000
  DLC: 8  05 28 84 66 6d 00 00 a2``, all label 0.

IDs are hex. The DLC written in the file goes to ``dlc`` as is, so a row
whose data bytes disagree with it is quarantined by validation. Lines are
split with one regular expression per batch (pyarrow, vectorised).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kdgat.data.formats._common import (
    frame_batch,
    hex_to_bytes,
    hex_to_int,
    parse_errors,
    read_lines,
    require_nonempty,
    to_float,
    to_int,
)
from kdgat.errors import FormatError


@dataclass(frozen=True)
class Layout:
    """One line layout: a regex with groups timestamp, id, dlc, data (and flag)."""

    name: str
    line: str
    data: str  # what a well-formed data group matches
    flagged: bool


CSV = Layout(
    name="Car-Hacking CSV line 'Timestamp,CAN ID,DLC,DATA...,Flag'",
    line=r"^(?P<timestamp>[^,]*),(?P<id>[^,]*),(?P<dlc>[^,]*)(?P<data>(?:,[^,]*)*),(?P<flag>[^,]*)$",
    data=r"^(?:,[0-9A-Fa-f]{2})*$",
    flagged=True,
)
TEXT = Layout(
    name="normal_run_data line 'Timestamp: ... ID: ... DLC: ... bytes'",
    line=(
        r"^Timestamp:\s*(?P<timestamp>\S+)\s+ID:\s*(?P<id>\S+)\s+(?:\S+\s+)?"
        r"DLC:\s*(?P<dlc>\S+)(?P<data>(?:\s+\S+)*)$"
    ),
    data=r"^(?:\s+[0-9A-Fa-f]{2})*$",
    flagged=False,
)


def detect_layout(path: Path) -> Layout:
    """Pick the layout from the first non-empty line; FormatError when it is neither."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        first = next((line.strip() for line in handle if line.strip()), "")
    if first.startswith("Timestamp:"):
        return TEXT
    if first.count(",") >= 3:
        return CSV
    raise FormatError(
        path,
        f"first line {first[:120]!r} is neither a {CSV.name} nor a {TEXT.name}",
        "pass an unmodified file of the HCRL Car-Hacking dataset (comma-separated CSV "
        "or normal_run_data.txt)",
    )


def read(path: Path, batch_rows: int) -> Iterator[pa.Table]:
    """Yield ``RAW_FRAME`` batches of at most ``batch_rows`` rows (blank lines skipped)."""
    require_nonempty(path)
    layout = detect_layout(path)
    for first_line, lines in read_lines(path, batch_rows):
        table = _frames(layout, lines, first_line)
        if table.num_rows:
            yield table


def _frames(layout: Layout, lines: list[str], first_line: int) -> pa.Table:
    text = pc.utf8_trim_whitespace(pa.array(lines, pa.string()))
    keep = pc.not_equal(text, "")
    text = text.filter(keep)
    rows = np.arange(first_line, first_line + len(lines))[keep.to_numpy(zero_copy_only=False)]
    parts = pc.extract_regex(text, layout.line)
    unmatched = pc.is_null(parts).to_numpy(zero_copy_only=False)

    def field(name: str, default: str) -> pa.Array:
        return pc.fill_null(pc.struct_field(parts, name), default)

    timestamp, bad_ts = to_float(field("timestamp", "0"))
    ids, bad_id = hex_to_int(field("id", "0"))
    dlc, bad_dlc = to_int(field("dlc", "0"))
    data = field("data", "")
    bad_data = ~pc.match_substring_regex(data, layout.data).to_numpy(zero_copy_only=False)
    hex_data = pc.replace_substring_regex(data, r"[,\s]", "")
    payload, _ = hex_to_bytes(pc.if_else(pa.array(bad_data), "", hex_data))
    flag = field("flag", "R") if layout.flagged else pa.repeat(pa.scalar("R"), len(text))
    label = np.select([pc.equal(flag, v).to_numpy(zero_copy_only=False) for v in "RT"], [0, 1], -1)
    errors = parse_errors(
        len(text),
        [
            (unmatched, f"not a {layout.name}:", text),
            (bad_ts, "timestamp is not a number:", field("timestamp", "")),
            (bad_id, "CAN ID is not hex:", field("id", "")),
            (bad_dlc, "DLC is not an integer:", field("dlc", "")),
            (bad_data, "data bytes are not two-digit hex:", data),
            (label == -1, "flag is not R (normal) or T (injected):", flag),
        ],
    )
    timestamp = np.where(bad_ts | unmatched, np.nan, timestamp)
    return frame_batch(timestamp, ids, dlc, payload, label, rows, errors)
