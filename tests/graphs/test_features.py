"""Named feature columns: the slot of every feature is its position in the names list."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from kdgat.graphs import can, flows
from kdgat.graphs.features import slots


def test_numbered_names_become_one_slice() -> None:
    assert slots(["a_0", "a_1", "b", "c_0", "c_1", "c_2"]) == {
        "a": slice(0, 2),
        "b": 2,
        "c": slice(3, 6),
    }


@pytest.mark.parametrize(
    ("names", "problem"),
    [(["a", "a"], "listed twice"), (["a_1"], "does not continue"), (["a_0", "b", "a_1"], "a_0")],
)
def test_repeated_or_broken_names_are_refused(names: list[str], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        slots(names)


@pytest.mark.parametrize(
    ("slots_of", "names"),
    [
        (can.NODE, can.NODE_FEATURES),
        (can.EDGE, can.EDGE_FEATURES),
        (flows.NODE, flows.NODE_FEATURES),
    ],
)
def test_every_slot_points_at_its_own_names(slots_of: Any, names: list[str]) -> None:
    covered: list[str] = []
    for field in fields(slots_of):
        column = getattr(slots_of, field.name)
        picked = names[column] if isinstance(column, slice) else [names[column]]
        assert all(name.startswith(field.name) for name in picked)
        covered += picked
    assert covered == names


def test_can_slots_match_the_documented_columns() -> None:
    assert can.NODE.byte_mean == slice(0, 8)
    assert can.NODE.byte_max == slice(24, 32)
    assert (can.NODE.count, can.NODE.out_degree) == (32, 39)
    assert (can.EDGE.count, can.EDGE.payload_delta) == (0, 6)
