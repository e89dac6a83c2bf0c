"""CAN-MIRGU: candump -L lines with a trailing 0/1 label field.

::

    (1698235129.288636) can0 559#00000C0000000000 1

The label is the line's last field: ``1`` an attack frame, ``0`` benign. A line whose last
field is neither (missing, ``2``, ``x``) is quarantined with its text, as a malformed candump
line is; the rest of the line is read by the candump reader, with the same checks.

The attack type is left to the capture's file name (``Real_attacks/Brake_warning_attack.log``
-> ``Brake_warning_attack``). ``Attacks_metadata.json`` is not read: it is not strict JSON
(trailing commas), some of its entries do not match the file names, and its
``attack_technique`` values describe how an attack was injected ("injecting every 0.02s")
rather than which attack it is, while the trailing label already marks every attack frame.

Sources (read 2026-12): https://github.com/sampathrajapaksha/CAN-MIRGU (the dataset's
repository, linked from its README: Benign/ and Attack/{Masquerade,Suspension,Real}_attacks/,
Attacks_metadata.json); public loaders found by code search that split each line into
time, interface, id, data and a trailing label field, and that repair the metadata's
trailing commas and name mismatches before using it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kdgat.data.formats._common import read_lines, require_nonempty, unparsed_rows
from kdgat.data.formats.vehicle_logs import candump_batch, check_candump

LABEL_HELP = "CAN-MIRGU line without a trailing 0/1 label '(timestamp) interface id#data 0|1':"


def read(path: Path, batch_rows: int) -> Iterator[pa.Table]:
    """Yield ``RAW_FRAME`` batches of a CAN-MIRGU log, labelled by each line's last field."""
    require_nonempty(path)
    check_candump(path)
    for first_line, lines in read_lines(path, batch_rows):
        table = _batch(lines, first_line)
        if table.num_rows:
            yield table


def _batch(lines: list[str], first_line: int) -> pa.Table:
    frames: list[str] = []  # the lines without their label, blank where the label is bad
    labels = np.full(len(lines), -1, dtype=np.int64)
    bad: list[int] = []
    for i, line in enumerate(lines):
        head, _, last = line.rstrip().rpartition(" ")
        if not line.strip():
            frames.append("")  # a blank line: the candump reader skips it as well
        elif last in ("0", "1") and head.strip():
            frames.append(head)
            labels[i] = int(last)
        else:
            frames.append("")
            bad.append(i)
    table = candump_batch(frames, first_line)
    row = table["source_row"].to_numpy() - first_line
    frame = pc.is_null(table["parse_error"]).to_numpy(zero_copy_only=False)
    label = np.where(frame, labels[row], table["label"].to_numpy())
    table = table.set_column(table.schema.get_field_index("label"), "label", pa.array(label))
    if not bad:
        return table
    texts = [f"{LABEL_HELP} {lines[i]!r}" for i in bad]
    rows = first_line + np.array(bad, dtype=np.int64)
    return pa.concat_tables([table, unparsed_rows(rows, pa.array(texts, pa.string()))]).sort_by(
        "source_row"
    )
