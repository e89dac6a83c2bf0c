"""can-train-and-test CSV: ``timestamp,arbitration_id,data_field,attack``.

Ids are hex without prefix ("1e5"), payloads hex of 0-16 characters (DLC =
length / 2), attack is 0/1. Read with pyarrow's streaming CSV reader; rows
with the wrong number of fields are kept aside with their line number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from kdgat.data.formats._common import (
    CsvStream,
    dlc_of,
    frame_batch,
    hex_to_bytes,
    hex_to_int,
    parse_errors,
    require_nonempty,
    to_float,
    to_int,
    unparsed_rows,
    utf8_text,
)
from kdgat.errors import FormatError

COLUMNS = ["timestamp", "arbitration_id", "data_field", "attack"]
# Everything as bytes, so one bad value (or one non-UTF-8 byte) is one quarantined row,
# not a failed file; ids and labels repeat, so pyarrow dictionary-encodes them while parsing.
_DISTINCT = pa.dictionary(pa.int32(), pa.binary())
COLUMN_TYPES = {
    "timestamp": pa.binary(),
    "arbitration_id": _DISTINCT,
    "data_field": pa.binary(),
    "attack": _DISTINCT,
}


def check_header(path: Path, expected: list[str]) -> list[str]:
    """The header's column names (spaces stripped); a FormatError names missing ones."""
    with path.open("rb") as handle:
        start = handle.read(1 << 16).decode("utf-8", errors="replace")
    header = re.split(r"\r\n|\r|\n", start, maxsplit=1)[0].strip().lstrip("\ufeff")
    found = [c.strip() for c in header.split(",")]
    missing = [c for c in expected if c not in found]
    if not missing:
        return found
    for delimiter, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
        if delimiter in header:
            raise FormatError(
                path,
                f"header {header!r} is separated by {name}, not commas",
                "convert the file to comma-separated CSV",
            )
    raise FormatError(
        path,
        f"missing column(s) {missing}; header is {header!r}",
        f"the file must start with the header {','.join(expected)}",
    )


def read(path: Path, batch_rows: int) -> Iterator[pa.Table]:
    """Yield ``RAW_FRAME`` batches of about ``batch_rows`` rows."""
    require_nonempty(path)
    names = check_header(path, COLUMNS)  # given to pyarrow: "timestamp, arbitration_id" works
    convert = pacsv.ConvertOptions(column_types=COLUMN_TYPES, include_columns=COLUMNS)
    stream = CsvStream(path, batch_rows, convert, names, quoting=False)  # the layout never quotes
    for batch, lines in stream:
        yield _frames(batch, lines)
        yield from _split_rows(stream.take_invalid())
    yield from _split_rows(stream.take_invalid())  # set aside after the last batch


def _split_rows(rows: list[tuple[int, str]]) -> Iterator[pa.Table]:
    """Emit rows with the wrong field count as parse errors (reported, never dropped)."""
    if not rows:
        return
    n = len(rows)
    texts = pa.array([text for _, text in rows])
    message = f"expected {len(COLUMNS)} fields:"
    yield unparsed_rows(
        np.array([r for r, _ in rows]), parse_errors(n, [(np.ones(n, bool), message, texts)])
    )


def _frames(batch: pa.RecordBatch, source_row: np.ndarray) -> pa.Table:
    columns, not_utf8 = {}, np.zeros(batch.num_rows, bool)
    for name in COLUMNS:
        columns[name], bad = utf8_text(batch.column(name))
        not_utf8 |= bad
    timestamp, bad_ts = to_float(columns["timestamp"])
    ids, bad_id = hex_to_int(columns["arbitration_id"])
    payload, bad_payload = hex_to_bytes(columns["data_field"])
    label, bad_label = to_int(columns["attack"])
    errors = parse_errors(
        batch.num_rows,
        [
            (not_utf8, "line is not UTF-8 text", None),
            (bad_ts, "timestamp is not a number:", columns["timestamp"]),
            (bad_id, "arbitration_id is not hex:", columns["arbitration_id"]),
            (bad_payload, "data_field is not hex bytes:", columns["data_field"]),
            (bad_label, "attack is not an integer:", columns["attack"]),
        ],
    )
    return frame_batch(timestamp, ids, dlc_of(payload), payload, label, source_row, errors)
