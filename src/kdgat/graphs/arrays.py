"""Many graphs in one set of flat arrays (CSR layout), the currency of the graph stage.

Graph ``g`` owns nodes ``node_ptr[g]:node_ptr[g+1]`` and edges
``edge_ptr[g]:edge_ptr[g+1]``; ``edge_index`` holds node indices *local* to
their graph (0 .. nodes-1). Builders produce these, the store writes them as
memory-mapped ``.npy`` files, the loader slices PyG batches out of them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


@dataclass(frozen=True)
class CanFrames:
    """One capture's frames, time-ordered, as the CAN graph builder takes them.

    Attributes:
        timestamp: float64 [N], seconds.
        arbitration_id: int64 [N], the raw CAN id (node identity within a window).
        id_index: int64 [N], vocabulary index of the id (0 = unknown), see ``vocab``.
        payload: uint8 [N, 8], payload bytes zero-padded to 8 (CAN FD: the first 8).
        dlc_bytes: int64 [N], number of real payload bytes (0..8 after truncation).
        label: uint8 [N], 1 = attack frame.
        attack_code: int32 [N], index into the dataset's attack-type names (0 = benign).
    """

    timestamp: np.ndarray
    arbitration_id: np.ndarray
    id_index: np.ndarray
    payload: np.ndarray
    dlc_bytes: np.ndarray
    label: np.ndarray
    attack_code: np.ndarray

    def __len__(self) -> int:
        return len(self.timestamp)

    def slice(self, start: int, stop: int) -> CanFrames:
        """Frames ``start:stop`` (views, no copies)."""
        return CanFrames(**{f.name: getattr(self, f.name)[start:stop] for f in fields(self)})


@dataclass(frozen=True)
class GraphArrays:
    """A set of graphs (see the module docstring for the layout).

    Attributes:
        x: float32 [num_nodes, F] node features.
        node_id: int64 [num_nodes] vocabulary index of each node (0 = unknown).
        node_y: uint8 [num_nodes] 1 when the node took part in an attack.
        edge_index: int64 [2, num_edges] local node indices (source, target).
        edge_attr: float32 [num_edges, Fe] edge features.
        y: uint8 [G] graph label (1 = attack).
        attack_code: int32 [G] dominant attack type of the graph (0 = benign).
        node_ptr: int64 [G + 1] node offsets.
        edge_ptr: int64 [G + 1] edge offsets.
        capture: int32 [G] which capture the graph came from (index into a name list).
        start: int64 [G] position of the window's first frame (or flow) in its capture.
        t_start: float64 [G] timestamp of the window's first frame.
        t_end: float64 [G] timestamp of the window's last frame.
    """

    x: np.ndarray
    node_id: np.ndarray
    node_y: np.ndarray
    edge_index: np.ndarray
    edge_attr: np.ndarray
    y: np.ndarray
    attack_code: np.ndarray
    node_ptr: np.ndarray
    edge_ptr: np.ndarray
    capture: np.ndarray
    start: np.ndarray
    t_start: np.ndarray
    t_end: np.ndarray

    @property
    def num_graphs(self) -> int:
        """Number of graphs (one label each)."""
        return len(self.y)

    @staticmethod
    def empty(node_features: int, edge_features: int) -> GraphArrays:
        """No graphs, with the right shapes and dtypes."""
        return GraphArrays(
            x=np.zeros((0, node_features), np.float32),
            node_id=np.zeros(0, np.int64),
            node_y=np.zeros(0, np.uint8),
            edge_index=np.zeros((2, 0), np.int64),
            edge_attr=np.zeros((0, edge_features), np.float32),
            y=np.zeros(0, np.uint8),
            attack_code=np.zeros(0, np.int32),
            node_ptr=np.zeros(1, np.int64),
            edge_ptr=np.zeros(1, np.int64),
            capture=np.zeros(0, np.int32),
            start=np.zeros(0, np.int64),
            t_start=np.zeros(0, np.float64),
            t_end=np.zeros(0, np.float64),
        )

    def select(self, graphs: np.ndarray) -> GraphArrays:
        """The graphs with the given (sorted or not) indices, as a new set."""
        graphs = np.asarray(graphs, dtype=np.int64)
        nodes, node_ptr = _ranges(self.node_ptr, graphs)
        edges, edge_ptr = _ranges(self.edge_ptr, graphs)
        return GraphArrays(
            x=self.x[nodes],
            node_id=self.node_id[nodes],
            node_y=self.node_y[nodes],
            edge_index=self.edge_index[:, edges],
            edge_attr=self.edge_attr[edges],
            y=self.y[graphs],
            attack_code=self.attack_code[graphs],
            node_ptr=node_ptr,
            edge_ptr=edge_ptr,
            capture=self.capture[graphs],
            start=self.start[graphs],
            t_start=self.t_start[graphs],
            t_end=self.t_end[graphs],
        )


def _ranges(ptr: np.ndarray, graphs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Element indices of the given graphs' slices, and the new offsets."""
    lengths = ptr[graphs + 1] - ptr[graphs]
    new_ptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    within = np.arange(new_ptr[-1]) - np.repeat(new_ptr[:-1], lengths)
    return np.repeat(ptr[graphs], lengths) + within, new_ptr


def concat(parts: list[GraphArrays]) -> GraphArrays:
    """Concatenate graph sets (offsets are shifted; local edge indices need nothing)."""
    if len(parts) == 1:
        return parts[0]
    joined = {}
    for field in fields(GraphArrays):
        values = [getattr(p, field.name) for p in parts]
        if field.name in ("node_ptr", "edge_ptr"):
            shifts = np.cumsum([0] + [v[-1] for v in values[:-1]])
            joined[field.name] = np.concatenate(
                [values[0]] + [v[1:] + s for v, s in zip(values[1:], shifts[1:], strict=True)]
            )
        elif field.name == "edge_index":
            joined[field.name] = np.concatenate(values, axis=1)
        else:
            joined[field.name] = np.concatenate(values)
    return GraphArrays(**joined)
