"""The on-disk graph store: one folder per split, one ``.npy`` file per array.

Layout of a store folder::

    meta.json        the builder's meta plus format_version, num_graphs, num_nodes,
                     num_edges, node_feature_dim, edge_feature_dim
    x.npy, node_id.npy, ..., t_end.npy   every ``GraphArrays`` field

Opening memory-maps every array (``np.load(mmap_mode="r")``), so it costs the
same for ten graphs or ten million: nothing is read until a graph is sliced,
and the operating system's page cache is shared by every process reading it.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from kdgat.errors import KdgatError
from kdgat.graphs.arrays import GraphArrays
from kdgat.io import replace_dir, write_json

if TYPE_CHECKING:  # torch and PyG only to hand out graphs: the graphs stage writes without them
    import torch
    from torch_geometric.data import Data

FORMAT_VERSION = 1
META_FILE = "meta.json"
FIELDS = tuple(field.name for field in fields(GraphArrays))

# Arrays are cast to these on write, so a reader can rely on them (and a wrong
# dtype on read means the folder was not written by ``write_store``).
DTYPES: dict[str, np.dtype[Any]] = {
    "x": np.dtype(np.float32),
    "node_id": np.dtype(np.int64),
    "node_y": np.dtype(np.uint8),
    "edge_index": np.dtype(np.int64),
    "edge_attr": np.dtype(np.float32),
    "y": np.dtype(np.uint8),
    "attack_code": np.dtype(np.int32),
    "node_ptr": np.dtype(np.int64),
    "edge_ptr": np.dtype(np.int64),
    "capture": np.dtype(np.int32),
    "start": np.dtype(np.int64),
    "t_start": np.dtype(np.float64),
    "t_end": np.dtype(np.float64),
}
NDIMS = {"x": 2, "edge_index": 2, "edge_attr": 2}  # every other array is 1-D
PER_NODE = ("x", "node_id", "node_y")
PER_EDGE = ("edge_attr",)  # edge_index counts edges along axis 1, checked apart
PER_GRAPH = ("y", "attack_code", "capture", "start", "t_start", "t_end")


class StoreError(KdgatError):
    """A graph store folder is missing, incomplete or corrupt."""

    def __init__(self, path: Path | str, problem: str, fix: str | None = None) -> None:
        self.path = Path(path)
        fix = fix or f"rebuild it (`dvc repro graphs@<dataset>`, or delete {path} and rerun)"
        super().__init__(f"{path}: {problem}. Fix: {fix}")


class StoreMismatchError(StoreError):
    """A graph store was built with other settings than the ones asked for."""

    def __init__(self, path: Path | str, diffs: dict[str, tuple[Any, Any]], dataset: str) -> None:
        self.diffs = diffs
        shown = "; ".join(
            f"{key}: stored {_show(stored)}, expected {_show(expected)}"
            for key, (stored, expected) in diffs.items()
        )
        super().__init__(
            path,
            f"graph store was built with other settings ({shown})",
            f"rebuild it with `dvc repro graphs@{dataset}` (or delete {path} and rerun)",
        )


def write_store(path: Path, graphs: GraphArrays, meta: dict[str, Any]) -> None:
    """Write ``graphs`` and ``meta`` as a store folder at ``path``, atomically.

    Args:
        path: The store folder; replaced as a whole, only once everything is written.
        graphs: The graphs to store; arrays are cast to the documented dtypes.
        meta: JSON-serialisable settings the graphs were built with (window, stride,
            feature names, vocabulary size, source hash...); compared on open.

    Raises:
        ValueError: If ``graphs`` is internally inconsistent (nothing is written).
    """
    arrays = {name: np.ascontiguousarray(getattr(graphs, name), DTYPES[name]) for name in FIELDS}
    problem = _inconsistency(arrays)
    if problem:
        raise ValueError(f"cannot write graph store {path}: {problem}")
    full_meta = {**meta, **_shape_meta(arrays)}
    with replace_dir(path, "graph_store") as tmp:
        for name, array in arrays.items():
            np.save(tmp / f"{name}.npy", array, allow_pickle=False)
        write_json(tmp / META_FILE, full_meta)


def _shape_meta(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """The meta keys ``write_store`` adds (checked again on open)."""
    return {
        "format_version": FORMAT_VERSION,
        "num_graphs": len(arrays["y"]),
        "num_nodes": len(arrays["x"]),
        "num_edges": arrays["edge_index"].shape[1],
        "node_feature_dim": arrays["x"].shape[1],
        "edge_feature_dim": arrays["edge_attr"].shape[1],
    }


def open_store(path: Path, expect: dict[str, Any] | None = None) -> GraphStore:
    """Open a store folder without reading its arrays (they are memory-mapped).

    Args:
        path: The store folder written by ``write_store``.
        expect: Meta values the caller's settings imply; any key whose stored value
            differs raises ``StoreMismatchError``. ``format_version`` is always checked.

    Returns:
        The opened store.

    Raises:
        StoreError: If the folder, ``meta.json`` or an array is missing or corrupt.
        StoreMismatchError: If the stored meta differs from ``expect``.
    """
    path = Path(path)
    if not path.is_dir():
        raise StoreError(path, "graph store not found (no such folder)")
    meta = _read_meta(path)
    _check_expected(path, meta, {"format_version": FORMAT_VERSION, **(expect or {})})
    arrays = {name: _load_array(path, name) for name in FIELDS}
    problem = _inconsistency(arrays) or _meta_disagreement(meta, arrays)
    if problem:
        raise StoreError(path, f"corrupt graph store: {problem}")
    return GraphStore(path, meta, GraphArrays(**arrays))


def _read_meta(path: Path) -> dict[str, Any]:
    """The parsed ``meta.json`` of a store folder."""
    file = path / META_FILE
    try:
        meta = json.loads(file.read_text())
    except FileNotFoundError:
        raise StoreError(path, f"incomplete graph store: {META_FILE} is missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(path, f"corrupt graph store: {META_FILE} is unreadable ({exc})") from None
    if not isinstance(meta, dict):
        raise StoreError(path, f"corrupt graph store: {META_FILE} is not a JSON object")
    return meta


def _check_expected(path: Path, meta: dict[str, Any], expect: dict[str, Any]) -> None:
    """Raise ``StoreMismatchError`` listing every expected key that differs."""
    missing = "<missing>"
    diffs = {
        key: (meta.get(key, missing), value)
        for key, value in expect.items()
        if key not in meta or meta[key] != _as_json(value)
    }
    if diffs:
        raise StoreMismatchError(path, diffs, str(meta.get("dataset", "<dataset>")))


def _as_json(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists...), to compare like with like."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return value  # not serialisable: compare as is (it will differ, and say so)


def _show(value: Any, limit: int = 160) -> str:
    """A one-line, bounded rendering of a meta value for an error message."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _load_array(path: Path, name: str) -> np.ndarray:
    """Memory-map one array of the store, turning numpy's errors into a ``StoreError``."""
    file = path / f"{name}.npy"
    try:
        array = np.load(file, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise StoreError(path, f"incomplete graph store: {file.name} is missing") from None
    except (OSError, ValueError, EOFError) as exc:
        raise StoreError(path, f"corrupt graph store: {file.name} is unreadable ({exc})") from None
    if array.dtype != DTYPES[name] or array.ndim != NDIMS.get(name, 1):
        raise StoreError(
            path,
            f"corrupt graph store: {file.name} is {array.dtype} with {array.ndim} dimensions, "
            f"expected {DTYPES[name]} with {NDIMS.get(name, 1)}",
        )
    return array


def _inconsistency(a: dict[str, np.ndarray]) -> str | None:
    """What is wrong with the arrays' shapes against the pointers (O(1) checks), or None."""
    for name, array in a.items():
        if array.ndim != NDIMS.get(name, 1):
            return f"{name} has {array.ndim} dimensions, expected {NDIMS.get(name, 1)}"
    graphs, node_ptr, edge_ptr = len(a["y"]), a["node_ptr"], a["edge_ptr"]
    for ptr_name in ("node_ptr", "edge_ptr"):
        ptr = a[ptr_name]
        if len(ptr) != graphs + 1 or ptr[0] != 0:
            return f"{ptr_name} must be [0, ...] of length num_graphs + 1 = {graphs + 1}"
    if a["edge_index"].shape[0] != 2:
        return f"edge_index has shape {a['edge_index'].shape}, expected (2, num_edges)"
    expected = {
        **{name: (node_ptr[-1], "node_ptr[-1]") for name in PER_NODE},
        **{name: (edge_ptr[-1], "edge_ptr[-1]") for name in PER_EDGE},
        **{name: (graphs, "len(y)") for name in PER_GRAPH},
    }
    for name, (length, source) in expected.items():
        if len(a[name]) != length:
            return f"{name} has {len(a[name])} rows but {source} = {length}"
    if a["edge_index"].shape[1] != edge_ptr[-1]:
        return f"edge_index has {a['edge_index'].shape[1]} edges but edge_ptr[-1] = {edge_ptr[-1]}"
    return None


def _meta_disagreement(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> str | None:
    """Which size recorded in the meta differs from the arrays, or None."""
    for key, actual in _shape_meta(arrays).items():
        if meta.get(key) != actual:
            return f"{META_FILE} says {key} = {meta.get(key)!r} but the arrays give {actual}"
    return None


def graph_data(graphs: GraphArrays, i: int) -> Data:
    """Graph ``i`` of ``graphs`` as a PyG ``Data`` (the loader's per-graph equivalent).

    Args:
        graphs: The graph set (in memory or memory-mapped).
        i: Graph index, ``0 <= i < graphs.num_graphs``.

    Returns:
        ``Data`` with x, edge_attr float32; edge_index, node_id, node_y long;
        y and attack_code long of shape [1]. Tensors own their memory.
    """
    import torch
    from torch_geometric.data import Data

    n0, n1 = int(graphs.node_ptr[i]), int(graphs.node_ptr[i + 1])
    e0, e1 = int(graphs.edge_ptr[i]), int(graphs.edge_ptr[i + 1])
    return Data(
        x=_owned(graphs.x[n0:n1], torch.float32),
        edge_index=_owned(graphs.edge_index[:, e0:e1], torch.long),
        edge_attr=_owned(graphs.edge_attr[e0:e1], torch.float32),
        y=torch.tensor([int(graphs.y[i])], dtype=torch.long),
        node_id=_owned(graphs.node_id[n0:n1], torch.long),
        node_y=_owned(graphs.node_y[n0:n1], torch.long),
        attack_code=torch.tensor([int(graphs.attack_code[i])], dtype=torch.long),
    )


def _owned(view: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    """A tensor copy of an array view (never sharing the read-only memory map)."""
    import torch

    return torch.tensor(view, dtype=dtype)


class GraphStore:
    """An opened store: memory-mapped ``GraphArrays`` plus their meta.

    Attributes:
        path: The store folder.
        meta: The parsed ``meta.json``.
        arrays: The graphs, every array a read-only ``np.memmap``.
    """

    def __init__(self, path: Path, meta: dict[str, Any], arrays: GraphArrays) -> None:
        self.path = path
        self.meta = meta
        self.arrays = arrays

    def __len__(self) -> int:
        return self.arrays.num_graphs

    def __repr__(self) -> str:
        return f"GraphStore({str(self.path)!r}, num_graphs={len(self)})"

    def get(self, i: int) -> Data:
        """Graph ``i`` (negative counts from the end) as a PyG ``Data``; see ``graph_data``."""
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"graph {i} out of range for {self.path} ({n} graphs)")
        return graph_data(self.arrays, i % n)
