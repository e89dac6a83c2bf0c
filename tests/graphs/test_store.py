"""The on-disk graph store: round trip, memory-mapped open, mismatch and corruption errors."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from kdgat.errors import KdgatError
from kdgat.graphs.arrays import GraphArrays
from kdgat.graphs.store import (
    FORMAT_VERSION,
    StoreError,
    StoreMismatchError,
    open_store,
    write_store,
)

META = {"dataset": "can_set01", "window": 100, "stride": 50, "node_features": ["a", "b", "c"]}


def random_graphs(
    num_graphs: int,
    seed: int = 0,
    max_nodes: int = 6,
    max_edges: int = 9,
    node_dim: int = 3,
    edge_dim: int = 2,
) -> GraphArrays:
    """Random but valid GraphArrays; about one graph in four has no edges, some have no nodes."""
    rng = np.random.default_rng(seed)
    nodes = rng.integers(0, max_nodes + 1, num_graphs)
    edges = np.where(
        (nodes > 0) & (rng.random(num_graphs) > 0.25), rng.integers(1, max_edges + 1, num_graphs), 0
    )
    node_ptr = np.concatenate([[0], np.cumsum(nodes)]).astype(np.int64)
    edge_ptr = np.concatenate([[0], np.cumsum(edges)]).astype(np.int64)
    owner_nodes = np.repeat(nodes, edges)  # each edge's graph size, to draw local endpoints
    total_nodes, total_edges = int(node_ptr[-1]), int(edge_ptr[-1])
    return GraphArrays(
        x=rng.normal(size=(total_nodes, node_dim)).astype(np.float32),
        node_id=rng.integers(0, 50, total_nodes),
        node_y=rng.integers(0, 2, total_nodes).astype(np.uint8),
        edge_index=(rng.random((2, total_edges)) * owner_nodes).astype(np.int64),
        edge_attr=rng.normal(size=(total_edges, edge_dim)).astype(np.float32),
        y=rng.integers(0, 2, num_graphs).astype(np.uint8),
        attack_code=rng.integers(0, 4, num_graphs).astype(np.int32),
        node_ptr=node_ptr,
        edge_ptr=edge_ptr,
        capture=rng.integers(0, 3, num_graphs).astype(np.int32),
        start=np.arange(num_graphs, dtype=np.int64) * 50,
        t_start=rng.random(num_graphs),
        t_end=rng.random(num_graphs) + 1.0,
    )


def assert_same_arrays(a: GraphArrays, b: GraphArrays) -> None:
    for field in fields(GraphArrays):
        left, right = getattr(a, field.name), getattr(b, field.name)
        assert left.dtype == right.dtype, field.name
        np.testing.assert_array_equal(left, right, err_msg=field.name)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "graphs" / "train"
    write_store(path, random_graphs(40), META)
    return path


def test_round_trip(store_path: Path) -> None:
    store = open_store(store_path)
    assert_same_arrays(store.arrays, random_graphs(40))
    assert len(store) == 40
    assert store.meta == {
        **META,
        "format_version": FORMAT_VERSION,
        "num_graphs": 40,
        "num_nodes": int(random_graphs(40).node_ptr[-1]),
        "num_edges": int(random_graphs(40).edge_ptr[-1]),
        "node_feature_dim": 3,
        "edge_feature_dim": 2,
    }


def test_open_is_memory_mapped(store_path: Path) -> None:
    store = open_store(store_path)
    for field in fields(GraphArrays):
        array = getattr(store.arrays, field.name)
        assert isinstance(array, np.memmap), field.name
        assert not array.flags.writeable, field.name


def test_write_replaces_and_casts(tmp_path: Path) -> None:
    path = tmp_path / "s"
    write_store(path, random_graphs(5), {"old": True})
    wide = random_graphs(3)
    wide = replace(wide, x=wide.x.astype(np.float64), y=wide.y.astype(np.int64))
    write_store(path, wide, {})
    store = open_store(path)
    assert "old" not in store.meta
    assert len(store) == 3
    assert store.arrays.x.dtype == np.float32
    assert store.arrays.y.dtype == np.uint8
    assert [p.name for p in tmp_path.iterdir()] == ["s"]  # no temporary folder left behind


def test_get(store_path: Path) -> None:
    store = open_store(store_path)
    graphs = random_graphs(40)
    for i in (0, 7, 39, -1):
        data = store.get(i)
        g = i % 40
        n0, n1 = graphs.node_ptr[g], graphs.node_ptr[g + 1]
        e0, e1 = graphs.edge_ptr[g], graphs.edge_ptr[g + 1]
        assert data.x.dtype == torch.float32
        assert data.edge_attr.dtype == torch.float32
        for key in ("edge_index", "y", "node_id", "node_y", "attack_code"):
            assert data[key].dtype == torch.long, key
        assert data.y.shape == (1,)
        assert data.attack_code.shape == (1,)
        assert data.num_nodes == n1 - n0
        np.testing.assert_array_equal(data.x.numpy(), graphs.x[n0:n1])
        np.testing.assert_array_equal(data.edge_index.numpy(), graphs.edge_index[:, e0:e1])
        np.testing.assert_array_equal(data.edge_attr.numpy(), graphs.edge_attr[e0:e1])
        np.testing.assert_array_equal(data.node_y.numpy(), graphs.node_y[n0:n1])
        assert int(data.y) == graphs.y[g]
        assert int(data.attack_code) == graphs.attack_code[g]
    with pytest.raises(IndexError):
        store.get(40)


def test_empty_store(tmp_path: Path) -> None:
    write_store(tmp_path / "empty", random_graphs(0), {})
    store = open_store(tmp_path / "empty")
    assert len(store) == 0
    assert store.arrays.edge_index.shape == (2, 0)


def test_expect_matching(store_path: Path) -> None:
    # Tuples compare equal to the lists JSON gives back.
    store = open_store(store_path, expect={"window": 100, "node_features": ("a", "b", "c")})
    assert store.meta["stride"] == 50


def test_expect_mismatch_message(store_path: Path) -> None:
    expect: dict[str, Any] = {"window": 200, "stride": 50, "vocab_size": 12}
    with pytest.raises(StoreMismatchError) as info:
        open_store(store_path, expect=expect)
    message = str(info.value)
    assert isinstance(info.value, KdgatError)
    assert str(store_path) in message
    assert "window: stored 100, expected 200" in message
    assert 'vocab_size: stored "<missing>", expected 12' in message
    assert "stride" not in message
    assert "dvc repro graphs@can_set01" in message
    assert "delete" in message
    assert "\n" not in message  # the CLI prints errors as one line
    assert info.value.diffs == {"window": (100, 200), "vocab_size": ("<missing>", 12)}


def test_format_version_always_checked(store_path: Path) -> None:
    meta = json.loads((store_path / "meta.json").read_text())
    (store_path / "meta.json").write_text(json.dumps({**meta, "format_version": 0}))
    with pytest.raises(
        StoreMismatchError, match=f"format_version: stored 0, expected {FORMAT_VERSION}"
    ):
        open_store(store_path)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not found"):
        open_store(tmp_path / "nope")


@pytest.mark.parametrize(
    ("damage", "pattern"),
    [
        (lambda p: (p / "meta.json").unlink(), "meta.json is missing"),
        (lambda p: (p / "meta.json").write_text("{not json"), "meta.json is unreadable"),
        (lambda p: (p / "meta.json").write_text("[1, 2]"), "not a JSON object"),
        (lambda p: (p / "edge_attr.npy").unlink(), "edge_attr.npy is missing"),
        (lambda p: (p / "x.npy").write_bytes(b"garbage"), "x.npy is unreadable"),
        (lambda p: _truncate(p / "x.npy"), "x.npy is unreadable"),
        (lambda p: np.save(p / "capture.npy", np.zeros(3, np.int32)), "capture has 3 rows but"),
        (lambda p: np.save(p / "node_ptr.npy", np.zeros(3, np.int64)), "node_ptr must be"),
        (lambda p: np.save(p / "x.npy", np.zeros((2, 3), np.float32)), "x has 2 rows"),
        (lambda p: np.save(p / "x.npy", np.zeros(2, np.float64)), "x.npy is float64"),
    ],
)
def test_corrupt_store(store_path: Path, damage: Any, pattern: str) -> None:
    damage(store_path)
    with pytest.raises(StoreError, match=pattern) as info:
        open_store(store_path)
    assert str(store_path) in str(info.value)
    assert "Fix:" in str(info.value)


def test_meta_sizes_checked(store_path: Path) -> None:
    meta = json.loads((store_path / "meta.json").read_text())
    (store_path / "meta.json").write_text(json.dumps({**meta, "num_edges": 1}))
    with pytest.raises(StoreError, match="num_edges"):
        open_store(store_path)


def test_write_rejects_inconsistent(tmp_path: Path) -> None:
    bad = replace(random_graphs(4), t_end=np.zeros(5))
    with pytest.raises(ValueError, match="t_end has 5 rows"):
        write_store(tmp_path / "bad", bad, {})
    assert not (tmp_path / "bad").exists()


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 8])
