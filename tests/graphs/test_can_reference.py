"""The fast CAN graph engine equals a simple per-window reference (and the reference the spec).

The hand-computed examples check ``reference_can_graphs`` against the module
docstring of ``kdgat.graphs.can``; the property tests check
``build_can_graphs`` against the reference on random captures. The engine tests
skip while ``build_can_graphs`` does not exist yet.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypedDict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from kdgat.graphs import can
from kdgat.graphs.arrays import CanFrames, GraphArrays

from .reference import EDGE_FEATURE_NAMES, NODE_FEATURE_NAMES, reference_can_graphs

BuildCanGraphs = Callable[[CanFrames, int, int, int], GraphArrays]
build_can_graphs: BuildCanGraphs | None = getattr(can, "build_can_graphs", None)
needs_engine = pytest.mark.skipif(
    build_can_graphs is None, reason="kdgat.graphs.can.build_can_graphs is not implemented yet"
)

RTOL = 1e-5
ATOL = 1e-6
INT_FIELDS = {
    "node_id": np.int64,
    "node_y": np.uint8,
    "edge_index": np.int64,
    "y": np.uint8,
    "attack_code": np.int32,
    "node_ptr": np.int64,
    "edge_ptr": np.int64,
    "capture": np.int32,
    "start": np.int64,
}


# ----------------------------------------------------------------------------- helpers


def make_frames(
    ids,
    times=None,
    payloads=None,
    dlc=None,
    labels=None,
    codes=None,
    vocab: dict[int, int] | None = None,
) -> CanFrames:
    """CanFrames with the documented dtypes; payload bytes beyond dlc are zeroed."""
    ids = np.asarray(ids, dtype=np.int64)
    n = len(ids)
    timestamp = (
        np.arange(n, dtype=np.float64) * 0.01
        if times is None
        else np.asarray(times, dtype=np.float64)
    )
    payload = np.zeros((n, 8), dtype=np.uint8)
    if payloads is not None:
        for k, row in enumerate(payloads):
            payload[k, : len(row)] = row
    dlc_bytes = np.full(n, 8, dtype=np.int64) if dlc is None else np.asarray(dlc, dtype=np.int64)
    payload[np.arange(8)[None, :] >= dlc_bytes[:, None]] = 0
    label = np.zeros(n, dtype=np.uint8) if labels is None else np.asarray(labels, dtype=np.uint8)
    attack_code = (
        np.zeros(n, dtype=np.int32) if codes is None else np.asarray(codes, dtype=np.int32)
    )
    vocab = vocab or {}
    id_index = np.array([vocab.get(int(i), 0) for i in ids], dtype=np.int64)
    return CanFrames(
        timestamp=timestamp,
        arbitration_id=ids,
        id_index=id_index,
        payload=payload,
        dlc_bytes=dlc_bytes,
        label=label,
        attack_code=attack_code,
    )


def random_frames(
    rng: np.random.Generator,
    n: int,
    pool_size: int = 4,
    max_dlc: int = 8,
    attack_rate: float = 0.2,
    unseen_rate: float = 0.3,
    t0: float = 0.0,
) -> CanFrames:
    """A random capture of n frames with ids from a small pool (numpy generator)."""
    pool = rng.choice(0x800, size=pool_size, replace=False)
    ids = pool[rng.integers(0, pool_size, size=n)]
    vocab = {int(i): (0 if rng.random() < unseen_rate else k + 1) for k, i in enumerate(pool)}
    dlc = rng.integers(0, max_dlc + 1, size=n)
    payloads = rng.integers(0, 256, size=(n, 8))
    increments = rng.exponential(0.002, size=n) * (rng.random(n) < 0.9)
    times = t0 + np.cumsum(increments)
    labels = (rng.random(n) < attack_rate).astype(np.uint8)
    codes = np.where(labels == 1, rng.integers(1, 4, size=n), 0)
    return make_frames(ids, times, payloads, dlc, labels, codes, vocab)


def assert_graphs_equal(actual: GraphArrays, expected: GraphArrays) -> None:
    """Every field equal: integers exactly (dtype too), float features to rtol/atol."""
    for name, dtype in INT_FIELDS.items():
        a, e = getattr(actual, name), getattr(expected, name)
        assert a.dtype == dtype, f"{name}: dtype {a.dtype}, expected {np.dtype(dtype)}"
        np.testing.assert_array_equal(a, e, err_msg=name, strict=True)
    for name in ("t_start", "t_end"):
        a, e = getattr(actual, name), getattr(expected, name)
        assert a.dtype == np.float64, f"{name}: dtype {a.dtype}"
        np.testing.assert_array_equal(a, e, err_msg=name, strict=True)
    for name, names in (("x", NODE_FEATURE_NAMES), ("edge_attr", EDGE_FEATURE_NAMES)):
        a, e = getattr(actual, name), getattr(expected, name)
        assert a.dtype == np.float32, f"{name}: dtype {a.dtype}"
        assert a.shape == e.shape, f"{name}: shape {a.shape}, expected {e.shape}"
        for j, feature in enumerate(names):
            np.testing.assert_allclose(
                a[:, j], e[:, j], rtol=RTOL, atol=ATOL, err_msg=f"{name}[:, {feature}]"
            )


def check_engine(
    frames: CanFrames, window: int, stride: int, min_attack_frames: int = 1
) -> GraphArrays:
    assert build_can_graphs is not None  # callers are marked needs_engine
    expected = reference_can_graphs(frames, window, stride, min_attack_frames)
    actual = build_can_graphs(frames, window, stride, min_attack_frames)
    assert_graphs_equal(actual, expected)
    return expected


def node_row(g: GraphArrays, k: int) -> dict[str, float]:
    return dict(zip(NODE_FEATURE_NAMES, g.x[k].tolist(), strict=True))


def edge_row(g: GraphArrays, k: int) -> dict[str, float]:
    return dict(zip(EDGE_FEATURE_NAMES, g.edge_attr[k].tolist(), strict=True))


def approx(value: float):
    return pytest.approx(value, rel=1e-6, abs=1e-6)


# ------------------------------------------------------- reference vs hand-computed spec


def test_feature_names_match_module():
    assert can.NODE_FEATURES == NODE_FEATURE_NAMES
    assert can.EDGE_FEATURES == EDGE_FEATURE_NAMES
    assert len(NODE_FEATURE_NAMES) == 40
    assert len(EDGE_FEATURE_NAMES) == 7


def abab() -> CanFrames:
    # A = 0x100 (vocab 5), B = 0x200 (unseen: vocab 0)
    return make_frames(
        ids=[0x100, 0x200, 0x100, 0x200],
        times=[0.0, 0.5, 1.0, 2.0],
        payloads=[[1, 2], [10], [3, 2], [10, 0, 0, 0, 0, 0, 0, 0]],
        dlc=[2, 1, 2, 8],
        vocab={0x100: 5},
    )


def test_reference_abab_hand_computed():
    g = reference_can_graphs(abab(), window=4, stride=4)
    assert g.num_graphs == 1
    np.testing.assert_array_equal(g.node_ptr, [0, 2])
    np.testing.assert_array_equal(g.edge_ptr, [0, 2])
    np.testing.assert_array_equal(g.node_id, [5, 0])
    np.testing.assert_array_equal(g.node_y, [0, 0])
    np.testing.assert_array_equal(g.edge_index, [[0, 1], [1, 0]])
    np.testing.assert_array_equal(g.y, [0])
    np.testing.assert_array_equal(g.attack_code, [0])
    np.testing.assert_array_equal(g.capture, [0])
    np.testing.assert_array_equal(g.start, [0])
    np.testing.assert_array_equal(g.t_start, [0.0])
    np.testing.assert_array_equal(g.t_end, [2.0])

    a = node_row(g, 0)  # A: payloads [1,2,0..], [3,2,0..]; times 0.0, 1.0
    assert a["byte_mean_0"] == 2
    assert a["byte_std_0"] == 1
    assert a["byte_min_0"] == 1
    assert a["byte_max_0"] == 3
    assert a["byte_mean_1"] == 2
    assert a["byte_std_1"] == 0
    assert a["byte_min_1"] == 2
    assert a["byte_max_1"] == 2
    for i in range(2, 8):
        for stat in ("mean", "std", "min", "max"):
            assert a[f"byte_{stat}_{i}"] == 0
    assert a["count"] == 2
    assert a["entropy"] == approx(1.0)  # two distinct bytes per frame: 1 bit each
    assert a["iat_mean"] == approx(1.0)
    assert a["iat_std"] == 0
    assert (a["first_pos"], a["last_pos"]) == (0, 2)
    assert (a["in_degree"], a["out_degree"]) == (1, 1)

    b = node_row(g, 1)  # B: payloads [10,0..] (dlc 1), [10,0,...,0] (dlc 8); times 0.5, 2.0
    assert b["byte_mean_0"] == 10
    assert b["byte_std_0"] == 0
    assert b["byte_min_0"] == 10
    assert b["byte_max_0"] == 10
    assert b["count"] == 2
    h8 = -(1 / 8) * math.log2(1 / 8) - (7 / 8) * math.log2(7 / 8)  # one 10, seven 0s
    assert b["entropy"] == approx((0.0 + h8) / 2)
    assert b["iat_mean"] == approx(1.5)
    assert b["iat_std"] == 0
    assert (b["first_pos"], b["last_pos"]) == (1, 3)
    assert (b["in_degree"], b["out_degree"]) == (1, 1)

    ab = edge_row(g, 0)  # A->B at positions 0 and 2
    assert ab["count"] == 2
    assert ab["frequency"] == approx(2 / 3)
    assert ab["gap_mean"] == 2
    assert ab["gap_std"] == 0
    assert ab["dt_mean"] == approx((0.5 + 1.0) / 2)
    assert ab["reverse"] == 1
    # |10-1| + |0-2| = 11 and |10-3| + |0-2| = 9, each / 8
    assert ab["payload_delta"] == approx((11 / 8 + 9 / 8) / 2)

    ba = edge_row(g, 1)  # B->A at position 1
    assert ba["count"] == 1
    assert ba["frequency"] == approx(1 / 3)
    assert ba["gap_mean"] == 0
    assert ba["gap_std"] == 0
    assert ba["dt_mean"] == approx(0.5)
    assert ba["reverse"] == 1
    assert ba["payload_delta"] == approx(9 / 8)  # |3-10| + |2-0|


def test_reference_self_loop_and_node_order():
    # A = 0x300 sorts after B = 0x010, so B is local node 0 and A local node 1.
    frames = make_frames(
        ids=[0x300, 0x300, 0x300, 0x010],
        times=[0.0, 0.1, 0.4, 0.45],
        payloads=[[0], [4], [8], [1]],
        dlc=[1, 1, 1, 0],
        vocab={0x300: 7, 0x010: 3},
    )
    g = reference_can_graphs(frames, window=4, stride=1)
    np.testing.assert_array_equal(g.node_id, [3, 7])
    # transitions A->A (p=0, 1), A->B (p=2); ordered by (source, target)
    np.testing.assert_array_equal(g.edge_index, [[1, 1], [0, 1]])
    b, a = node_row(g, 0), node_row(g, 1)
    assert (b["in_degree"], b["out_degree"]) == (1, 0)
    assert (a["in_degree"], a["out_degree"]) == (1, 2)  # self-loop counts both ways
    assert a["count"] == 3
    assert b["count"] == 1
    assert a["iat_mean"] == approx(0.2)  # gaps 0.1, 0.3
    assert a["iat_std"] == approx(0.1)
    assert b["iat_mean"] == 0
    assert b["iat_std"] == 0
    assert a["byte_mean_0"] == 4
    assert a["byte_std_0"] == approx(math.sqrt(32 / 3))
    assert a["entropy"] == 0  # dlc <= 1
    assert b["entropy"] == 0  # dlc <= 1
    assert (a["first_pos"], a["last_pos"], b["first_pos"], b["last_pos"]) == (0, 2, 3, 3)
    to_b, loop = edge_row(g, 0), edge_row(g, 1)
    assert to_b["count"] == 1
    assert to_b["reverse"] == 0
    assert to_b["dt_mean"] == approx(0.05)
    assert to_b["payload_delta"] == approx(8 / 8)  # B's byte 1 is beyond dlc 0: zero
    assert loop["count"] == 2
    assert loop["reverse"] == 1
    assert loop["frequency"] == approx(2 / 3)
    assert loop["gap_mean"] == 1
    assert loop["gap_std"] == 0
    assert loop["dt_mean"] == approx(0.2)
    assert loop["payload_delta"] == approx(0.5)  # 4/8 both times


def test_reference_gap_std():
    # A B A B C A B: A->B at positions 0, 2, 5 -> gaps 2, 3
    g = reference_can_graphs(make_frames([1, 2, 1, 2, 3, 1, 2]), window=7, stride=7)
    np.testing.assert_array_equal(g.edge_index, [[0, 1, 1, 2], [1, 0, 2, 0]])
    ab = edge_row(g, 0)
    assert ab["count"] == 3
    assert ab["frequency"] == approx(3 / 6)
    assert ab["gap_mean"] == approx(2.5)
    assert ab["gap_std"] == approx(0.5)
    assert edge_row(g, 1)["reverse"] == 1  # B->A
    assert edge_row(g, 2)["reverse"] == 0  # B->C, no C->B
    assert edge_row(g, 3)["reverse"] == 0  # C->A, no A->C
    c = node_row(g, 2)
    assert (c["in_degree"], c["out_degree"]) == (1, 1)
    b = node_row(g, 1)
    assert (b["in_degree"], b["out_degree"]) == (1, 2)


def test_reference_labels_windows_and_ties():
    frames = make_frames(
        ids=[1, 2, 3, 1, 2, 3, 1, 2],
        times=[0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
        labels=[0, 1, 1, 0, 0, 1, 1, 1],
        codes=[0, 2, 1, 0, 0, 3, 3, 2],
    )
    g = reference_can_graphs(frames, window=4, stride=2)
    np.testing.assert_array_equal(g.start, [0, 2, 4])
    np.testing.assert_array_equal(g.t_start, [0.0, 0.2, 0.4])
    np.testing.assert_array_equal(g.t_end, [0.3, 0.5, 0.7])
    np.testing.assert_array_equal(g.y, [1, 1, 1])
    # codes [2, 1] tie -> 1; [1, 3] tie -> 1; [3, 3, 2] -> 3
    np.testing.assert_array_equal(g.attack_code, [1, 1, 3])
    # window 0: ids 1,2,3,1 -> node 2 (p1) and 3 (p2) attacked
    # window 2: ids 3,1,2,3 -> 3 attacked (p2 and p5), 1 and 2 not
    # window 4: ids 2,3,1,2 -> all attacked (p5 = 3, p6 = 1, p7 = 2)
    np.testing.assert_array_equal(g.node_ptr, [0, 3, 6, 9])
    np.testing.assert_array_equal(g.node_y, [0, 1, 1, 0, 0, 1, 1, 1, 1])

    g3 = reference_can_graphs(frames, window=4, stride=2, min_attack_frames=3)
    np.testing.assert_array_equal(g3.y, [0, 0, 1])
    np.testing.assert_array_equal(g3.attack_code, [0, 0, 3])
    np.testing.assert_array_equal(g3.node_y, g.node_y)  # node labels ignore the threshold


def test_reference_window_count_and_empty():
    g = reference_can_graphs(make_frames([1, 2, 3]), window=4, stride=1)
    assert g.num_graphs == 0
    assert g.x.shape == (0, 40)
    assert g.x.dtype == np.float32
    assert g.edge_attr.shape == (0, 7)
    assert g.edge_index.shape == (2, 0)
    np.testing.assert_array_equal(g.node_ptr, [0])
    np.testing.assert_array_equal(g.edge_ptr, [0])
    # N=10, window 4: stride 3 -> starts 0, 3, 6; stride 5 -> 0, 5 (5+4 <= 10); 4 -> 0, 4
    ids = list(range(10))
    assert reference_can_graphs(make_frames(ids), 4, 3).start.tolist() == [0, 3, 6]
    assert reference_can_graphs(make_frames(ids), 4, 5).start.tolist() == [0, 5]
    assert reference_can_graphs(make_frames(ids), 4, 4).start.tolist() == [0, 4]
    assert reference_can_graphs(make_frames(ids), 10, 1).start.tolist() == [0]


def test_reference_single_id_window():
    g = reference_can_graphs(make_frames([5, 5, 5]), window=3, stride=3)
    np.testing.assert_array_equal(g.edge_index, [[0], [0]])
    assert node_row(g, 0)["in_degree"] == 1
    assert node_row(g, 0)["out_degree"] == 1
    e = edge_row(g, 0)
    assert (e["count"], e["frequency"], e["gap_mean"], e["reverse"]) == (2, 1, 1, 1)


# ------------------------------------------------------------- engine vs reference


class FrameOptions(TypedDict, total=False):
    """Keyword arguments of ``random_frames``."""

    pool_size: int
    max_dlc: int
    attack_rate: float
    unseen_rate: float
    t0: float


SCENARIOS: dict[str, tuple[int, int, int, int, FrameOptions]] = {
    # name: (n, window, stride, min_attack_frames, random_frames kwargs)
    "empty_capture": (0, 4, 1, 1, {}),
    "shorter_than_window": (7, 8, 2, 1, {}),
    "exactly_one_window": (16, 16, 3, 1, {}),
    "dlc_zero_only": (60, 8, 4, 1, {"max_dlc": 0}),
    "single_id": (50, 10, 5, 1, {"pool_size": 1}),
    "overlap_stride_1": (120, 16, 1, 1, {}),
    "overlap_stride_lt_window": (200, 32, 7, 1, {"pool_size": 6}),
    "gaps_stride_gt_window": (200, 8, 21, 1, {}),
    "stride_eq_window": (200, 20, 20, 1, {}),
    "window_2": (40, 2, 1, 1, {"pool_size": 2}),
    "all_unseen_ids": (100, 10, 5, 1, {"unseen_rate": 1.0}),
    "min_attack_frames_3": (200, 16, 4, 3, {"attack_rate": 0.15}),
    "min_attack_frames_gt_window": (100, 8, 4, 9, {"attack_rate": 0.9}),
    "all_attack": (80, 8, 3, 2, {"attack_rate": 1.0}),
    "epoch_timestamps": (150, 12, 5, 1, {"t0": 1_478_198_376.389427}),
    "big_pool": (300, 50, 13, 1, {"pool_size": 40}),
    "large_window": (400, 300, 37, 1, {"pool_size": 12}),
}


@needs_engine
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_engine_matches_reference_scenarios(scenario, seed):
    n, window, stride, min_attack, kwargs = SCENARIOS[scenario]
    frames = random_frames(np.random.default_rng(seed), n, **kwargs)
    expected = check_engine(frames, window, stride, min_attack)
    assert expected.num_graphs == (0 if n < window else (n - window) // stride + 1)


@needs_engine
@pytest.mark.parametrize("make", [abab, lambda: make_frames([0x10, 0x10, 0x20, 0x10, 0x10])])
def test_engine_matches_hand_examples(make):
    frames = make()
    for window in range(2, len(frames) + 1):
        for stride in range(1, len(frames) + 1):
            check_engine(frames, window, stride)


@st.composite
def captures(draw) -> tuple[CanFrames, int, int, int]:
    """A random capture (ids from a small pool, some unseen) with window, stride, threshold."""
    n = draw(st.integers(0, 400))
    top = draw(st.sampled_from([0x7FF, 0x7FF, 0x1FFFFFFF]))  # 11-bit or 29-bit (extended) ids
    pool = draw(
        st.lists(st.integers(0, top), min_size=1, max_size=draw(st.sampled_from([1, 2, 4, 8])))
        .map(set)
        .map(sorted)
    )
    vocab = {i: draw(st.integers(0, 3 * len(pool))) for i in pool}  # 0 = unseen
    which = draw(hnp.arrays(np.int64, n, elements=st.integers(0, len(pool) - 1)))
    ids = np.asarray(pool, dtype=np.int64)[which]
    dlc = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 8)))
    payloads = draw(hnp.arrays(np.uint8, (n, 8)))
    t0 = draw(st.sampled_from([0.0, 12.5, 1_478_198_376.389427]))
    increments = draw(
        hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 1e-4, 2.5e-4, 0.001, 0.0123]))
    )
    times = t0 + np.cumsum(increments)
    labels = draw(hnp.arrays(np.uint8, n, elements=st.integers(0, 1)))
    codes = draw(hnp.arrays(np.int32, n, elements=st.integers(1, 3))) * labels
    frames = make_frames(ids, times, payloads, dlc, labels, codes, vocab)
    window = draw(st.integers(2, max(2, min(64, n + 2))))
    stride = draw(st.integers(1, 2 * window))
    min_attack = draw(st.integers(1, 4))
    return frames, window, stride, min_attack


@needs_engine
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(captures())
def test_engine_matches_reference_property(case):
    frames, window, stride, min_attack = case
    check_engine(frames, window, stride, min_attack)


@needs_engine
def test_engine_matches_reference_extended_ids():
    rng = np.random.default_rng(7)
    base = random_frames(rng, 200, pool_size=5)
    ids = base.arbitration_id + 0x1FFF0000  # 29-bit ids, far beyond any lookup table
    frames = CanFrames(**{**vars(base), "arbitration_id": ids})
    check_engine(frames, 16, 5)


@needs_engine
def test_engine_matches_reference_in_many_chunks(monkeypatch):
    """The engine builds windows in chunks of frames; force tiny chunks (a window or two)."""
    monkeypatch.setattr(can, "CHUNK_FRAMES", 24)
    for seed, (n, window, stride) in enumerate([(200, 8, 3), (150, 20, 20), (90, 5, 11)]):
        frames = random_frames(np.random.default_rng(seed), n, pool_size=6)
        check_engine(frames, window, stride, 2)


@given(hnp.arrays(np.int64, st.integers(1, 300), elements=st.integers(0, 2**40)))
@settings(max_examples=50, deadline=None)
def test_packed_unique_matches_numpy(keys):
    expected_keys, expected_inverse = np.unique(keys, return_inverse=True)
    got_keys, got_inverse = can._unique_inverse(keys)
    np.testing.assert_array_equal(got_keys, expected_keys)
    np.testing.assert_array_equal(got_inverse, expected_inverse)


def test_packed_unique_falls_back_for_keys_too_wide_to_pack():
    keys = np.array([2**62, 3, 2**62, 0], dtype=np.int64)
    got_keys, got_inverse = can._unique_inverse(keys)
    np.testing.assert_array_equal(got_keys, [0, 3, 2**62])
    np.testing.assert_array_equal(got_inverse, [2, 1, 2, 0])
