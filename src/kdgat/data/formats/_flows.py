"""What the network-flow CSV formats share: header checks, streaming, features, assembly.

A flow format is described by a ``FlowSpec``: which header names hold the
fixed ``FLOW_FIXED`` columns and how to parse them. ``read_flows`` streams the
CSV with pyarrow (every column read as bytes, decoded here, so a stray
non-UTF-8 byte in a label cannot fail the file), keeps each row's file line
number, and turns every other numeric column into a float64 ``f_*`` feature.
Which columns are numeric is decided on the first batch, so all batches of a
file have the same columns.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from kdgat.data.formats._common import (
    CsvStream,
    hex_to_int,
    parse_errors,
    require_nonempty,
    to_float,
    to_int,
)
from kdgat.data.schema import EMPTY_ROW, FEATURE_PREFIX, FLOW_FIXED
from kdgat.errors import FormatError

log = logging.getLogger(__name__)
MAX_LINE_BYTES = 1 << 16  # CICIDS2017 rows are about 600 bytes

Parser = Callable[[pa.Array], tuple[np.ndarray, np.ndarray]]
LabelParser = Callable[[pa.Array, pa.Array | None], tuple[np.ndarray, pa.Array, np.ndarray]]
Problem = tuple[np.ndarray, str, pa.Array | None]

_NAN_TEXT = r"^[+-]?nan$"


@dataclass(frozen=True)
class FlowSpec:
    """One flow CSV layout.

    Attributes:
        name: Dataset name, for messages.
        columns: Role -> header name (lower case). Roles: timestamp, src, src_port, dst,
            dst_port, protocol, label, and optionally attack_type.
        timestamp: Parses timestamp text into float seconds (and a bad mask).
        port: Parses port text into integers (and a bad mask).
        label: Parses (label text, attack_type text or None) into (0/1, attack_type, bad).
        fix: How to get a file with the expected header, for the FormatError.
        blank_feature: Value of an empty feature cell; None makes it a parse error.
    """

    name: str
    columns: dict[str, str]
    timestamp: Parser
    port: Parser
    label: LabelParser
    fix: str
    blank_feature: float | None = None


def snake_case(name: str) -> str:
    """``"Flow Bytes/s"`` -> ``"flow_bytes_s"``."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_") or "column"


def read_header(path: Path, spec: FlowSpec) -> list[str]:
    """The stripped header names; a FormatError names missing columns or a wrong delimiter."""
    with path.open("rb") as handle:
        line = handle.readline().decode("utf-8", errors="replace").lstrip("\ufeff").strip()
    names = [n.strip() for n in next(csv.reader([line]), [])]
    found = {n.lower() for n in names}
    missing = [c for c in spec.columns.values() if c not in found]
    if not missing:
        return names
    for delimiter, word in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
        if delimiter in line and "," not in line:
            raise FormatError(
                path, f"header {line[:200]!r} is separated by {word}, not commas", "convert to CSV"
            )
    raise FormatError(
        path,
        f"not a {spec.name} CSV: missing column(s) {missing}; header is {line[:200]!r}",
        spec.fix,
    )


def text(values: pa.Array) -> pa.Array:
    """Decode a byte column as UTF-8, falling back to cp1252 (CICIDS2017 has such bytes)."""
    try:
        return pc.cast(values, pa.string())
    except pa.ArrowInvalid:
        return pa.array([_decode(v) for v in values.to_pylist()], pa.string())


def _decode(value: bytes | None) -> str | None:
    if value is None:
        return None
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("cp1252", errors="replace")


def stripped(values: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Text without surrounding whitespace, and a mask of empty values."""
    out = pc.utf8_trim_whitespace(pc.fill_null(values, ""))
    return out, (pc.utf8_length(out).to_numpy(zero_copy_only=False) == 0)


def floats(values: pa.Array, blank: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Parse numbers (``Infinity``/``NaN`` allowed); bad = not a number (or blank, unless set)."""
    s, empty = stripped(values)
    parsed, bad = to_float(pc.if_else(pa.array(empty), "0", s))
    bad &= ~pc.match_substring_regex(s, _NAN_TEXT, ignore_case=True).to_numpy(zero_copy_only=False)
    if blank is None:
        return np.where(empty, np.nan, parsed), bad | empty
    return np.where(empty, blank, parsed), bad


def ports(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Decimal or ``0x`` hex ports; ``-`` (no port) -> -1. Values are clipped to int32."""
    s, empty = stripped(values)
    is_hex = pc.starts_with(s, "0x", ignore_case=True).to_numpy(zero_copy_only=False)
    dash = pc.equal(s, "-").to_numpy(zero_copy_only=False)
    hex_values, bad_hex = hex_to_int(pc.if_else(pa.array(is_hex), s, "0"))
    dec_values, bad_dec = to_int(pc.if_else(pa.array(is_hex | dash | empty), "0", s))
    values = np.where(is_hex, hex_values, np.where(dash, -1, dec_values))
    bad = np.where(is_hex, bad_hex, bad_dec) | empty
    return np.clip(np.where(bad, -1, values), -(2**31), 2**31 - 1), bad


@dataclass(frozen=True)
class _Columns:
    """Where the fixed columns are: role -> column index, and header name as in the file."""

    index: dict[str, int]
    header: dict[str, str]


@dataclass(frozen=True)
class _Feature:
    column: int
    header: str
    name: str  # f_<snake case>


def read_flows(path: Path, batch_rows: int, spec: FlowSpec) -> Iterator[pa.Table]:
    """Yield raw flow batches (``FLOW_FIXED`` columns, then ``f_*`` features)."""
    require_nonempty(path)
    header = read_header(path, spec)
    lower = [n.lower() for n in header]
    index = {role: lower.index(name) for role, name in spec.columns.items()}
    columns = _Columns(index, {role: header[i] for role, i in index.items()})
    names = [f"c{i}" for i in range(len(header))]
    convert = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.binary()))
    # Unquoted: neither dataset quotes a field, and a stray " would swallow the lines after it.
    stream = CsvStream(path, batch_rows, convert, column_names=names, quoting=False)
    features: list[_Feature] | None = None
    blanks: list[int] = []  # line numbers of rows with every field empty: quarantined
    for batch, rows in stream:
        blank = _blank_rows(batch)
        blanks += rows[blank].tolist()
        if not blank.all():
            batch, rows = batch.filter(pa.array(~blank)), rows[~blank]
            if features is None:  # decided once, so every batch has the same columns
                features = _numeric_features(batch, header, set(index.values()))
            yield _flows(batch, rows, spec, columns, features)
        if features is not None:
            yield from _invalid_rows(stream, features)
            yield from _unparsed([(r, EMPTY_ROW) for r in blanks], features)
            blanks = []
    yield from _invalid_rows(stream, features or [])
    yield from _unparsed([(r, EMPTY_ROW) for r in blanks], features or [])


def _too_long(batch: pa.RecordBatch) -> np.ndarray:
    """Rows whose fields hold more bytes than any flow record does (a runaway line)."""
    size = np.zeros(batch.num_rows, dtype=np.int64)
    for column in batch.columns:
        size += pc.binary_length(pc.fill_null(column, b"")).to_numpy(zero_copy_only=False)
    return size > MAX_LINE_BYTES


def _blank_rows(batch: pa.RecordBatch) -> np.ndarray:
    blank = np.ones(batch.num_rows, dtype=bool)
    for column in batch.columns:
        blank &= pc.binary_length(pc.fill_null(column, b"")).to_numpy(zero_copy_only=False) == 0
    return blank


def _numeric_features(batch: pa.RecordBatch, header: list[str], fixed: set[int]) -> list[_Feature]:
    """Columns (other than the fixed ones) whose non-empty values are mostly numbers.

    Mostly, not all: a stray bad value must become a quarantined row, not drop the column.
    """
    features: list[_Feature] = []
    dropped: list[str] = []
    taken: set[str] = set()
    for i, name in enumerate(header):
        if i in fixed:
            continue
        column = text(batch.column(i))
        _, empty = stripped(column)
        _, bad = floats(column)
        if 2 * np.count_nonzero(bad & ~empty) > np.count_nonzero(~empty):
            dropped.append(name)
            continue
        snake = base = FEATURE_PREFIX + snake_case(name)
        while snake in taken:  # CICIDS2017 has "Fwd Header Length" twice
            snake = f"{base}_{sum(t.startswith(base) for t in taken)}"
        taken.add(snake)
        features.append(_Feature(i, name, snake))
    if dropped:
        log.info("text columns dropped (not flow features): %s", ", ".join(dropped))
    return features


def _flows(
    batch: pa.RecordBatch,
    rows: np.ndarray,
    spec: FlowSpec,
    columns: _Columns,
    features: list[_Feature],
) -> pa.Table:
    raw = {role: text(batch.column(i)) for role, i in columns.index.items()}
    timestamp, bad_ts = spec.timestamp(raw["timestamp"])
    src, no_src = stripped(raw["src"])
    dst, no_dst = stripped(raw["dst"])
    src_port, bad_sport = spec.port(raw["src_port"])
    dst_port, bad_dport = spec.port(raw["dst_port"])
    protocol, no_proto = stripped(raw["protocol"])
    label, attack_type, bad_label = spec.label(raw["label"], raw.get("attack_type"))
    h = columns.header
    problems: list[Problem] = [
        (_too_long(batch), f"line longer than {MAX_LINE_BYTES} bytes: not a flow record", None),
        (bad_ts, f"{h['timestamp']} is not a date/time:", raw["timestamp"]),
        (no_src, f"{h['src']} is empty", None),
        (bad_sport, f"{h['src_port']} is not a port:", raw["src_port"]),
        (no_dst, f"{h['dst']} is empty", None),
        (bad_dport, f"{h['dst_port']} is not a port:", raw["dst_port"]),
        (no_proto, f"{h['protocol']} is empty", None),
        (bad_label, f"{h['label']} is not a label:", raw["label"]),
    ]
    values: dict[str, np.ndarray] = {}
    for feature in features:
        column = text(batch.column(feature.column))
        values[feature.name], bad = floats(column, spec.blank_feature)
        problems.append((bad, f"{feature.header} is not a number:", column))
    fixed = {
        "timestamp": np.where(bad_ts, np.nan, timestamp),
        "src": src,
        "dst": dst,
        "src_port": src_port,
        "dst_port": dst_port,
        "protocol": protocol,
        "label": label,
        "attack_type": attack_type,
        "source_row": rows,
        "parse_error": parse_errors(batch.num_rows, problems),
    }
    return flow_table(fixed, values)


def flow_table(fixed: dict[str, object], features: dict[str, np.ndarray]) -> pa.Table:
    """Assemble a raw flow table: ``FLOW_FIXED`` columns in order, then float64 features."""
    arrays = [pa.array(fixed[f.name], f.type) for f in FLOW_FIXED]
    arrays += [pa.array(v, pa.float64()) for v in features.values()]
    fields = list(FLOW_FIXED) + [pa.field(name, pa.float64()) for name in features]
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _invalid_rows(stream: CsvStream, features: list[_Feature]) -> Iterator[pa.Table]:
    """Rows with the wrong number of fields, as parse errors (reported, never dropped)."""
    expected = f"expected {len(stream.column_names or [])} fields:"
    yield from _unparsed([(r, f"{expected} {t!r}") for r, t in stream.take_invalid()], features)


def _unparsed(rows: list[tuple[int, str]], features: list[_Feature]) -> Iterator[pa.Table]:
    """(line, why) of rows that could not be parsed at all, as parse errors."""
    if not rows:
        return
    n = len(rows)
    fixed: dict[str, object] = {
        "timestamp": np.full(n, np.nan),
        "src": pa.nulls(n, pa.string()),
        "dst": pa.nulls(n, pa.string()),
        "src_port": np.full(n, -1),
        "dst_port": np.full(n, -1),
        "protocol": pa.nulls(n, pa.string()),
        "label": np.full(n, -1),
        "attack_type": pa.nulls(n, pa.string()),
        "source_row": np.array([r for r, _ in rows]),
        "parse_error": pa.array([why for _, why in rows], pa.string()),
    }
    yield flow_table(fixed, {f.name: np.full(n, np.nan) for f in features})
