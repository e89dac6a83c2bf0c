"""GraphLoader: batches equal PyG's own collation, shuffles are reproducible per epoch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_geometric.data import Batch

from kdgat.graphs.arrays import GraphArrays
from kdgat.graphs.loader import GraphLoader
from kdgat.graphs.store import GraphStore, graph_data, open_store, write_store
from tests.graphs.test_store import random_graphs

NUM_GRAPHS = 23


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> GraphStore:
    path = tmp_path_factory.mktemp("store") / "train"
    write_store(path, random_graphs(NUM_GRAPHS, seed=3), {})
    return open_store(path)


def reference(store: GraphStore, indices: np.ndarray) -> Batch:
    return Batch.from_data_list([store.get(int(i)) for i in indices])


def assert_batches_equal(ours: Batch, theirs: Batch) -> None:
    assert type(ours) is type(theirs)
    assert set(ours.keys()) == set(theirs.keys())
    for key in theirs.keys():  # noqa: SIM118 (Batch.keys is a method, not a dict view)
        assert ours[key].dtype == theirs[key].dtype, key
        assert torch.equal(ours[key], theirs[key]), key
    assert ours.num_graphs == theirs.num_graphs
    assert ours.num_nodes == theirs.num_nodes
    for table in ("_slice_dict", "_inc_dict"):
        mine, ref = getattr(ours, table), getattr(theirs, table)
        assert set(mine) == set(ref), table
        assert all(torch.equal(mine[k], ref[k]) for k in ref), table


def expected_chunks(order: np.ndarray, batch_size: int, drop_last: bool) -> list[np.ndarray]:
    chunks = [order[s : s + batch_size] for s in range(0, len(order), batch_size)]
    return [c for c in chunks if len(c) == batch_size] if drop_last else chunks


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("batch_size", [1, 5, NUM_GRAPHS, 64])
def test_batches_equal_pyg(
    store: GraphStore, shuffle: bool, drop_last: bool, batch_size: int
) -> None:
    loader = GraphLoader(store, batch_size, shuffle=shuffle, drop_last=drop_last, seed=7)
    order = loader.order(0)
    batches = list(loader)
    chunks = expected_chunks(order, batch_size, drop_last)
    assert len(batches) == len(loader) == len(chunks)
    for ours, chunk in zip(batches, chunks, strict=True):
        assert_batches_equal(ours, reference(store, chunk))
    assert sorted(order) == list(range(NUM_GRAPHS))
    assert (list(order) != list(range(NUM_GRAPHS))) == shuffle


def test_partial_last_batch_and_edgeless_graphs(store: GraphStore) -> None:
    edges = np.diff(store.arrays.edge_ptr)
    nodes = np.diff(store.arrays.node_ptr)
    # the fixture covers both
    assert (edges == 0).any()
    assert (nodes == 0).any()
    only_edgeless = np.flatnonzero(edges == 0)
    batches = list(GraphLoader(store, 4, indices=only_edgeless))
    assert batches[-1].num_graphs == (len(only_edgeless) % 4 or 4)
    for ours, chunk in zip(batches, expected_chunks(only_edgeless, 4, False), strict=True):
        assert ours.edge_index.shape == (2, 0)
        assert_batches_equal(ours, reference(store, chunk))


def test_in_memory_arrays_equal_store(store: GraphStore) -> None:
    in_memory = GraphArrays(
        **{k: np.array(v) for k, v in vars(store.arrays).items()},
    )
    for ours, theirs in zip(GraphLoader(in_memory, 6), GraphLoader(store, 6), strict=True):
        assert_batches_equal(ours, theirs)


def test_batch_owns_its_memory(store: GraphStore) -> None:
    graphs = GraphArrays(**{k: np.array(v) for k, v in vars(store.arrays).items()})
    before = graphs.x.copy()
    batch = next(iter(GraphLoader(graphs, 8)))
    batch.x.add_(1.0)  # in-place edits of a batch must not reach the source arrays
    np.testing.assert_array_equal(graphs.x, before)


def test_to_data_list_round_trip(store: GraphStore) -> None:
    batch = next(iter(GraphLoader(store, 9, shuffle=True)))
    ref = reference(store, GraphLoader(store, 9, shuffle=True).order(0)[:9])
    for mine, theirs in zip(batch.to_data_list(), ref.to_data_list(), strict=True):
        for key in theirs.keys():  # noqa: SIM118
            assert torch.equal(mine[key], theirs[key]), key


def test_shuffle_reproducible_and_changes_per_epoch(store: GraphStore) -> None:
    a = GraphLoader(store, 5, shuffle=True, seed=11)
    b = GraphLoader(store, 5, shuffle=True, seed=11)
    first_a, second_a = _epoch_node_ids(a), _epoch_node_ids(a)
    assert first_a == _epoch_node_ids(b)
    assert second_a == _epoch_node_ids(b)
    assert first_a != second_a
    assert a.epoch == 2
    assert first_a != _epoch_node_ids(GraphLoader(store, 5, shuffle=True, seed=12))


def _epoch_node_ids(loader: GraphLoader) -> list[int]:
    """Everything a loader yields in one epoch, flattened (identifies the order)."""
    return torch.cat([torch.cat([b.x.flatten(), b.node_id.float()]) for b in loader]).tolist()


def test_set_epoch_and_cut_short_iteration(store: GraphStore) -> None:
    loader = GraphLoader(store, 5, shuffle=True, seed=1)
    next(iter(loader))  # abandoned after one batch: the next epoch still gets a new order
    assert loader.epoch == 1
    loader.set_epoch(0)
    replay = next(iter(loader))
    assert torch.equal(
        replay.y, torch.as_tensor(store.arrays.y[loader.order(0)[:5]], dtype=torch.long)
    )


def test_indices_subset_and_order(store: GraphStore) -> None:
    indices = np.array([5, 2, 2, 19, 0, 7, 11])
    loader = GraphLoader(store, 3, indices=indices)
    assert len(loader) == 3
    for ours, chunk in zip(loader, expected_chunks(indices, 3, False), strict=True):
        assert_batches_equal(ours, reference(store, chunk))
    shuffled = GraphLoader(store, 3, shuffle=True, indices=indices).order(0)
    assert sorted(shuffled) == sorted(indices)
    indices[0] = 9  # the loader keeps its own copy
    assert loader.order(0)[0] == 5


def test_invalid_arguments(store: GraphStore) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        GraphLoader(store, 0)
    with pytest.raises(ValueError, match="indices"):
        GraphLoader(store, 2, indices=np.array([0, NUM_GRAPHS]))
    with pytest.raises(ValueError, match="1-D"):
        GraphLoader(store, 2, indices=np.zeros((2, 2), np.int64))
    assert len(GraphLoader(store, 2, indices=np.array([], np.int64))) == 0
    assert list(GraphLoader(store, 2, indices=np.array([], np.int64))) == []


@settings(max_examples=25, deadline=None)
@given(
    num_graphs=st.integers(1, 30),
    batch_size=st.integers(1, 12),
    shuffle=st.booleans(),
    drop_last=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_equivalence_property(
    num_graphs: int, batch_size: int, shuffle: bool, drop_last: bool, seed: int
) -> None:
    graphs = random_graphs(num_graphs, seed=seed)
    loader = GraphLoader(graphs, batch_size, shuffle=shuffle, drop_last=drop_last, seed=seed)
    chunks = expected_chunks(loader.order(0), batch_size, drop_last)
    batches = list(loader)
    assert len(batches) == len(chunks)
    for ours, chunk in zip(batches, chunks, strict=True):
        assert_batches_equal(
            ours, Batch.from_data_list([graph_data(graphs, int(i)) for i in chunk])
        )


def test_empty_store(tmp_path: Path) -> None:
    """A loader over an empty store yields nothing (a split may have no graphs)."""
    write_store(tmp_path / "empty", random_graphs(0), {})
    assert list(GraphLoader(open_store(tmp_path / "empty"), 4, shuffle=True)) == []
