"""can-train-and-test CSV: ``timestamp,arbitration_id,data_field,attack``.

Ids are hex without prefix ("1e5"), payloads hex of 0-16 characters (DLC =
length / 2), attack is 0/1. Read with pyarrow's streaming CSV reader; rows
with the wrong number of fields are kept aside with their line number.
"""

from __future__ import annotations

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
)
from kdgat.errors import FormatError

COLUMNS = ["timestamp", "arbitration_id", "data_field", "attack"]
# Everything as text, so one bad value is one quarantined row, not a failed file;
# ids and labels repeat, so pyarrow dictionary-encodes them while parsing.
_DISTINCT = pa.dictionary(pa.int32(), pa.string())
COLUMN_TYPES = {
    "timestamp": pa.string(),
    "arbitration_id": _DISTINCT,
    "data_field": pa.string(),
    "attack": _DISTINCT,
}


def check_header(path: Path, expected: list[str]) -> None:
    """Raise a FormatError that names missing columns or a wrong delimiter."""
    with path.open("rb") as handle:
        header = handle.readline().decode("utf-8", errors="replace").strip().lstrip("\ufeff")
    found = [c.strip() for c in header.split(",")]
    missing = [c for c in expected if c not in found]
    if not missing:
        return
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
    check_header(path, COLUMNS)
    convert = pacsv.ConvertOptions(column_types=COLUMN_TYPES, include_columns=COLUMNS)
    stream = CsvStream(path, batch_rows, convert, quoting=False)  # the layout never quotes
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
    timestamp, bad_ts = to_float(batch.column("timestamp"))
    ids, bad_id = hex_to_int(batch.column("arbitration_id"))
    payload, bad_payload = hex_to_bytes(batch.column("data_field"))
    label, bad_label = to_int(batch.column("attack"))
    errors = parse_errors(
        batch.num_rows,
        [
            (bad_ts, "timestamp is not a number:", batch.column("timestamp")),
            (bad_id, "arbitration_id is not hex:", batch.column("arbitration_id")),
            (bad_payload, "data_field is not hex bytes:", batch.column("data_field")),
            (bad_label, "attack is not an integer:", batch.column("attack")),
        ],
    )
    return frame_batch(timestamp, ids, dlc_of(payload), payload, label, source_row, errors)
