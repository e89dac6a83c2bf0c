"""A deliberately simple per-window reference for CAN window graphs.

Follows the module docstring of ``kdgat.graphs.can`` literally, one window,
one node, one edge at a time, with plain Python loops and float64 maths. It is
slow and meant only to check the fast engine (``build_can_graphs``) in tests.
"""

from __future__ import annotations

import math

import numpy as np

from kdgat.graphs.arrays import CanFrames, GraphArrays

NODE_FEATURE_NAMES = [
    *(f"byte_mean_{i}" for i in range(8)),
    *(f"byte_std_{i}" for i in range(8)),
    *(f"byte_min_{i}" for i in range(8)),
    *(f"byte_max_{i}" for i in range(8)),
    "count",
    "entropy",
    "iat_mean",
    "iat_std",
    "first_pos",
    "last_pos",
    "in_degree",
    "out_degree",
]
EDGE_FEATURE_NAMES = [
    "count",
    "frequency",
    "gap_mean",
    "gap_std",
    "dt_mean",
    "reverse",
    "payload_delta",
]


def mean(values: list[float]) -> float:
    """Arithmetic mean (0 for an empty list)."""
    if not values:
        return 0.0
    return math.fsum(values) / len(values)


def pstd(values: list[float]) -> float:
    """Population standard deviation, ddof=0 (0 for an empty list)."""
    if not values:
        return 0.0
    m = mean(values)
    return math.sqrt(math.fsum((v - m) ** 2 for v in values) / len(values))


def diffs(values: list[float]) -> list[float]:
    """Differences between successive values."""
    return [values[k + 1] - values[k] for k in range(len(values) - 1)]


def shannon_entropy(data: list[int]) -> float:
    """Shannon entropy in bits of the byte values in ``data`` (0 for one byte or none)."""
    if len(data) <= 1:
        return 0.0
    counts: dict[int, int] = {}
    for b in data:
        counts[b] = counts.get(b, 0) + 1
    n = len(data)
    return -math.fsum((c / n) * math.log2(c / n) for c in counts.values())


def _window_graph(frames: CanFrames, s: int, window: int, min_attack_frames: int) -> dict:
    """Nodes, edges and labels of the window ``[s, s + window)``."""
    positions = list(range(window))  # window-local positions
    ids = [int(frames.arbitration_id[s + p]) for p in positions]
    times = [float(frames.timestamp[s + p]) for p in positions]
    payloads = [[int(b) for b in frames.payload[s + p]] for p in positions]
    dlcs = [int(frames.dlc_bytes[s + p]) for p in positions]
    labels = [int(frames.label[s + p]) for p in positions]
    codes = [int(frames.attack_code[s + p]) for p in positions]
    vocab = [int(frames.id_index[s + p]) for p in positions]

    # Nodes: one per distinct raw id, ordered by raw id.
    node_ids = sorted(set(ids))
    local = {raw: k for k, raw in enumerate(node_ids)}

    # Edges: one per distinct transition id_p -> id_{p+1}, with occurrence positions p.
    occurrences: dict[tuple[int, int], list[int]] = {}
    for p in range(window - 1):
        key = (local[ids[p]], local[ids[p + 1]])
        occurrences.setdefault(key, []).append(p)
    edges = sorted(occurrences)
    edge_set = set(edges)

    in_degree = {k: 0 for k in range(len(node_ids))}
    out_degree = {k: 0 for k in range(len(node_ids))}
    for src, dst in edges:
        out_degree[src] += 1
        in_degree[dst] += 1

    node_rows = []
    node_vocab = []
    node_attack = []
    for k, raw in enumerate(node_ids):
        mine = [p for p in positions if ids[p] == raw]
        row: list[float] = []
        for i in range(8):
            row.append(mean([float(payloads[p][i]) for p in mine]))
        for i in range(8):
            row.append(pstd([float(payloads[p][i]) for p in mine]))
        for i in range(8):
            row.append(float(min(payloads[p][i] for p in mine)))
        for i in range(8):
            row.append(float(max(payloads[p][i] for p in mine)))
        row.append(float(len(mine)))
        row.append(mean([shannon_entropy(payloads[p][: dlcs[p]]) for p in mine]))
        iats = diffs([times[p] for p in mine])
        row.append(mean(iats) if len(mine) > 1 else 0.0)
        row.append(pstd(iats) if len(mine) > 2 else 0.0)
        row.append(float(mine[0]))
        row.append(float(mine[-1]))
        row.append(float(in_degree[k]))
        row.append(float(out_degree[k]))
        assert len(row) == len(NODE_FEATURE_NAMES)
        node_rows.append(row)
        node_vocab.append(vocab[mine[0]])
        node_attack.append(1 if any(labels[p] == 1 for p in mine) else 0)

    edge_rows = []
    for src, dst in edges:
        occ = occurrences[(src, dst)]
        gaps = diffs([float(p) for p in occ])
        deltas = [
            math.fsum(abs(payloads[p + 1][i] - payloads[p][i]) for i in range(8)) / 8.0 for p in occ
        ]
        row = [
            float(len(occ)),
            len(occ) / (window - 1),
            mean(gaps) if len(occ) > 1 else 0.0,
            pstd(gaps) if len(occ) > 2 else 0.0,
            mean([times[p + 1] - times[p] for p in occ]),
            1.0 if (src == dst or (dst, src) in edge_set) else 0.0,
            mean(deltas),
        ]
        assert len(row) == len(EDGE_FEATURE_NAMES)
        edge_rows.append(row)

    attack_codes = [codes[p] for p in positions if labels[p] == 1]
    y = 1 if len(attack_codes) >= min_attack_frames else 0
    code = 0
    if y == 1:
        tally: dict[int, int] = {}
        for c in attack_codes:
            tally[c] = tally.get(c, 0) + 1
        best = max(tally.values())
        code = min(c for c, n in tally.items() if n == best)

    return {
        "x": node_rows,
        "node_id": node_vocab,
        "node_y": node_attack,
        "edges": edges,
        "edge_attr": edge_rows,
        "y": y,
        "attack_code": code,
        "t_start": times[0],
        "t_end": times[-1],
    }


def reference_can_graphs(
    frames: CanFrames, window: int, stride: int, min_attack_frames: int = 1
) -> GraphArrays:
    """All full windows ``[s, s + window)``, ``s = 0, stride, ...``, of one capture (capture 0)."""
    n = len(frames)
    starts = []
    s = 0
    while s + window <= n:
        starts.append(s)
        s += stride

    x: list[list[float]] = []
    node_id: list[int] = []
    node_y: list[int] = []
    sources: list[int] = []
    targets: list[int] = []
    edge_attr: list[list[float]] = []
    y: list[int] = []
    attack_code: list[int] = []
    node_ptr = [0]
    edge_ptr = [0]
    t_start: list[float] = []
    t_end: list[float] = []
    for s in starts:
        g = _window_graph(frames, s, window, min_attack_frames)
        x.extend(g["x"])
        node_id.extend(g["node_id"])
        node_y.extend(g["node_y"])
        for src, dst in g["edges"]:
            sources.append(src)
            targets.append(dst)
        edge_attr.extend(g["edge_attr"])
        y.append(g["y"])
        attack_code.append(g["attack_code"])
        node_ptr.append(node_ptr[-1] + len(g["x"]))
        edge_ptr.append(edge_ptr[-1] + len(g["edges"]))
        t_start.append(g["t_start"])
        t_end.append(g["t_end"])

    return GraphArrays(
        x=np.array(x, dtype=np.float64).reshape(-1, len(NODE_FEATURE_NAMES)).astype(np.float32),
        node_id=np.array(node_id, dtype=np.int64),
        node_y=np.array(node_y, dtype=np.uint8),
        edge_index=np.array([sources, targets], dtype=np.int64).reshape(2, -1),
        edge_attr=np.array(edge_attr, dtype=np.float64)
        .reshape(-1, len(EDGE_FEATURE_NAMES))
        .astype(np.float32),
        y=np.array(y, dtype=np.uint8),
        attack_code=np.array(attack_code, dtype=np.int32),
        node_ptr=np.array(node_ptr, dtype=np.int64),
        edge_ptr=np.array(edge_ptr, dtype=np.int64),
        capture=np.zeros(len(starts), dtype=np.int32),
        start=np.array(starts, dtype=np.int64),
        t_start=np.array(t_start, dtype=np.float64),
        t_end=np.array(t_end, dtype=np.float64),
    )
