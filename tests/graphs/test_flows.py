"""Flow window graphs: endpoint keys, records, exact small graphs, a reference, real fixtures."""

from __future__ import annotations

import itertools
import math
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kdgat.data.formats import netflow_cicids, netflow_unsw
from kdgat.data.schema import validate_flows
from kdgat.errors import KdgatError
from kdgat.graphs.arrays import GraphArrays
from kdgat.graphs.flows import (
    NODE_FEATURES,
    FlowRecords,
    build_flow_graphs,
    edge_feature_names,
    endpoint_keys,
    flow_records,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "netflow"
CICIDS_CODES = {"benign": 0, "DDoS": 1, "PortScan": 2}
UNSW_CODES = {"benign": 0, "Exploits": 1, "Reconnaissance": 2, "Fuzzers": 3}

# (timestamp, src key, dst key, label, attack code, features)
Flow = tuple[float, int, int, int, int, list[float]]


def make_records(flows: list[Flow], vocab: dict[int, int] | None = None) -> FlowRecords:
    """FlowRecords from rows; vocabulary index = vocab[key], else 0 (unknown)."""
    vocab = vocab or {}
    n_features = len(flows[0][5]) if flows else 2
    return FlowRecords(
        timestamp=np.array([f[0] for f in flows], np.float64),
        src=np.array([f[1] for f in flows], np.int64),
        dst=np.array([f[2] for f in flows], np.int64),
        src_index=np.array([vocab.get(f[1], 0) for f in flows], np.int64),
        dst_index=np.array([vocab.get(f[2], 0) for f in flows], np.int64),
        features=np.array([f[5] for f in flows], np.float32).reshape(-1, n_features),
        label=np.array([f[3] for f in flows], np.uint8),
        attack_code=np.array([f[4] for f in flows], np.int32),
    )


def graph(g: GraphArrays, i: int) -> dict[str, Any]:
    """Graph i of a set, its per-graph fields as plain values."""
    nodes = slice(g.node_ptr[i], g.node_ptr[i + 1])
    edges = slice(g.edge_ptr[i], g.edge_ptr[i + 1])
    return {
        "x": g.x[nodes],
        "node_id": g.node_id[nodes].tolist(),
        "node_y": g.node_y[nodes].tolist(),
        "edge_index": g.edge_index[:, edges].T.tolist(),
        "edge_attr": g.edge_attr[edges],
        "y": int(g.y[i]),
        "attack_code": int(g.attack_code[i]),
        "start": int(g.start[i]),
        "t_start": float(g.t_start[i]),
        "t_end": float(g.t_end[i]),
    }


def check_layout(g: GraphArrays, n_edge_features: int) -> None:
    """Dtypes, shapes and offsets every GraphArrays must satisfy."""
    assert g.x.dtype == np.float32
    assert g.x.shape[1] == len(NODE_FEATURES)
    assert g.edge_attr.dtype == np.float32
    assert g.edge_attr.shape[1] == n_edge_features
    assert g.node_id.dtype == np.int64
    assert g.edge_index.dtype == np.int64
    assert g.node_y.dtype == np.uint8
    assert g.y.dtype == np.uint8
    assert g.attack_code.dtype == np.int32
    assert g.capture.dtype == np.int32
    assert g.node_ptr[0] == 0
    assert g.node_ptr[-1] == len(g.x) == len(g.node_id)
    assert g.edge_ptr[0] == 0
    assert g.edge_ptr[-1] == g.edge_index.shape[1] == len(g.edge_attr)
    assert np.all(np.diff(g.node_ptr) > 0)
    assert np.all(np.diff(g.edge_ptr) > 0)
    sizes = np.repeat(np.diff(g.node_ptr), np.diff(g.edge_ptr))
    assert np.all(g.edge_index >= 0)
    assert np.all(g.edge_index < sizes)


# --- endpoint keys --------------------------------------------------------------------------


def test_ipv4_keys_are_the_address_integers() -> None:
    keys = endpoint_keys(pa.array(["1.2.3.4", "0.0.0.0", "255.255.255.255", "192.168.10.50"]))
    assert keys.dtype == np.int64
    assert keys.tolist() == [0x01020304, 0, 2**32 - 1, 0xC0A80A32]


def test_other_addresses_hash_stably_above_the_ipv4_range() -> None:
    keys = endpoint_keys(
        pa.array(["2001:db8::1", "2001:DB8:0:0:0:0:0:1", "ids-sensor.local", "256.1.1.1", "1.2.3"])
    )
    # Pinned: keys must not change between runs or versions (vocabularies are built on them).
    assert keys[:3].tolist() == [6330727028394818062, 6330727028394818062, 34938859459698975]
    assert np.all(keys >= 2**32)
    assert len(set(keys[2:].tolist())) == 3


def test_keys_ignore_chunking_and_dictionary_encoding() -> None:
    values = ["10.0.0.1", "fe80::1", "10.0.0.1", "host", "fe80::1"]
    plain = endpoint_keys(pa.array(values))
    chunked = endpoint_keys(pa.chunked_array([pa.array(values[:2]), pa.array(values[2:])]))
    encoded = pa.chunked_array(
        [pa.array(values[:3]).dictionary_encode(), pa.array(values[3:]).dictionary_encode()]
    )
    assert plain.tolist() == chunked.tolist() == endpoint_keys(encoded).tolist()
    assert plain[0] == plain[2]
    assert plain[1] == plain[4]
    assert len(endpoint_keys(pa.array([], pa.string()))) == 0


def test_null_address_is_an_error() -> None:
    with pytest.raises(KdgatError, match="null"):
        endpoint_keys(pa.array(["1.2.3.4", None]))


# --- exact graphs ---------------------------------------------------------------------------

A, B, C = 10, 20, 30
HAND_MADE: list[Flow] = [
    (100.0, A, B, 1, 2, [1, 2]),
    (101.0, A, B, 1, 1, [3, 4]),
    (104.0, B, C, 0, 0, [5, 6]),
    (109.0, C, C, 0, 0, [7, 8]),  # self-loop; [110, 120) has no flow: no graph
    (125.0, B, A, 0, 0, [9, 10]),
    (129.5, B, A, 0, 0, [11, 12]),
]


def test_hand_made_windows_exactly() -> None:
    records = make_records(HAND_MADE, vocab={A: 1, B: 2})  # C is unknown: 0
    g = build_flow_graphs(records, window_seconds=10.0)
    check_layout(g, 2)
    assert g.num_graphs == 2
    first, second = graph(g, 0), graph(g, 1)

    assert first["node_id"] == [1, 2, 0]  # A, B, C (key order)
    assert first["edge_index"] == [[0, 1], [0, 1], [1, 2], [2, 2]]
    np.testing.assert_array_equal(first["edge_attr"], [[1, 2], [3, 4], [5, 6], [7, 8]])
    # out, in, out_peers, in_peers, out_share, in_share, first_offset, span, iat_mean, iat_std
    np.testing.assert_allclose(
        first["x"],
        [
            [2, 0, 1, 0, 0.5, 0.0, 0, 1, 1, 0],  # A: flows at 100, 101
            [1, 2, 1, 1, 0.25, 0.5, 0, 4, 2, 1],  # B: 100, 101, 104 (gaps 1, 3)
            [1, 2, 1, 2, 0.25, 0.5, 4, 5, 5, 0],  # C: 104, 109 (the self-flow once)
        ],
    )
    assert first["node_y"] == [1, 1, 0]
    # One attack flow each of codes 2 and 1: the tie goes to the smaller code.
    assert (first["y"], first["attack_code"]) == (1, 1)
    assert (first["start"], first["t_start"], first["t_end"]) == (0, 100.0, 109.0)

    assert second["node_id"] == [1, 2]
    assert second["edge_index"] == [[1, 0], [1, 0]]
    np.testing.assert_array_equal(second["edge_attr"], [[9, 10], [11, 12]])
    np.testing.assert_allclose(
        second["x"],
        [
            [0, 2, 0, 1, 0.0, 1.0, 0, 4.5, 4.5, 0],
            [2, 0, 1, 0, 1.0, 0.0, 0, 4.5, 4.5, 0],
        ],
    )
    assert second["node_y"] == [0, 0]
    assert (second["y"], second["attack_code"]) == (0, 0)
    assert (second["start"], second["t_start"], second["t_end"]) == (4, 125.0, 129.5)
    assert g.capture.tolist() == [0, 0]


def test_min_attack_flows_and_dominant_code() -> None:
    records = make_records(HAND_MADE)
    g = build_flow_graphs(records, window_seconds=10.0, min_attack_flows=3)
    assert g.y.tolist() == [0, 0]
    assert g.attack_code.tolist() == [0, 0]
    assert g.node_y.tolist() == [1, 1, 0, 0, 0]  # node labels do not depend on the threshold
    flows: list[Flow] = [*HAND_MADE[:3], (105.0, B, A, 1, 2, [0, 0])]  # codes 2, 1, 2: 2 dominates
    g = build_flow_graphs(make_records(flows), window_seconds=10.0, min_attack_flows=3)
    assert g.y.tolist() == [1]
    assert g.attack_code.tolist() == [2]


def test_one_window_when_it_covers_the_capture_and_none_without_flows() -> None:
    g = build_flow_graphs(make_records(HAND_MADE), window_seconds=1e6)
    assert g.num_graphs == 1
    assert g.edge_ptr.tolist() == [0, 6]
    assert g.node_ptr.tolist() == [0, 3]
    empty = build_flow_graphs(make_records([]), window_seconds=1.0)
    check_layout(empty, 2)
    assert empty.num_graphs == 0
    assert empty.node_ptr.tolist() == [0]


@pytest.mark.parametrize(
    ("window", "min_attack", "problem"),
    [(0.0, 1, "window_seconds"), (math.nan, 1, "window_seconds"), (1.0, 0, "min_attack")],
)
def test_bad_parameters(window: float, min_attack: int, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        build_flow_graphs(make_records(HAND_MADE), window, min_attack)


def test_unsorted_records_are_refused() -> None:
    with pytest.raises(ValueError, match="non-decreasing"):
        build_flow_graphs(make_records(HAND_MADE[::-1]), 10.0)


# --- property: against a per-window reference -------------------------------------------------


def reference(flows: list[Flow], vocab: dict[int, int], w: float, min_attack: int) -> list[dict]:
    """The spec, one window and one node at a time."""
    if not flows:
        return []
    t0 = flows[0][0]
    windows: dict[int, list[int]] = {}
    for i, flow in enumerate(flows):
        windows.setdefault(math.floor((flow[0] - t0) / w), []).append(i)
    return [_reference_window(flows, ids, vocab, min_attack) for ids in windows.values()]


def _reference_window(
    flows: list[Flow], ids: list[int], vocab: dict[int, int], min_attack: int
) -> dict[str, Any]:
    window = [flows[i] for i in ids]
    nodes = sorted({f[1] for f in window} | {f[2] for f in window})
    local = {key: j for j, key in enumerate(nodes)}
    x = []
    for v in nodes:
        out = [f for f in window if f[1] == v]
        inn = [f for f in window if f[2] == v]
        times = [f[0] for f in window if v in (f[1], f[2])]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        x.append(
            [
                len(out),
                len(inn),
                len({f[2] for f in out}),
                len({f[1] for f in inn}),
                len(out) / len(window),
                len(inn) / len(window),
                times[0] - window[0][0],
                times[-1] - times[0],
                statistics.fmean(gaps) if gaps else 0.0,
                statistics.pstdev(gaps) if gaps else 0.0,
            ]
        )
    attacks = Counter(f[4] for f in window if f[3])
    y = int(sum(attacks.values()) >= min_attack)
    top = max(attacks.values(), default=0)
    return {
        "x": np.array(x).reshape(-1, len(NODE_FEATURES)),
        "node_id": [vocab.get(v, 0) for v in nodes],
        "node_y": [int(any(f[3] and v in (f[1], f[2]) for f in window)) for v in nodes],
        "edge_index": [[local[f[1]], local[f[2]]] for f in window],
        "edge_attr": np.array([f[5] for f in window], np.float32).reshape(len(window), -1),
        "y": y,
        "attack_code": min(c for c, n in attacks.items() if n == top) if y else 0,
        "start": ids[0],
        "t_start": window[0][0],
        "t_end": window[-1][0],
    }


KEYS = [0, 3, 7, 0xC0A80A32, 2**32 + 5, 2**62 + 11]


@st.composite
def flow_lists(draw: st.DrawFn) -> list[Flow]:
    n = draw(st.integers(0, 30))
    base = draw(st.sampled_from([0.0, 1.5e9]))
    ticks = sorted(draw(st.lists(st.integers(0, 200), min_size=n, max_size=n)))
    flows = []
    for tick in ticks:  # quarter-second ticks: ties, exact differences, windows on the edges
        label = draw(st.integers(0, 1))
        features = draw(st.lists(st.floats(-1e3, 1e3, width=32), min_size=2, max_size=2))
        src, dst = draw(st.sampled_from(KEYS)), draw(st.sampled_from(KEYS))
        code = draw(st.integers(1, 3)) if label else 0
        flows.append((base + tick / 4, src, dst, label, code, features))
    return flows


@settings(max_examples=100, deadline=None)
@given(
    flows=flow_lists(),
    window=st.sampled_from([0.25, 1.0, 2.5, 7.0, 1000.0]),
    min_attack=st.integers(1, 3),
)
def test_matches_per_window_reference(flows: list[Flow], window: float, min_attack: int) -> None:
    vocab = {key: i + 1 for i, key in enumerate(KEYS[:4])}  # the last two keys are unknown
    g = build_flow_graphs(make_records(flows, vocab), window, min_attack)
    check_layout(g, 2)
    expected = reference(flows, vocab, window, min_attack)
    assert g.num_graphs == len(expected)
    for i, want in enumerate(expected):
        got = graph(g, i)
        np.testing.assert_allclose(got.pop("x"), want.pop("x"), rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(got.pop("edge_attr"), want.pop("edge_attr"))
        assert got == want


# --- from the fixtures, through ingest validation ---------------------------------------------


def ingested(reader: Any, name: str) -> pa.Table:
    raw = pa.concat_tables(list(reader(FIXTURES / name, 1000)))
    return validate_flows(raw, name, "train", "attack").good


def vocabulary(table: pa.Table) -> Any:
    """encode() of a vocabulary of every endpoint of the table but the first (in key order)."""
    known = np.unique(endpoint_keys(pa.chunked_array(table["src"].chunks + table["dst"].chunks)))
    known = known[1:]

    def encode(keys: np.ndarray) -> np.ndarray:
        at = np.minimum(np.searchsorted(known, keys), len(known) - 1)
        return np.where(known[at] == keys, at + 1, 0)

    return encode


def check_against_table(g: GraphArrays, records: FlowRecords, table: pa.Table) -> None:
    """Edges are the table's flows, in order; node ids agree with the flows' endpoints."""
    names = edge_feature_names(table)
    check_layout(g, len(names))
    features = np.stack([table[n].to_numpy() for n in names], axis=1).astype(np.float32)
    np.testing.assert_array_equal(g.edge_attr, features)
    base = np.repeat(g.node_ptr[:-1], np.diff(g.edge_ptr))
    np.testing.assert_array_equal(g.node_id[g.edge_index[0] + base], records.src_index)
    np.testing.assert_array_equal(g.node_id[g.edge_index[1] + base], records.dst_index)
    np.testing.assert_array_equal(g.t_start, records.timestamp[g.start])


def test_cicids_fixture_to_graphs() -> None:
    table = ingested(netflow_cicids.read, "cicids_sample.csv")
    records = flow_records(table, vocabulary(table), CICIDS_CODES)
    assert records.features.shape == (14, 12)
    assert records.features.dtype == np.float32
    g = build_flow_graphs(records, window_seconds=60.0)  # the file has minute timestamps
    check_against_table(g, records, table)
    assert np.diff(g.edge_ptr).tolist() == [4, 1, 3, 2, 2, 2]  # 3:30, 3:31, 3:56 .. 3:59
    assert g.start.tolist() == [0, 4, 5, 8, 10, 12]
    assert g.y.tolist() == [0, 0, 1, 1, 1, 0]
    assert g.attack_code.tolist() == [0, 0, 1, 1, 2, 0]  # DDoS, DDoS, PortScan
    assert np.diff(g.node_ptr).tolist() == [5, 2, 2, 4, 2, 4]
    ddos = graph(g, 2)  # 172.16.0.1 -> 192.168.10.50, three times
    assert ddos["edge_index"] == [[0, 1]] * 3
    assert ddos["node_y"] == [1, 1]
    np.testing.assert_array_equal(ddos["x"][0], [3, 0, 1, 0, 1, 0, 0, 0, 0, 0])
    assert build_flow_graphs(records, 60.0, min_attack_flows=2).y.tolist() == [0, 0, 1, 0, 1, 0]


def test_unsw_fixture_to_graphs() -> None:
    table = ingested(netflow_unsw.read, "unsw_sample.csv")
    records = flow_records(table, vocabulary(table), UNSW_CODES)
    g = build_flow_graphs(records, window_seconds=5.0)
    check_against_table(g, records, table)
    assert np.diff(g.edge_ptr).tolist() == [6, 2, 2]
    assert g.y.tolist() == [1, 1, 1]
    # Last window: one Fuzzers (3) and one Reconnaissance (2) flow: the tie goes to 2.
    assert g.attack_code.tolist() == [1, 2, 2]
    first = graph(g, 0)
    assert len(first["node_id"]) == 11
    assert sum(first["node_y"]) == 2
    assert first["node_id"].count(0) == 1  # the one endpoint left out of the vocabulary


def test_unsorted_table_is_sorted_by_time_then_source_row() -> None:
    table = ingested(netflow_cicids.read, "cicids_sample.csv")
    encode = vocabulary(table)
    want = flow_records(table, encode, CICIDS_CODES)
    got = flow_records(table.take(pa.array(np.arange(table.num_rows)[::-1])), encode, CICIDS_CODES)
    for name in ("timestamp", "src", "dst", "src_index", "features", "label", "attack_code"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name))


def test_attack_type_missing_from_the_codes_is_an_error() -> None:
    table = ingested(netflow_cicids.read, "cicids_sample.csv")
    with pytest.raises(KdgatError, match="PortScan"):
        flow_records(table, vocabulary(table), {"benign": 0, "DDoS": 1})
    benign = table.filter(pa.array(table["label"].to_numpy() == 0))
    # Names the dictionary lists but no row uses are not needed.
    assert flow_records(benign, vocabulary(table), {"benign": 0}).attack_code.max() == 0
