"""Mini-batches of PyG graphs sliced straight out of flat ``GraphArrays``.

PyG's ``DataLoader`` collates a Python list of ``Data`` objects, one
``torch.cat`` input per graph and field. Here a batch is a handful of
vectorised gathers over the CSR arrays (works the same on a memory-mapped
store), and the result equals ``Batch.from_data_list`` of the same graphs,
including ``batch``, ``ptr`` and what ``to_data_list()`` needs.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from torch_geometric.data import Batch

from kdgat.graphs.arrays import GraphArrays, _ranges
from kdgat.graphs.store import GraphStore

NODE_FIELDS = ("x", "node_id", "node_y")
GRAPH_FIELDS = ("y", "attack_code")
Selector = slice | np.ndarray | tuple[slice, slice | np.ndarray]
NUMPY_DTYPES = {"x": np.float32, "edge_attr": np.float32}  # every other field: int64


class GraphLoader:
    """Iterate over graphs in PyG ``Batch`` objects, optionally shuffled.

    Shuffling draws a permutation from ``numpy.random.default_rng(seed + epoch)``;
    ``epoch`` starts at 0 and advances by one each time an iteration starts, so
    consecutive epochs differ and a run is reproducible. ``set_epoch`` sets it.

    Args:
        graphs: The graph set, in memory or an opened store (memory-mapped).
        batch_size: Graphs per batch.
        shuffle: Permute the graph order every epoch.
        drop_last: Skip a last batch smaller than ``batch_size``.
        seed: Base seed of the shuffles.
        indices: Graph indices to iterate instead of all graphs (a subset, an order,
            repeats allowed); shuffling permutes them.

    Raises:
        ValueError: If ``batch_size`` < 1 or ``indices`` is not 1-D and in range.
    """

    def __init__(
        self,
        graphs: GraphArrays | GraphStore,
        batch_size: int,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int = 0,
        indices: np.ndarray | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.graphs = graphs.arrays if isinstance(graphs, GraphStore) else graphs
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self.indices = _checked_indices(indices, self.graphs.num_graphs)
        self.epoch = 0

    def __len__(self) -> int:
        n = self.num_samples
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    @property
    def num_samples(self) -> int:
        """Graphs visited per epoch (before ``drop_last``)."""
        return self.graphs.num_graphs if self.indices is None else len(self.indices)

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration use ``epoch``'s shuffle (e.g. when resuming a run)."""
        self.epoch = epoch

    def order(self, epoch: int) -> np.ndarray:
        """The graph indices of ``epoch``, in visiting order (before batching)."""
        base = np.arange(self.graphs.num_graphs) if self.indices is None else self.indices
        if not self.shuffle:
            return base
        return base[np.random.default_rng(self.seed + epoch).permutation(len(base))]

    def __iter__(self) -> Iterator[Batch]:
        # The epoch advances here, not at the end: an iteration cut short (e.g. a
        # capped number of training batches) must still give the next epoch a new order.
        order = self.order(self.epoch)
        self.epoch += 1
        return self._batches(order)

    def _batches(self, order: np.ndarray) -> Iterator[Batch]:
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            yield collate_arrays(self.graphs, order[start : start + self.batch_size])


def _checked_indices(indices: np.ndarray | None, num_graphs: int) -> np.ndarray | None:
    """``indices`` as an int64 copy, after checking it addresses existing graphs."""
    if indices is None:
        return None
    out = np.array(indices, dtype=np.int64)  # a copy: later edits by the caller do not leak in
    if out.ndim != 1:
        raise ValueError(f"indices must be 1-D, got shape {out.shape}")
    if len(out) and (out.min() < 0 or out.max() >= num_graphs):
        raise ValueError(f"indices must lie in [0, {num_graphs}), got {out.min()}..{out.max()}")
    return out


def collate_arrays(graphs: GraphArrays, index: np.ndarray) -> Batch:
    """The graphs ``index`` of ``graphs`` as one PyG ``Batch`` (vectorised gathers only).

    Args:
        graphs: The graph set.
        index: 1-D graph indices, in batch order (non-empty).

    Returns:
        The same ``Batch`` as ``Batch.from_data_list`` of ``graph_data(graphs, i)``
        for ``i`` in ``index``: edge_index shifted to batch-global nodes, plus
        ``batch``, ``ptr`` and the slice/increment tables of ``to_data_list()``.
    """
    index = np.asarray(index, dtype=np.int64)
    nodes, node_ptr = _gather_ranges(graphs.node_ptr, index)
    edges, edge_ptr = _gather_ranges(graphs.edge_ptr, index)
    node_counts, edge_counts = np.diff(node_ptr), np.diff(edge_ptr)
    values = {
        **{
            name: _take(getattr(graphs, name), nodes, NUMPY_DTYPES.get(name))
            for name in NODE_FIELDS
        },
        "edge_index": _take(graphs.edge_index, (slice(None), edges))
        + np.repeat(node_ptr[:-1], edge_counts),  # local -> batch-global node indices
        "edge_attr": _take(graphs.edge_attr, edges, np.float32),
        **{name: getattr(graphs, name)[index].astype(np.int64) for name in GRAPH_FIELDS},
    }
    tensors = {name: torch.from_numpy(np.ascontiguousarray(v)) for name, v in values.items()}
    num_graphs = len(index)
    batch = Batch(
        **tensors,
        batch=torch.from_numpy(np.repeat(np.arange(num_graphs), node_counts)),
        ptr=torch.from_numpy(node_ptr),
    )
    _add_collate_tables(batch, node_ptr, edge_ptr, num_graphs)
    return batch


def _gather_ranges(ptr: np.ndarray, index: np.ndarray) -> tuple[slice | np.ndarray, np.ndarray]:
    """Element selector of graphs ``index`` (a slice when they are consecutive) and new offsets."""
    if len(index) and index[-1] - index[0] == len(index) - 1 and np.all(np.diff(index) == 1):
        # Consecutive graphs (the unshuffled case) own one contiguous block: slice, don't gather.
        lo, hi = int(ptr[index[0]]), int(ptr[index[-1] + 1])
        return slice(lo, hi), np.asarray(ptr[index[0] : index[-1] + 2], dtype=np.int64) - lo
    return _ranges(ptr, index)


def _take(array: np.ndarray, rows: Selector, dtype: type | None = None) -> np.ndarray:
    """``array[rows]`` as a fresh array of ``dtype`` (int64 when None).

    Always a copy: a tensor sharing memory with the source would be read-only for
    a memory-mapped store, or let in-place edits of a batch corrupt the graphs.
    A fancy-indexed part is already a copy, so only a slice's view is copied here.
    """
    part = array[rows]
    dtype = dtype or np.int64
    if not part.flags.writeable or np.may_share_memory(part, array) or part.dtype != dtype:
        return np.array(part, dtype=dtype)
    return part


def _add_collate_tables(batch: Batch, node_ptr: np.ndarray, edge_ptr: np.ndarray, n: int) -> None:
    """Set what ``Batch.from_data_list`` sets, so ``get_example``/``to_data_list`` work."""
    nodes, edges, graphs = (
        torch.from_numpy(node_ptr),
        torch.from_numpy(edge_ptr),
        torch.arange(n + 1),
    )
    zeros = torch.zeros(n, dtype=torch.long)
    slices = {"x": nodes, "node_id": nodes, "node_y": nodes, "edge_index": edges}
    slices |= {"edge_attr": edges, "y": graphs, "attack_code": graphs}
    incs = {name: zeros for name in slices}
    incs["edge_index"] = nodes[:-1]
    batch._num_graphs = n
    batch._slice_dict = slices
    batch._inc_dict = incs
