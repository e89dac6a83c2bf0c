"""Network-flow window graphs, built for all windows of a capture at once.

Records: one row per flow of an ingested flow table (``FLOW_FIXED`` columns,
then float64 ``f_*`` features), in time order (ties: ``source_row``, as ingest
sorts them), see ``flow_records``. Endpoints are identified by
``endpoint_keys``: an IPv4 address is its 32-bit integer, any other address
(IPv6, a host name) a stable 63-bit hash at or above 2**32.

Windows: consecutive, non-overlapping time windows. Flow ``i`` falls in window
``k = floor((t_i - t_0) / window_seconds)``, ``t_0`` being the capture's first
timestamp, i.e. in ``[t_0 + k*w, t_0 + (k+1)*w)``. A window without flows
yields no graph; every other window does, however few flows it has. Windows
never span two captures.

Graph of a window: one node per distinct endpoint (source or destination) of
the window's flows, nodes ordered by endpoint key; one directed edge
``src -> dst`` per flow (parallel edges and self-loops kept), edges in time
order (ties: record order).

Node features ``NODE_FEATURES`` (over the window's flows; the flows *of* a
node are those it sends or receives, a self-flow counted once; std is the
population std, ddof=0):
  0  out_flows     number of flows the endpoint sends
  1  in_flows      number of flows it receives
  2  out_peers     distinct endpoints it sends to (itself included, for a self-flow)
  3  in_peers      distinct endpoints it receives from
  4  out_share     out_flows / number of flows in the window
  5  in_share      in_flows / number of flows in the window
  6  first_offset  time of its first flow minus that of the window's first flow (s)
  7  active_span   time from its first to its last flow (s)
  8  iat_mean      mean time between its consecutive flows (s; 0 if 1 flow)
  9  iat_std       std of those times (s; 0 if <= 2 flows)
The vocabulary index of the endpoint is ``node_id`` (for an embedding), not a
feature. Flow statistics differ between datasets, so they stay on the edges
and the node features are the same for every flow dataset. Columns by name:
``x[:, NODE.iat_mean]``.

Edge features: the flow's ``f_*`` columns, as float32, in table order
(``edge_feature_names``).

Labels: ``y = 1`` when the window holds at least ``min_attack_flows`` attack
flows; ``node_y = 1`` when the endpoint sent or received an attack flow in the
window; ``attack_code`` is the most frequent attack code among the window's
attack flows (ties: the smallest code), 0 when ``y == 0``.

Bookkeeping: ``capture`` is 0 (the caller sets it), ``start`` is the position
of the window's first flow in the records, ``t_start`` / ``t_end`` are the
timestamps of its first and last flow.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kdgat.data.schema import FEATURE_PREFIX
from kdgat.errors import KdgatError
from kdgat.graphs.arrays import GraphArrays
from kdgat.graphs.features import slots

NODE_FEATURES = [
    "out_flows",
    "in_flows",
    "out_peers",
    "in_peers",
    "out_share",
    "in_share",
    "first_offset",
    "active_span",
    "iat_mean",
    "iat_std",
]


@dataclass(frozen=True)
class NodeSlots:
    """Column of each node feature in ``x`` (see ``kdgat.graphs.features``)."""

    out_flows: int
    in_flows: int
    out_peers: int
    in_peers: int
    out_share: int
    in_share: int
    first_offset: int
    active_span: int
    iat_mean: int
    iat_std: int


NODE = NodeSlots(**slots(NODE_FEATURES))

# IPv4 keys are 0 .. 2**32-1; hashed keys live in [2**32, 2**63) so the two never collide.
_IPV4_SPAN = 1 << 32
_HASH_SPAN = (1 << 63) - _IPV4_SPAN
_IPV4 = r"^(?P<a>\d{1,3})\.(?P<b>\d{1,3})\.(?P<c>\d{1,3})\.(?P<d>\d{1,3})$"


# --- endpoints ------------------------------------------------------------------------------


def endpoint_keys(addresses: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """An int64 key per endpoint address.

    A dotted-quad IPv4 address (octets 0..255) is its integer value; anything
    else is hashed (blake2b) into ``[2**32, 2**63)``, IPv6 addresses in their
    compressed form so that different spellings of one address agree. Each
    distinct address is converted once, through dictionary encoding.

    Args:
        addresses: Address text, plain or dictionary-encoded, chunked or not.

    Returns:
        int64 [N] keys.

    Raises:
        KdgatError: An address is null.
    """
    indices, values = _dictionary(addresses, "endpoint address")
    return _address_keys(values)[indices]


def _dictionary(column: pa.Array | pa.ChunkedArray, what: str) -> tuple[np.ndarray, pa.Array]:
    """(int64 [N] index of each value into the distinct values, the distinct values)."""
    chunked = column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column])
    if chunked.null_count:
        raise KdgatError(f"{chunked.null_count} {what} value(s) are null; ingest drops such rows")
    if pa.types.is_dictionary(chunked.type):
        chunked = chunked.unify_dictionaries()
    else:
        # Encoding a chunked array shares one dictionary across its chunks.
        chunked = pc.dictionary_encode(chunked)
    if chunked.num_chunks == 0:
        return np.zeros(0, np.int64), pa.array([], pa.string())
    indices = [c.indices.to_numpy(zero_copy_only=False) for c in chunked.chunks]
    return np.concatenate(indices).astype(np.int64), chunked.chunk(0).dictionary


def _address_keys(values: pa.Array) -> np.ndarray:
    """Key of each distinct address: IPv4 parsed in bulk, the rest hashed one by one."""
    values = values.cast(pa.string())
    parts = pc.extract_regex(values, _IPV4)
    matched = parts.is_valid().to_numpy(zero_copy_only=False)
    keys = np.zeros(len(values), np.int64)
    octets_ok = matched.copy()
    for i in range(4):
        text = pc.if_else(pa.array(matched), parts.field(i), "0")
        octet = pc.cast(text, pa.int64()).to_numpy(zero_copy_only=False)
        octets_ok &= octet <= 255
        keys = (keys << 8) | octet
    others = np.flatnonzero(~octets_ok)
    keys[others] = [_hash_key(v) for v in values.take(pa.array(others)).to_pylist()]
    return keys


def _hash_key(address: str) -> int:
    """Stable (unlike ``hash``) 63-bit key of a non-IPv4 address, above the IPv4 range."""
    with contextlib.suppress(ValueError):  # a host name or other text is hashed as it is
        address = ipaddress.IPv6Address(address).compressed
    digest = hashlib.blake2b(address.encode("utf-8"), digest_size=8).digest()
    return _IPV4_SPAN + int.from_bytes(digest, "big") % _HASH_SPAN


# --- records --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowRecords:
    """One capture's flows, time-ordered, as the flow graph builder takes them.

    Attributes:
        timestamp: float64 [N], seconds, non-decreasing.
        src: int64 [N], endpoint key of the source (``endpoint_keys``).
        dst: int64 [N], endpoint key of the destination.
        src_index: int64 [N], vocabulary index of the source (0 = unknown).
        dst_index: int64 [N], vocabulary index of the destination (0 = unknown).
        features: float32 [N, Ff], the flow's ``f_*`` statistics.
        label: uint8 [N], 1 = attack flow.
        attack_code: int32 [N], index into the dataset's attack-type names (0 = benign).
    """

    timestamp: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    src_index: np.ndarray
    dst_index: np.ndarray
    features: np.ndarray
    label: np.ndarray
    attack_code: np.ndarray

    def __len__(self) -> int:
        return len(self.timestamp)


def edge_feature_names(table: pa.Table) -> list[str]:
    """The flow feature columns (``f_*``) of an ingested flow table, in table order."""
    return [name for name in table.column_names if name.startswith(FEATURE_PREFIX)]


def flow_records(
    table: pa.Table,
    encode: Callable[[np.ndarray], np.ndarray],
    attack_codes: dict[str, int],
) -> FlowRecords:
    """A capture's flows from its ingested flow table.

    Args:
        table: Ingested flows (``FLOW_FIXED`` columns and ``f_*`` features); rows
            out of time order are sorted by (timestamp, source_row).
        encode: Maps int64 endpoint keys to vocabulary indices (0 = unknown).
        attack_codes: Attack-type name -> code ("benign" -> 0 included).

    Returns:
        The records, in time order.

    Raises:
        KdgatError: An attack type of the table is not in ``attack_codes``, or an
            address is null.
    """
    table = _time_ordered(table)
    n = table.num_rows
    # Sources and destinations share addresses: key them in one pass.
    both = pa.chunked_array(table["src"].chunks + table["dst"].chunks, table["src"].type)
    keys = endpoint_keys(both)
    indices = np.asarray(encode(keys), dtype=np.int64)
    return FlowRecords(
        timestamp=table["timestamp"].to_numpy().astype(np.float64),
        src=keys[:n],
        dst=keys[n:],
        src_index=indices[:n],
        dst_index=indices[n:],
        features=_feature_matrix(table),
        label=table["label"].to_numpy().astype(np.uint8),
        attack_code=_attack_codes(table["attack_type"], attack_codes),
    )


def _time_ordered(table: pa.Table) -> pa.Table:
    """The table itself when sorted (ingest sorts on disk), else a sorted copy."""
    t = table["timestamp"].to_numpy()
    if np.all(t[1:] >= t[:-1]):
        return table
    if "source_row" in table.column_names:
        order = np.lexsort((table["source_row"].to_numpy(), t))
    else:
        order = np.argsort(t, kind="stable")
    return table.take(pa.array(order))


def _feature_matrix(table: pa.Table) -> np.ndarray:
    """float32 [N, Ff], filled column by column to avoid a float64 copy of the whole matrix."""
    names = edge_feature_names(table)
    out = np.empty((table.num_rows, len(names)), np.float32)
    for j, name in enumerate(names):
        out[:, j] = table[name].to_numpy()
    return out


def _attack_codes(column: pa.ChunkedArray, attack_codes: dict[str, int]) -> np.ndarray:
    """int32 code of every row's attack type; unknown names are an error, not benign."""
    indices, names = _dictionary(column, "attack_type")
    # A dictionary may list names no row uses (e.g. a capture's attack kind, no attacks).
    used = np.unique(indices)
    used_names = names.take(pa.array(used)).to_pylist()
    missing = sorted({name for name in used_names if name not in attack_codes})
    if missing:
        raise KdgatError(
            f"attack type(s) {missing} not among the dataset's attack types "
            f"{sorted(attack_codes)}. Fix: add them to the dataset's attack types"
        )
    lookup = np.zeros(len(names), np.int32)
    lookup[used] = [attack_codes[name] for name in used_names]
    return lookup[indices]


# --- graphs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Nodes:
    """Every node of every window, numbered in (window, endpoint key) order."""

    graph: np.ndarray  # [M] window of each node
    ptr: np.ndarray  # [G + 1] node offsets
    src: np.ndarray  # [N] node of each flow's source
    dst: np.ndarray  # [N] node of each flow's destination

    @property
    def count(self) -> int:
        return len(self.graph)


def build_flow_graphs(
    records: FlowRecords, window_seconds: float, min_attack_flows: int = 1
) -> GraphArrays:
    """All window graphs of one capture (see the module docstring for the spec).

    Args:
        records: The capture's flows, time-ordered.
        window_seconds: Window length (s), > 0.
        min_attack_flows: Attack flows a window needs to be labelled an attack, >= 1.

    Returns:
        One graph per non-empty window, in time order.

    Raises:
        ValueError: Bad parameters or records out of time order.
    """
    _check(records, window_seconds, min_attack_flows)
    if len(records) == 0:
        return _empty(records.features.shape[1])
    flow_ptr = window_ptr(records.timestamp, window_seconds)
    flow_graph = np.repeat(np.arange(len(flow_ptr) - 1), np.diff(flow_ptr))
    nodes = _nodes(records.src, records.dst, flow_graph, len(flow_ptr) - 1)
    y, attack_code = _graph_labels(records, flow_graph, len(flow_ptr) - 1, min_attack_flows)
    edge_index = np.stack([nodes.src, nodes.dst]) - nodes.ptr[flow_graph]
    return GraphArrays(
        x=_node_features(records.timestamp, nodes, flow_ptr),
        node_id=_node_ids(records, nodes),
        node_y=_node_labels(records, nodes),
        edge_index=edge_index.astype(np.int64),
        edge_attr=records.features.astype(np.float32, copy=False),
        y=y,
        attack_code=attack_code,
        node_ptr=nodes.ptr,
        edge_ptr=flow_ptr,
        capture=np.zeros(len(y), np.int32),
        start=flow_ptr[:-1].copy(),
        t_start=records.timestamp[flow_ptr[:-1]],
        t_end=records.timestamp[flow_ptr[1:] - 1],
    )


def _check(records: FlowRecords, window_seconds: float, min_attack_flows: int) -> None:
    if not (np.isfinite(window_seconds) and window_seconds > 0):
        raise ValueError(f"window_seconds must be a positive number, got {window_seconds}")
    if min_attack_flows < 1:
        raise ValueError(f"min_attack_flows must be >= 1, got {min_attack_flows}")
    t = records.timestamp
    if not np.all(np.isfinite(t)) or np.any(t[1:] < t[:-1]):
        raise ValueError("flow timestamps must be finite and non-decreasing (see flow_records)")


def window_ptr(t: np.ndarray, window_seconds: float) -> np.ndarray:
    """Flow offsets of the non-empty windows ([G + 1])."""
    # Kept as float: a tiny window over a long capture would overflow int64.
    k = np.floor((t - t[0]) / window_seconds)
    breaks = np.flatnonzero(k[1:] != k[:-1]) + 1
    return np.concatenate([[0], breaks, [len(t)]]).astype(np.int64)


def _nodes(src: np.ndarray, dst: np.ndarray, flow_graph: np.ndarray, n_graphs: int) -> _Nodes:
    """Number the distinct (window, endpoint) pairs; dense keys keep the key order."""
    n = len(src)
    keys, dense = np.unique(np.concatenate([src, dst]), return_inverse=True)
    cell = np.tile(flow_graph, 2) * len(keys) + dense.ravel()
    cells, node = np.unique(cell, return_inverse=True)
    graph = cells // len(keys)
    ptr = np.searchsorted(graph, np.arange(n_graphs + 1)).astype(np.int64)
    node = node.ravel().astype(np.int64)
    return _Nodes(graph=graph, ptr=ptr, src=node[:n], dst=node[n:])


def _node_features(t: np.ndarray, nodes: _Nodes, flow_ptr: np.ndarray) -> np.ndarray:
    m = nodes.count
    x = np.zeros((m, len(NODE_FEATURES)), np.float32)
    x[:, NODE.out_flows] = np.bincount(nodes.src, minlength=m)
    x[:, NODE.in_flows] = np.bincount(nodes.dst, minlength=m)
    pairs = np.unique(nodes.src * m + nodes.dst)  # distinct (source, target) node pairs
    x[:, NODE.out_peers] = np.bincount(pairs // m, minlength=m)
    x[:, NODE.in_peers] = np.bincount(pairs % m, minlength=m)
    window_flows = np.diff(flow_ptr)[nodes.graph]
    x[:, NODE.out_share] = x[:, NODE.out_flows] / window_flows
    x[:, NODE.in_share] = x[:, NODE.in_flows] / window_flows
    (
        x[:, NODE.first_offset],
        x[:, NODE.active_span],
        x[:, NODE.iat_mean],
        x[:, NODE.iat_std],
    ) = _timing(t, nodes, t[flow_ptr[:-1]])
    return x


def _timing(
    t: np.ndarray, nodes: _Nodes, window_start: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """first_offset, active_span, iat_mean, iat_std ([M] each) of every node."""
    m = nodes.count
    others = np.flatnonzero(nodes.src != nodes.dst)  # a self-flow is one flow of its node
    flow = np.concatenate([np.arange(len(t)), others])
    node = np.concatenate([nodes.src, nodes.dst[others]])
    order = np.lexsort((flow, node))  # by node, then time (flows are in time order)
    node, times = node[order], t[flow[order]]
    count = np.bincount(node, minlength=m)  # every node has at least one flow
    last = np.cumsum(count) - 1
    first_t, last_t = times[last - count + 1], times[last]
    same = node[1:] == node[:-1]
    gaps, owner = np.diff(times)[same], node[1:][same]
    n_gaps = count - 1
    safe = np.maximum(n_gaps, 1)
    iat_mean = np.where(n_gaps > 0, (last_t - first_t) / safe, 0.0)
    spread = np.bincount(owner, weights=(gaps - iat_mean[owner]) ** 2, minlength=m)
    iat_std = np.sqrt(spread / safe)
    return first_t - window_start[nodes.graph], last_t - first_t, iat_mean, iat_std


def _node_ids(records: FlowRecords, nodes: _Nodes) -> np.ndarray:
    node_id = np.zeros(nodes.count, np.int64)
    node_id[nodes.src] = records.src_index
    node_id[nodes.dst] = records.dst_index
    return node_id


def _node_labels(records: FlowRecords, nodes: _Nodes) -> np.ndarray:
    attack = records.label != 0
    node_y = np.zeros(nodes.count, np.uint8)
    node_y[nodes.src[attack]] = 1
    node_y[nodes.dst[attack]] = 1
    return node_y


def _graph_labels(
    records: FlowRecords, flow_graph: np.ndarray, n_graphs: int, min_attack_flows: int
) -> tuple[np.ndarray, np.ndarray]:
    """(y, dominant attack code) per window."""
    attack = records.label != 0
    graph, code = flow_graph[attack], records.attack_code[attack].astype(np.int64)
    y = np.bincount(graph, minlength=n_graphs) >= min_attack_flows
    dominant = np.zeros(n_graphs, np.int32)
    if len(graph):
        kinds = int(code.max()) + 1
        cells, counts = np.unique(graph * kinds + code, return_counts=True)
        cell_graph, cell_code = cells // kinds, cells % kinds
        # Per window: highest count first, then the smallest code; keep the first row.
        order = np.lexsort((cell_code, -counts, cell_graph))
        head = np.ones(len(order), dtype=bool)
        head[1:] = cell_graph[order][1:] != cell_graph[order][:-1]
        dominant[cell_graph[order][head]] = cell_code[order][head]
    return y.astype(np.uint8), np.where(y, dominant, 0).astype(np.int32)


def _empty(n_edge_features: int) -> GraphArrays:
    return GraphArrays(
        x=np.zeros((0, len(NODE_FEATURES)), np.float32),
        node_id=np.zeros(0, np.int64),
        node_y=np.zeros(0, np.uint8),
        edge_index=np.zeros((2, 0), np.int64),
        edge_attr=np.zeros((0, n_edge_features), np.float32),
        y=np.zeros(0, np.uint8),
        attack_code=np.zeros(0, np.int32),
        node_ptr=np.zeros(1, np.int64),
        edge_ptr=np.zeros(1, np.int64),
        capture=np.zeros(0, np.int32),
        start=np.zeros(0, np.int64),
        t_start=np.zeros(0, np.float64),
        t_end=np.zeros(0, np.float64),
    )
