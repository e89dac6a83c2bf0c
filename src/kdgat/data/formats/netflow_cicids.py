"""CICIDS2017 flow CSVs (CICFlowMeter output, the "TrafficLabelling" files).

The header has stray spaces (`` Source IP``); names are matched stripped and
case-insensitively. Timestamps are day-first, as CICFlowMeter writes them
(``dd/MM/yyyy hh:mm:ss a``) or as Excel re-saved them (``7/7/2017 3:30``, no
seconds and no AM/PM); ISO ``2017-07-07 15:30:15`` is accepted too. They carry
no time zone and are read as UTC. ``BENIGN`` is label 0, any other label is an
attack whose text becomes ``attack_type``. Every other numeric column becomes
an ``f_*`` feature; ``Infinity``/``NaN`` stay non-finite (validation
quarantines those rows).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kdgat.data.formats._flows import FlowSpec, ports, read_flows, stripped

TIME_FORMATS = (
    "%d/%m/%Y %I:%M:%S %p",
    "%d/%m/%Y %I:%M %p",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
)


def parse_timestamps(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """CICIDS date/time text -> seconds since the epoch (UTC); returns (values, bad mask)."""
    s, _ = stripped(values)
    parsed = [pc.strptime(s, format=f, unit="s", error_is_null=True) for f in TIME_FORMATS]
    when = pc.coalesce(*parsed)
    seconds = pc.cast(when, pa.int64())
    bad = pc.is_null(seconds).to_numpy(zero_copy_only=False) | _rolled_over(s, when)
    return pc.fill_null(seconds, 0).to_numpy(zero_copy_only=False).astype(np.float64), bad


def _rolled_over(text: pa.Array, when: pa.Array) -> np.ndarray:
    """Dates strptime took by rolling over (31/02/2017 -> 03/03/2017): the day differs."""
    day_first = pc.extract_regex(text, r"^(?P<day>\d{1,2})/\d{1,2}/\d{4}")
    year_first = pc.extract_regex(text, r"^\d{4}-\d{1,2}-(?P<day>\d{1,2})")
    written = pc.coalesce(pc.struct_field(day_first, "day"), pc.struct_field(year_first, "day"))
    differs = pc.not_equal(pc.cast(written, pa.int64()), pc.day(when))
    return pc.fill_null(differs, False).to_numpy(zero_copy_only=False)


def parse_labels(values: pa.Array, _: pa.Array | None) -> tuple[np.ndarray, pa.Array, np.ndarray]:
    """``BENIGN`` -> 0, any other non-empty label -> 1 with the label as attack type."""
    s, empty = stripped(values)
    benign = pc.equal(pc.utf8_upper(s), "BENIGN").to_numpy(zero_copy_only=False)
    label = np.where(empty, -1, np.where(benign, 0, 1))
    attack_type = pc.if_else(pa.array(label == 1), s, pa.scalar(None, pa.string()))
    return label, attack_type, empty


SPEC = FlowSpec(
    name="CICIDS2017",
    columns={
        "timestamp": "timestamp",
        "src": "source ip",
        "src_port": "source port",
        "dst": "destination ip",
        "dst_port": "destination port",
        "protocol": "protocol",
        "label": "label",
    },
    timestamp=parse_timestamps,
    port=ports,
    label=parse_labels,
    fix=(
        "use the CICIDS2017 'TrafficLabelling' (GeneratedLabelledFlows) CSVs; the "
        "'MachineLearningCVE' ones have no addresses or timestamps"
    ),
)


def read(path: Path, batch_rows: int) -> Iterator[pa.Table]:
    """Yield raw flow batches of at most ``batch_rows`` rows."""
    return read_flows(path, batch_rows, SPEC)
