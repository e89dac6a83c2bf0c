"""UNSW-NB15 flow CSVs (``srcip,sport,dstip,dsport,proto,state,dur,...,attack_cat,label``).

The raw ``UNSW-NB15_[1-4].csv`` files ship without a header: prepend the
column names of ``NUSW-NB15_features.csv`` (matched case-insensitively). The
timestamp is ``stime`` (epoch seconds). Ports are decimal, hex (``0x000b``) or
``-`` (no port: -1). ``attack_cat`` (stripped, empty -> null) is the attack
type. Other numeric columns become ``f_*`` features; text ones (``state``,
``service``) are dropped. UNSW-NB15 leaves the count columns
(``ct_flw_http_mthd``, ``is_ftp_login``, ``ct_ftp_cmd``) blank when there was
nothing to count, so blank feature cells read as 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kdgat.data.formats._common import to_int
from kdgat.data.formats._flows import FlowSpec, floats, ports, read_flows, stripped


def parse_timestamps(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Epoch seconds; returns (values, bad mask)."""
    return floats(values)


def parse_labels(
    values: pa.Array, attack_cat: pa.Array | None
) -> tuple[np.ndarray, pa.Array, np.ndarray]:
    """``label`` 0/1 as an integer; ``attack_cat`` stripped, empty -> null."""
    s, empty = stripped(values)
    label, bad = to_int(pc.if_else(pa.array(empty), "-1", s))
    if attack_cat is None:
        return label, pa.nulls(len(values), pa.string()), bad | empty
    category, no_category = stripped(attack_cat)
    attack_type = pc.if_else(pa.array(no_category), pa.scalar(None, pa.string()), category)
    return label, attack_type, bad | empty


SPEC = FlowSpec(
    name="UNSW-NB15",
    columns={
        "timestamp": "stime",
        "src": "srcip",
        "src_port": "sport",
        "dst": "dstip",
        "dst_port": "dsport",
        "protocol": "proto",
        "label": "label",
        "attack_type": "attack_cat",
    },
    timestamp=parse_timestamps,
    port=ports,
    label=parse_labels,
    fix=(
        "UNSW-NB15_[1-4].csv ship without a header: prepend the 49 names from "
        "NUSW-NB15_features.csv (the training/testing-set CSVs have no addresses: not usable)"
    ),
    blank_feature=0.0,
)


def read(path: Path, batch_rows: int) -> Iterator[pa.Table]:
    """Yield raw flow batches of at most ``batch_rows`` rows."""
    return read_flows(path, batch_rows, SPEC)
