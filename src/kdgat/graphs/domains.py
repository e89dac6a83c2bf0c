"""What differs between kinds of capture (CAN frames, network flows): one object each.

The graphs stage asks a capture's ``Domain`` how to cut a training capture
into windows (for the time-block train/validation split), which columns key
the vocabulary, how to build the capture's graphs, what the features are
called, and which window and stride to record. Adding a domain means adding
one object to ``DOMAINS`` (and its name to the catalog's allowed domains).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from kdgat.errors import KdgatError
from kdgat.graphs import can, flows
from kdgat.graphs.arrays import GraphArrays
from kdgat.graphs.frames import can_frames

Encode = Callable[[np.ndarray], np.ndarray]  # int64 keys -> vocabulary indices (0 = unknown)
NO_ROWS = np.zeros(0, np.int64)


@dataclass(frozen=True)
class WindowSpec:
    """How captures are cut into windows and when a window is an attack.

    Attributes:
        window: Frames per window (CAN).
        stride: Frames between window starts (CAN).
        window_seconds: Window length in seconds (flows; windows never overlap).
        min_attack_frames: Attack frames (or flows) that make a window an attack.
    """

    window: int
    stride: int
    window_seconds: float
    min_attack_frames: int


class Domain(Protocol):
    """One kind of capture, as the graphs stage builds it."""

    @property
    def name(self) -> str:
        """The name a manifest (and the catalog) records, e.g. ``"can"``."""
        ...

    @property
    def key_columns(self) -> tuple[str, ...]:
        """Columns whose values are the nodes, keyed by ``keys`` for the vocabulary."""
        ...

    def windows(self, file: Path, rows: int, spec: WindowSpec) -> tuple[np.ndarray, np.ndarray]:
        """[first row, end row) of every window of a capture (``rows`` rows, in ``file``)."""
        ...

    def keys(self, column: pa.ChunkedArray) -> np.ndarray:
        """int64 vocabulary key of every value of one of the ``key_columns``."""
        ...

    def graphs(
        self, table: pa.Table, encode: Encode, attack_codes: dict[str, int], spec: WindowSpec
    ) -> GraphArrays:
        """Every window graph of one ingested capture."""
        ...

    def features(self, captures: Sequence[Path]) -> tuple[list[str], list[str]]:
        """(node, edge) feature names of a dataset with these capture files."""
        ...

    def extent(self, spec: WindowSpec) -> tuple[float, float]:
        """(window, stride) as the store's meta records them."""
        ...


class _Can:
    """CAN frames: windows of ``window`` frames every ``stride`` (``kdgat.graphs.can``)."""

    name = "can"
    key_columns = ("arbitration_id",)

    def windows(self, file: Path, rows: int, spec: WindowSpec) -> tuple[np.ndarray, np.ndarray]:
        count = can.window_count(rows, spec.window, spec.stride)
        first = np.arange(count, dtype=np.int64) * spec.stride
        return first, first + spec.window

    def keys(self, column: pa.ChunkedArray) -> np.ndarray:
        return column.to_numpy().astype(np.int64)

    def graphs(
        self, table: pa.Table, encode: Encode, attack_codes: dict[str, int], spec: WindowSpec
    ) -> GraphArrays:
        frames = can_frames(table, encode(table["arbitration_id"].to_numpy()), attack_codes)
        return can.build_can_graphs(frames, spec.window, spec.stride, spec.min_attack_frames)

    def features(self, captures: Sequence[Path]) -> tuple[list[str], list[str]]:
        return can.NODE_FEATURES, can.EDGE_FEATURES

    def extent(self, spec: WindowSpec) -> tuple[float, float]:
        return spec.window, spec.stride


class _Netflow:
    """Network flows: consecutive ``window_seconds`` time windows (``kdgat.graphs.flows``)."""

    name = "netflow"
    key_columns = ("src", "dst")

    def windows(self, file: Path, rows: int, spec: WindowSpec) -> tuple[np.ndarray, np.ndarray]:
        if not rows:
            return NO_ROWS, NO_ROWS
        t = pq.read_table(file, columns=["timestamp"])["timestamp"].to_numpy()
        ptr = flows.window_ptr(t, spec.window_seconds)
        return ptr[:-1], ptr[1:]

    def keys(self, column: pa.ChunkedArray) -> np.ndarray:
        return flows.endpoint_keys(column)

    def graphs(
        self, table: pa.Table, encode: Encode, attack_codes: dict[str, int], spec: WindowSpec
    ) -> GraphArrays:
        records = flows.flow_records(table, encode, attack_codes)
        return flows.build_flow_graphs(records, spec.window_seconds, spec.min_attack_frames)

    def features(self, captures: Sequence[Path]) -> tuple[list[str], list[str]]:
        # Edge features are the dataset's own flow statistics: read them off a capture.
        schema = pq.read_schema(captures[0])
        return flows.NODE_FEATURES, flows.edge_feature_names(schema.empty_table())

    def extent(self, spec: WindowSpec) -> tuple[float, float]:
        return spec.window_seconds, spec.window_seconds


CAN: Domain = _Can()
NETFLOW: Domain = _Netflow()
DOMAINS: dict[str, Domain] = {domain.name: domain for domain in (CAN, NETFLOW)}


def get_domain(name: str, source: Path | str) -> Domain:
    """The domain called ``name``, as ``source`` (a manifest) records it.

    Raises:
        KdgatError: No domain has that name.
    """
    if name not in DOMAINS:
        raise KdgatError(
            f"{source}: unknown domain {name!r}; known domains: {', '.join(sorted(DOMAINS))}. "
            "Fix: set the dataset's domain in data/catalog.yaml and re-run ingest"
        )
    return DOMAINS[name]
