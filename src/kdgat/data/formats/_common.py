"""Vectorised helpers shared by the raw formats: hex decoding, parse errors, batching."""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from kdgat.data.schema import LEN_TO_DLC, RAW_FRAME
from kdgat.errors import FormatError

_NIBBLE = np.full(256, 255, dtype=np.uint8)
_NIBBLE[np.frombuffer(b"0123456789", np.uint8)] = np.arange(10)
_NIBBLE[np.frombuffer(b"abcdef", np.uint8)] = np.arange(10, 16)
_NIBBLE[np.frombuffer(b"ABCDEF", np.uint8)] = np.arange(10, 16)


# Two hex characters, read as one little-endian uint16, map to their byte (or 256 if not hex).
_codes = np.arange(65536)
_first, _second = _NIBBLE[_codes & 0xFF].astype(np.uint16), _NIBBLE[_codes >> 8].astype(np.uint16)
_PAIR = np.where((_first < 16) & (_second < 16), _first * 16 + _second, 256).astype(np.uint16)


def _chars(strings: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets from 0, characters) of a string array; nulls read as empty strings."""
    strings = pc.fill_null(strings, "").cast(pa.large_string())
    offsets = np.frombuffer(strings.buffers()[1], np.int64)[
        strings.offset : strings.offset + len(strings) + 1
    ]
    data = strings.buffers()[2]
    raw = np.frombuffer(data, np.uint8) if data is not None else np.empty(0, np.uint8)
    return offsets - offsets[0], raw[offsets[0] : offsets[-1]]


def hex_to_bytes(strings: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Decode hex payload strings ("0A1B", "" for DLC 0) into a binary array.

    Returns the payloads and a mask of strings that are not valid hex (odd
    length or a non-hex character); those decode to empty payloads.
    """
    offsets, chars = _chars(strings)
    bad = np.diff(offsets) % 2 == 1
    if not bad.any():
        decoded = _PAIR[chars.view("<u2")]
        bad_pairs = np.flatnonzero(decoded > 255)
        if bad_pairs.size == 0:
            payload = pa.Array.from_buffers(
                pa.binary(),
                len(strings),
                [
                    None,
                    pa.py_buffer((offsets // 2).astype(np.int32)),
                    pa.py_buffer(decoded.astype(np.uint8)),
                ],
            )
            return payload, bad
        bad[np.searchsorted(offsets[1:] // 2, bad_pairs, side="right")] = True
    # Rare path: blank out the bad strings, decode the rest.
    payload, also_bad = hex_to_bytes(pc.if_else(pa.array(bad), "", pc.fill_null(strings, "")))
    return payload, bad | also_bad


def utf8_text(values: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Bytes read from a file as text; a value that is not UTF-8 becomes null (mask: where).

    One bad byte then costs one row, not the file (pyarrow's string columns fail whole).
    Dictionary arrays stay dictionary-encoded: only their distinct values are decoded.
    """
    if pa.types.is_dictionary(values.type):
        words, bad_words = utf8_text(values.dictionary)
        decoded = pa.DictionaryArray.from_arrays(values.indices, words)
        indices = pc.fill_null(values.indices, 0).to_numpy(zero_copy_only=False)
        bad = bad_words[indices] if len(bad_words) else np.zeros(len(values), bool)
        return decoded, bad & ~pc.is_null(values.indices).to_numpy(zero_copy_only=False)
    try:
        return pc.cast(values, pa.string()), np.zeros(len(values), bool)
    except pa.ArrowInvalid:  # rare: decode value by value
        raw = values.to_pylist()
        decoded = [_utf8_or_none(v) for v in raw]
        bad = np.array([d is None and v is not None for d, v in zip(decoded, raw, strict=True)])
        return pa.array(decoded, pa.string()), bad


def _utf8_or_none(value: bytes | None) -> str | None:
    try:
        return None if value is None else value.decode("utf-8")
    except UnicodeDecodeError:
        return None


def hex_to_int(strings: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Parse hex integers ("1e5", "0x7DF") into int64; returns (values, bad mask)."""
    return _parse_distinct(strings, _hex_or_minus_one)


def to_int(strings: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Parse decimal integers ("0", "1") into int64; returns (values, bad mask)."""
    return _parse_distinct(strings, _int_or_minus_one)


def _parse_distinct(
    strings: pa.Array, parse: Callable[[str], int]
) -> tuple[np.ndarray, np.ndarray]:
    """Parse each distinct string once: ids and labels repeat endlessly on a bus.

    Accepts plain or dictionary-encoded strings (the CSV readers ask pyarrow
    for dictionary columns, which saves the encoding step here).
    """
    if not pa.types.is_dictionary(strings.type):
        strings = pc.dictionary_encode(strings)
    parsed = np.array([parse(s) for s in strings.dictionary.to_pylist()] + [-1], np.int64)
    indices = pc.fill_null(strings.indices, len(strings.dictionary))  # null -> the -1 slot
    values = parsed[indices.to_numpy(zero_copy_only=False)]
    return values, values < 0


def _hex_or_minus_one(text: str | None) -> int:
    digits = (text or "").strip().removeprefix("0x").removeprefix("0X")
    if not 0 < len(digits) <= 8 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        return -1
    return int(digits, 16)


def _int_or_minus_one(text: str | None) -> int:
    digits = (text or "").strip()
    return int(digits) if digits.isascii() and digits.isdecimal() else -1


def to_float(strings: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Parse decimal strings into float64; returns (values, mask of unparseable or NaN)."""
    try:
        values = pc.cast(strings, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:  # rare: coerce element-wise, for this batch only
        values = pd.to_numeric(strings.to_pandas(), errors="coerce").to_numpy(np.float64)
    return values, np.isnan(values)


def dlc_of(payload: pa.Array) -> np.ndarray:
    """The DLC code of each payload length (-1 for lengths no CAN frame has)."""
    lengths = pc.binary_length(payload).to_numpy(zero_copy_only=False).astype(np.int64)
    return np.where(lengths <= 64, LEN_TO_DLC[np.clip(lengths, 0, 64)], -1)


def parse_errors(n: int, problems: Sequence[tuple[np.ndarray, str, pa.Array | None]]) -> pa.Array:
    """One message per row for the first problem that hits it, null elsewhere.

    Each problem is (mask, message, raw values): the message gets the raw value
    of the row appended, so the quarantine shows what was actually in the file.
    """
    if not any(mask.any() for mask, _, _ in problems):
        return pa.nulls(n, pa.string())
    messages = np.full(n, None, dtype=object)
    for mask, message, raw in reversed(problems):
        rows = np.flatnonzero(mask)
        shown = raw.take(pa.array(rows)).to_pylist() if raw is not None else [None] * len(rows)
        messages[rows] = [f"{message} {v!r}" if v is not None else message for v in shown]
    return pa.array(messages, pa.string())


def frame_batch(
    timestamp: np.ndarray,
    arbitration_id: np.ndarray,
    dlc: np.ndarray,
    payload: pa.Array,
    label: np.ndarray,
    source_row: np.ndarray,
    parse_error: pa.Array,
    attack_type: pa.Array | None = None,
) -> pa.Table:
    """Assemble a ``RAW_FRAME`` batch from parsed columns."""
    n = len(timestamp)
    return pa.Table.from_arrays(
        [
            pa.array(timestamp, pa.float64()),
            pa.array(arbitration_id, pa.int64()),
            pa.array(dlc, pa.int64()),
            payload,
            pa.array(label, pa.int64()),
            attack_type if attack_type is not None else pa.nulls(n, pa.string()),
            pa.array(source_row, pa.int64()),
            parse_error,
        ],
        schema=RAW_FRAME,
    )


def unparsed_rows(source_row: np.ndarray, errors: pa.Array) -> pa.Table:
    """A ``RAW_FRAME`` batch of rows that could not be parsed at all: sentinels and the reason."""
    n = len(source_row)
    return frame_batch(
        np.full(n, np.nan),
        np.full(n, -1),
        np.full(n, -1),
        pa.array([b""] * n, pa.binary()),
        np.full(n, -1),
        source_row,
        errors,
    )


def require_file(path: Path) -> int:
    """The size of the capture file at ``path``; a clear error for anything that is not one."""
    try:
        status = path.stat()  # through links
    except FileNotFoundError:
        if path.is_symlink():
            target = path.readlink()
            raise FormatError(
                path, f"links to {target}, which does not exist", "fix the link"
            ) from None
        raise FormatError(
            path, "file not found", "check the path or the catalog's source/globs"
        ) from None
    except OSError as err:  # ELOOP: a link that leads back to itself
        raise FormatError(
            path, f"cannot be opened ({err.strerror})", "point it at the capture file"
        ) from None
    if stat.S_ISDIR(status.st_mode):
        raise FormatError(path, "is a folder, not a capture file", "give the files inside it")
    return status.st_size


def require_nonempty(path: Path) -> None:
    """Fail early and clearly on a missing, unreadable or zero-byte file."""
    if require_file(path) == 0:
        raise FormatError(path, "file is empty", "re-export or re-download the capture")


def read_lines(path: Path, batch_rows: int, skip: int = 0) -> Iterator[tuple[int, list[str]]]:
    """Yield (first line number, lines) of a text file in batches, 1-based line numbers."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for _ in range(skip):
            handle.readline()
        line_no = skip + 1
        batch: list[str] = []
        for line in handle:
            batch.append(line.rstrip("\r\n"))
            if len(batch) == batch_rows:
                yield line_no, batch
                line_no += len(batch)
                batch = []
        if batch:
            yield line_no, batch


class CsvStream:
    """pyarrow's streaming CSV reader, plus the file line number of every row.

    Rows pyarrow cannot split into the expected number of fields are set
    aside (``take_invalid``) with their line number, never dropped. Small
    blocks are parsed (fastest: they stay in cache) and regrouped into batches
    of about ``batch_rows`` rows. Expects one header line.
    """

    BLOCK_BYTES = 1 << 20

    def __init__(
        self,
        path: Path,
        batch_rows: int,
        convert: pacsv.ConvertOptions,
        column_names: list[str] | None = None,
        quoting: bool = True,
    ) -> None:
        self.path, self.batch_rows, self.convert = path, batch_rows, convert
        self.column_names, self.quoting = column_names, quoting
        self._invalid: list[tuple[int, str]] = []  # not yet taken
        self._skipped_lines: list[int] = []  # all of them, to number the kept rows
        self._kept = 0

    def _on_invalid(self, row: pacsv.InvalidRow) -> str:
        self._invalid.append((row.number or -1, row.text))
        if row.number:
            self._skipped_lines.append(row.number)
        return "skip"

    def take_invalid(self) -> list[tuple[int, str]]:
        """(line number, text) of the rows set aside since the last call."""
        rows, self._invalid = self._invalid, []
        return rows

    def __iter__(self) -> Iterator[tuple[pa.RecordBatch, np.ndarray]]:
        reader = pacsv.open_csv(
            self.path,
            read_options=pacsv.ReadOptions(
                block_size=self.BLOCK_BYTES,
                use_threads=False,  # only then does pyarrow know skipped rows' line numbers
                column_names=self.column_names,
                skip_rows=1 if self.column_names else 0,
            ),
            parse_options=pacsv.ParseOptions(
                quote_char='"'
                if self.quoting
                else False,  # unquoted: a stray " can't swallow lines
                ignore_empty_lines=False,  # a blank line is a bad row, and keeps numbering exact
                invalid_row_handler=self._on_invalid,
            ),
            convert_options=self.convert,
        )
        try:
            for batch in _regroup(reader, self.batch_rows):
                yield batch, self._line_numbers(batch.num_rows)
        except pa.ArrowInvalid as err:
            raise FormatError(self.path, f"unreadable CSV ({err})", "repair the file") from err

    def _line_numbers(self, n: int) -> np.ndarray:
        """1-based line numbers of the next ``n`` kept rows (the header is line 1)."""
        index = self._kept + np.arange(n)  # index among the rows pyarrow kept
        skipped = np.sort(np.array(self._skipped_lines, dtype=np.int64)) - 2
        kept_before = skipped - np.arange(len(skipped))
        self._kept += n
        return index + np.searchsorted(kept_before, index, side="right") + 2


def _regroup(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """Concatenate small record batches into batches of at least ``rows`` rows."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        pending.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield pa.Table.from_batches(pending).combine_chunks().to_batches()[0]
            pending, count = [], 0
    if pending:
        yield pa.Table.from_batches(pending).combine_chunks().to_batches()[0]
