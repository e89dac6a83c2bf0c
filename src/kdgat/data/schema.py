"""The canonical tables every raw format is normalised to, and their validation.

Formats produce *raw* tables (``RAW_FRAME`` / flows with a ``parse_error``
column and sentinel values where a field could not be parsed). ``validate``
runs the Pandera schema of the domain over them and splits each batch into
clean rows, cast to the stored schema, and quarantined rows with one reason
per row. Only numeric columns go through Pandera, so validation stays
vectorised and cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pdr
import pyarrow as pa
import pyarrow.compute as pc

SCHEMA_VERSION = 1
# The reason of a row with every field empty: quarantined like any bad row, but not counted
# against ingest.max_bad_fraction (CICIDS2017 files end with thousands of them).
EMPTY_ROW = "every field is empty"
MAX_STANDARD_ID = 0x7FF
MAX_EXTENDED_ID = 0x1FFFFFFF
# A CAN timestamp is seconds since the capture started or since the epoch: never negative,
# never past 2100-01-01, and never a day away from the frames around it (one batch).
LATEST_TIMESTAMP = 4_102_444_800.0
MAX_TIMESTAMP_SPREAD = 86_400.0

# CAN FD: DLC codes 9..15 stand for these payload lengths.
DLC_TO_LEN = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64], dtype=np.int64)
LEN_TO_DLC = np.full(65, -1, dtype=np.int64)
LEN_TO_DLC[DLC_TO_LEN] = np.arange(16, dtype=np.int64)

# What a format yields. Unparseable fields hold NaN / -1 and parse_error says why.
RAW_FRAME = pa.schema(
    [
        ("timestamp", pa.float64()),
        ("arbitration_id", pa.int64()),
        ("dlc", pa.int64()),
        ("payload", pa.binary()),
        ("label", pa.int64()),
        ("attack_type", pa.string()),
        ("source_row", pa.int64()),
        ("parse_error", pa.string()),
    ]
)

# Repetitive text (capture, split, attack type) is dictionary-encoded, in memory and on disk.
LABEL_TEXT = pa.dictionary(pa.int32(), pa.string())

# What ingest stores: one row per CAN frame.
FRAME = pa.schema(
    [
        ("timestamp", pa.float64()),  # seconds
        ("arbitration_id", pa.uint32()),
        ("extended", pa.bool_()),  # 29-bit id (> 0x7FF)
        ("dlc", pa.uint8()),
        ("payload", pa.binary()),
        ("label", pa.uint8()),  # 1 = injected frame
        ("attack_type", LABEL_TEXT),  # "benign" for label 0
        ("capture", LABEL_TEXT),
        ("split", LABEL_TEXT),  # "train", "val" or a test scenario
        ("source_row", pa.int64()),  # line (text) or row (Parquet) in the raw file, 1-based
    ]
)

# Flows: fixed columns, then one float64 column per numeric flow statistic ("f_" prefix).
FLOW_FIXED = pa.schema(
    [
        ("timestamp", pa.float64()),
        ("src", pa.string()),
        ("dst", pa.string()),
        ("src_port", pa.int32()),  # -1 when the format has none
        ("dst_port", pa.int32()),
        ("protocol", pa.string()),
        ("label", pa.int64()),
        ("attack_type", pa.string()),
        ("source_row", pa.int64()),
        ("parse_error", pa.string()),
    ]
)
FEATURE_PREFIX = "f_"


FRAME_CHECKS = pdr.DataFrameSchema(
    {
        "parseable": pdr.Column(bool, pdr.Check.eq(True, error="parseable")),
        "timestamp": pdr.Column(np.float64, pdr.Check(np.isfinite, name="finite")),
        "timestamp_plausible": pdr.Column(
            bool,
            pdr.Check.eq(True, error="timestamp in 0..year 2100, within a day of its neighbours"),
        ),
        "arbitration_id": pdr.Column(
            np.int64, pdr.Check.in_range(0, MAX_EXTENDED_ID, error="id in 0..0x1FFFFFFF")
        ),
        "dlc": pdr.Column(np.int64, pdr.Check.in_range(0, 15, error="dlc in 0..8 (CAN FD 9..15)")),
        "payload_matches_dlc": pdr.Column(bool, pdr.Check.eq(True, error="payload length = dlc")),
        "label": pdr.Column(np.int64, pdr.Check.isin([0, 1], error="label in {0, 1}")),
    },
    strict=True,
)

FLOW_CHECKS = pdr.DataFrameSchema(
    {
        "parseable": pdr.Column(bool, pdr.Check.eq(True, error="parseable")),
        "timestamp": pdr.Column(np.float64, pdr.Check(np.isfinite, name="finite")),
        "timestamp_plausible": pdr.Column(
            bool, pdr.Check.eq(True, error="timestamp between 1970 and 2100")
        ),
        "src_port": pdr.Column(np.int32, pdr.Check.in_range(-1, 65535, error="port in 0..65535")),
        "dst_port": pdr.Column(np.int32, pdr.Check.in_range(-1, 65535, error="port in 0..65535")),
        "label": pdr.Column(np.int64, pdr.Check.isin([0, 1], error="label in {0, 1}")),
        "features_finite": pdr.Column(bool, pdr.Check.eq(True, error="all flow features finite")),
    },
    strict=True,
)


@dataclass(frozen=True)
class Validated:
    """One validated batch: rows to keep, rows to quarantine (with a reason each)."""

    good: pa.Table
    bad: pa.Table


def payload_lengths(payload: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Byte length of every payload."""
    return pc.binary_length(payload).to_numpy(zero_copy_only=False).astype(np.int64)


def _frame_checks_input(table: pa.Table) -> pd.DataFrame:
    dlc = table["dlc"].to_numpy()
    expected = np.where((dlc >= 0) & (dlc < 16), DLC_TO_LEN[np.clip(dlc, 0, 15)], -1)
    timestamp = table["timestamp"].to_numpy()
    return pd.DataFrame(
        {
            "parseable": pc.is_null(table["parse_error"]).to_numpy(zero_copy_only=False),
            "timestamp": timestamp,
            "timestamp_plausible": _plausible(timestamp),
            "arbitration_id": table["arbitration_id"].to_numpy(),
            "dlc": dlc,
            "payload_matches_dlc": payload_lengths(table["payload"]) == expected,
            "label": table["label"].to_numpy(),
        }
    )


def _plausible(timestamp: np.ndarray, spread: float = MAX_TIMESTAMP_SPREAD) -> np.ndarray:
    """Not negative, before 2100, and within ``spread`` of the batch's median (NaN: elsewhere)."""
    finite = np.isfinite(timestamp)
    if not finite.any():
        return np.ones(len(timestamp), dtype=bool)
    median = np.median(timestamp[finite])
    with np.errstate(invalid="ignore"):
        ok = (timestamp >= 0) & (timestamp < LATEST_TIMESTAMP)
        ok &= np.abs(timestamp - median) <= spread
    return ok | ~finite


def _flow_checks_input(table: pa.Table) -> pd.DataFrame:
    features = [n for n in table.column_names if n.startswith(FEATURE_PREFIX)]
    finite = np.ones(table.num_rows, dtype=bool)
    for name in features:
        finite &= np.isfinite(table[name].to_numpy())
    return pd.DataFrame(
        {
            "parseable": pc.is_null(table["parse_error"]).to_numpy(zero_copy_only=False),
            "timestamp": table["timestamp"].to_numpy(),
            # No spread rule: a flow dataset may join sessions weeks apart (UNSW-NB15 has two).
            "timestamp_plausible": _plausible(table["timestamp"].to_numpy(), np.inf),
            "src_port": table["src_port"].to_numpy(),
            "dst_port": table["dst_port"].to_numpy(),
            "label": table["label"].to_numpy(),
            "features_finite": finite,
        }
    )


def _reasons(raw: pa.Table, checks: pd.DataFrame, schema: pdr.DataFrameSchema) -> pd.Series:
    """Run the Pandera checks; return one reason per failing row (index = row)."""
    try:
        schema.validate(checks, lazy=True)
    except pdr.errors.SchemaErrors as err:
        cases = err.failure_cases
        if cases["index"].isna().any():  # a schema-level failure is a bug in a format, not bad data
            raise
        rows = cases["index"].astype(np.int64)
        described = cases.apply(_describe_failure, axis=1)
        reasons = described.groupby(rows).agg("; ".join).astype(object)
        # A row that could not be parsed fails other checks through its sentinels: say only why.
        unparsed = np.unique(rows[cases["column"] == "parseable"].to_numpy())
        reasons.loc[unparsed] = raw["parse_error"].take(pa.array(unparsed)).to_pylist()
        return reasons
    return pd.Series(dtype=object)


def _describe_failure(case: pd.Series) -> str:
    return f"{case['column']}: failed '{case['check']}' (value {case['failure_case']!r})"


def _constant(value: str, n: int) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(np.zeros(n, np.int32), pa.array([value]))


def _attack_types(typed: pa.ChunkedArray, label: np.ndarray, default: str) -> pa.DictionaryArray:
    """Per row: "benign" for label 0, else the format's attack type or the capture's."""
    if typed.null_count == len(typed):  # the usual case: one attack kind per capture
        return pa.DictionaryArray.from_arrays(label.astype(np.int32), pa.array(["benign", default]))
    named = pc.if_else(pa.array(label == 1), typed.fill_null(default), pa.scalar("benign"))
    return pc.dictionary_encode(named).combine_chunks()


def _split(
    raw: pa.Table, checks: pd.DataFrame, schema: pdr.DataFrameSchema, capture: str
) -> tuple[pa.Table, pa.Table]:
    """(rows that passed, quarantine table) of a raw batch."""
    reasons = _reasons(raw, checks, schema)
    if reasons.empty:  # the usual case: no copy
        return raw, QUARANTINE.empty_table()
    good = np.ones(raw.num_rows, dtype=bool)
    good[reasons.index.to_numpy(dtype=np.int64)] = False
    return raw.filter(pa.array(good)), _quarantine(raw, reasons, capture)


def validate_frames(raw: pa.Table, capture: str, split: str, attack_type: str) -> Validated:
    """Validate a raw frame batch and cast its clean rows to ``FRAME``."""
    good, bad = _split(raw, _frame_checks_input(raw), FRAME_CHECKS, capture)
    label = good["label"].to_numpy().astype(np.uint8)
    ids = good["arbitration_id"].to_numpy().astype(np.uint32)
    n = good.num_rows
    clean = pa.Table.from_arrays(
        [
            good["timestamp"],
            pa.array(ids),
            pa.array(ids > MAX_STANDARD_ID),
            pa.array(good["dlc"].to_numpy().astype(np.uint8)),
            good["payload"],
            pa.array(label),
            _attack_types(good["attack_type"], label, attack_type),
            _constant(capture, n),
            _constant(split, n),
            good["source_row"],
        ],
        schema=FRAME,
    )
    return Validated(clean, bad)


def validate_flows(raw: pa.Table, capture: str, split: str, attack_type: str) -> Validated:
    """Validate a raw flow batch; clean rows keep their feature columns."""
    good, bad = _split(raw, _flow_checks_input(raw), FLOW_CHECKS, capture)
    good = good.drop_columns(["parse_error"])
    n = good.num_rows
    attack = _attack_types(good["attack_type"], good["label"].to_numpy(), attack_type)
    good = good.set_column(good.schema.get_field_index("attack_type"), "attack_type", attack)
    good = good.append_column("capture", _constant(capture, n))
    good = good.append_column("split", _constant(split, n))
    return Validated(good, bad)


QUARANTINE = pa.schema(
    [
        ("capture", pa.string()),
        ("source_row", pa.int64()),
        ("reason", pa.string()),
        ("record", pa.string()),  # the row's parsed fields, for a human to read
    ]
)


def _quarantine(raw: pa.Table, reasons: pd.Series, capture: str) -> pa.Table:
    if reasons.empty:
        return QUARANTINE.empty_table()
    rows = reasons.index.to_numpy(dtype=np.int64)
    picked = raw.take(pa.array(rows)).drop_columns(["parse_error"]).to_pylist()
    return pa.Table.from_pydict(
        {
            "capture": [capture] * len(rows),
            "source_row": raw["source_row"].take(pa.array(rows)),
            "reason": reasons.to_list(),
            "record": [_describe_record(r) for r in picked],
        },
        schema=QUARANTINE,
    )


def _describe_record(record: dict[str, object]) -> str:
    parts = []
    for key, value in record.items():
        if key == "source_row":
            continue
        shown = value.hex().upper() if isinstance(value, bytes) else value
        parts.append(f"{key}={shown}")
    return ", ".join(parts)
