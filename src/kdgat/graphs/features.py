"""Named feature columns, so builders write ``x[:, NODE.count]`` rather than ``x[:, 32]``.

A builder lists its feature names once (``NODE_FEATURES``) and declares a frozen
dataclass with one field per feature; ``slots(NODE_FEATURES)`` fills it. A run of
names ``stem_0 .. stem_k`` is one field ``stem`` holding a ``slice``. Constructing
the dataclass fails at import when the names and the fields disagree, so the two
lists cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_NUMBERED = re.compile(r"^(?P<stem>.+)_(?P<index>\d+)$")


def slots(names: Sequence[str]) -> dict[str, Any]:
    """Column of every feature by name: an ``int``, or a ``slice`` for ``stem_0 .. stem_k``.

    Args:
        names: Feature names in column order; numbered names of one stem must be
            consecutive and start at 0.

    Returns:
        Field name -> column (``int``) or columns (``slice``), in column order.

    Raises:
        ValueError: A name repeats, or a numbered run is out of order.
    """
    found: dict[str, Any] = {}
    for column, name in enumerate(names):
        match = _NUMBERED.match(name)
        if match is None:
            _add(found, name, column)
            continue
        stem, index = match["stem"], int(match["index"])
        run = found.get(stem)
        if index == 0:
            _add(found, stem, slice(column, column + 1))
        elif isinstance(run, slice) and run.stop == column and run.stop - run.start == index:
            found[stem] = slice(run.start, column + 1)
        else:
            raise ValueError(f"feature {name!r} (column {column}) does not continue {stem}_0..")
    return found


def _add(found: dict[str, Any], name: str, column: int | slice) -> None:
    if name in found:
        raise ValueError(f"feature {name!r} is listed twice")
    found[name] = column
