"""ROAD (ORNL Real Automotive Dynamometer): candump -L logs labelled by ``capture_metadata.json``.

The release keeps its captures in ``ambient/`` and ``attacks/``, each folder with a
``capture_metadata.json`` that maps a capture's file name (without ``.log``) to keys such as
``on_dyno``, ``elapsed_sec``, ``description``, ``modified`` (true for the simulated
masquerade versions) and, for attacks::

    "max_speedometer_attack_1": {"injection_id": "0xd0",
                                 "injection_data_str": "XXXXXXXXXXFFXXXX",
                                 "injection_interval": [42.009204, 66.449011], ...}

A frame is an attack when its time, in seconds since the capture's first frame (the first
well-formed frame line), lies in ``injection_interval`` (inclusive; half a microsecond of slack
for candump's microsecond clock), its id is ``injection_id`` (``"XXX"`` or absent: any id,
the fuzzing attacks) and its payload, as hex, matches ``injection_data_str``, in which an
``X`` is a wildcard nibble (so ``XX`` is a wildcard byte; absent: any payload). Frames of the
injected id outside the interval, or whose payload does not match, stay 0. The attack type of an
attack frame is the capture name without its instance number
(``max_speedometer_attack_1_masquerade`` -> ``max_speedometer_attack_masquerade``), so results
break down by attack and keep fabrication and masquerade apart.

Captures the literature leaves out: the ``accelerator_attack_*`` captures (an ECU exploit,
nothing injected, so no interval or payload to label frames by) are refused with an error
that says to exclude them (``exclude: ["accelerator_attack_*"]`` in the catalog entry); an
entry with injection keys but no interval is refused the same way. Masquerade versions
(``*_masquerade``, derived from the fabrication capture of the same attack by removing the
target id's legitimate frames) are read like every other capture; an attack and its
masquerade twin share almost every frame, so a catalog puts both in one split or excludes one.

A missing metadata file, or a capture without an entry in it, is an error naming the file:
labelling its frames 0 would pass an attack off as benign traffic.

Sources (read 2026-12): the Zenodo record https://zenodo.org/records/10462796 and the paper
(Verma et al., PLoS ONE 19(1): e0296879, https://doi.org/10.1371/journal.pone.0296879) for the
layout; https://github.com/jcourson8/can-time-based-ids-benchmark (``code/helper_functions.py``:
times minus the capture's first time, ``"XXX"`` for any id, ``injection_data_str`` with ``X``
wildcards; ``code/time-based-detector.py``: skips accelerator and masquerade captures) and
public ROAD labelling scripts found by code search (``injection_id[2:]`` of ``"0x..."``, the
``XX`` byte wildcard, ``accelerator_attack_`` skipped) for the key names and the rule.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kdgat.data.formats._common import read_lines, require_nonempty
from kdgat.data.formats.vehicle_logs import CANDUMP_LINE, candump_batch, check_candump
from kdgat.data.schema import MAX_EXTENDED_ID
from kdgat.errors import FormatError

METADATA = "capture_metadata.json"
INJECTION_KEYS = ("injection_interval", "injection_id", "injection_data_str")
EXCLUDE_GLOB = "accelerator_attack_*"
# candump prints microseconds: a bound written with six decimals must catch its own frame
# despite the rounding of (absolute time - first time).
SLACK = 0.5e-6
_FIRST_FRAME = re.compile(CANDUMP_LINE)


@dataclass(frozen=True)
class Injection:
    """What ``capture_metadata.json`` says was injected into one capture (None: nothing)."""

    interval: tuple[float, float] | None = None
    can_id: int | None = None  # None: any id
    pattern: re.Pattern[str] | None = None  # over the payload's upper-case hex; None: any
    attack_type: str | None = None

    def apply(self, table: pa.Table, first: float) -> pa.Table:
        """Label the frames of a ``RAW_FRAME`` batch (all label 0) by this injection."""
        if self.interval is None:
            return table
        frame = pc.is_null(table["parse_error"]).to_numpy(zero_copy_only=False)
        since = table["timestamp"].to_numpy() - first
        start, end = self.interval
        hit = frame & (since >= start - SLACK) & (since <= end + SLACK)
        if self.can_id is not None:
            hit &= table["arbitration_id"].to_numpy() == self.can_id
        if self.pattern is not None:  # few candidates are left: the injected id in the interval
            payload = table["payload"]
            for i in np.flatnonzero(hit):
                data = payload[int(i)].as_py() or b""
                hit[i] = self.pattern.fullmatch(data.hex().upper()) is not None
        label = np.where(hit, 1, table["label"].to_numpy())
        kind = pc.if_else(pa.array(hit), self.attack_type, pa.scalar(None, pa.string()))
        table = table.set_column(table.schema.get_field_index("label"), "label", pa.array(label))
        return table.set_column(table.schema.get_field_index("attack_type"), "attack_type", kind)


def read(path: Path, batch_rows: int) -> Iterator[pa.Table]:
    """Yield ``RAW_FRAME`` batches of a ROAD capture, labelled from its folder's metadata."""
    require_nonempty(path)
    check_candump(path)
    injection = load_injection(path)
    first = _first_timestamp(path)
    for first_line, lines in read_lines(path, batch_rows):
        table = candump_batch(lines, first_line)
        if table.num_rows:
            yield injection.apply(table, first)


def _first_timestamp(path: Path) -> float:
    """The time of the capture's first well-formed frame line: where ROAD's intervals start."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            match = _FIRST_FRAME.match(line.rstrip("\r\n"))
            if match:
                return float(match["timestamp"])
    return 0.0  # no frame at all: every line is quarantined, nothing to label


def capture_key(path: Path) -> str:
    """The metadata key of a capture: its file name without extension."""
    return path.name.split(".")[0]


def load_injection(path: Path) -> Injection:
    """The injection of capture ``path`` from ``capture_metadata.json`` beside it."""
    metadata = path.parent / METADATA
    key = capture_key(path)
    if not metadata.is_file():
        raise FormatError(
            path,
            f"no {METADATA} in its folder, so its attack frames cannot be labelled",
            f"keep the ROAD release's layout (ambient/ and attacks/ each hold a {METADATA}), "
            "or fetch the dataset again",
        )
    try:
        doc = json.loads(metadata.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise FormatError(
            metadata, f"not valid JSON ({err})", "restore it from the release"
        ) from None
    if not isinstance(doc, dict):
        raise FormatError(metadata, "must map capture names to entries", "restore it")
    if key not in doc:
        raise FormatError(
            metadata,
            f"has no entry {key!r} for the capture {path}",
            f"add the entry from the ROAD release, or exclude {path.name} in data/catalog.yaml",
        )
    return _injection(metadata, key, doc[key])


def _injection(metadata: Path, key: str, entry: object) -> Injection:
    where = f"entry {key!r}"
    if not isinstance(entry, dict):
        raise FormatError(metadata, f"{where} is {entry!r}, not a mapping", "restore it")
    if not any(entry.get(k) is not None for k in INJECTION_KEYS) and not key.startswith(
        "accelerator_attack"
    ):
        return Injection()  # an ambient capture: nothing injected
    interval = _interval(metadata, where, entry.get("injection_interval"))
    if interval is None:
        raise FormatError(
            metadata,
            f"{where} has no injection_interval, so its attack frames cannot be labelled "
            "(ROAD's accelerator attacks inject nothing)",
            f"exclude the capture: add {EXCLUDE_GLOB!r} (or {key + '.log'!r}) to the "
            "dataset's exclude in data/catalog.yaml",
        )
    return Injection(
        interval,
        _can_id(metadata, where, entry.get("injection_id")),
        _pattern(metadata, where, entry.get("injection_data_str")),
        re.sub(r"_\d+(?=(?:_masquerade)?$)", "", key),
    )


def _interval(metadata: Path, where: str, value: object) -> tuple[float, float] | None:
    if value is None:
        return None
    numbers = isinstance(value, list) and all(
        isinstance(t, int | float) and not isinstance(t, bool) and math.isfinite(t) for t in value
    )
    if not (numbers and isinstance(value, list) and len(value) == 2 and value[0] <= value[1]):
        raise FormatError(
            metadata,
            f"{where}: injection_interval is {value!r}",
            "give [start, end] in seconds since the capture's first frame, start <= end",
        )
    return float(value[0]), float(value[1])


def _can_id(metadata: Path, where: str, value: object) -> int | None:
    if value is None or (isinstance(value, str) and value.strip().upper() == "XXX"):
        return None  # fuzzing: every id
    parsed = -1
    if isinstance(value, int) and not isinstance(value, bool):
        parsed = value
    elif isinstance(value, str) and re.fullmatch(r"(?:0[xX])?[0-9A-Fa-f]{1,8}", value.strip()):
        parsed = int(value.strip(), 16)
    if not 0 <= parsed <= MAX_EXTENDED_ID:
        raise FormatError(
            metadata, f"{where}: injection_id is {value!r}", "give a hex id like '0x6e0', or 'XXX'"
        )
    return parsed


def _pattern(metadata: Path, where: str, value: object) -> re.Pattern[str] | None:
    if value is None:
        return None
    text = value.strip().upper() if isinstance(value, str) else ""
    if not (re.fullmatch(r"[0-9A-FX]{2,128}", text) and len(text) % 2 == 0):
        raise FormatError(
            metadata,
            f"{where}: injection_data_str is {value!r}",
            "give the payload as hex with X for a wildcard nibble, e.g. 'XXXXXXXXXXFFXXXX'",
        )
    return re.compile(text.replace("X", "[0-9A-F]"))
