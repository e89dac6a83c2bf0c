"""Inference latency, in milliseconds per item (graph or window) of a timed call.

Plain numpy: the non-graph baseline times itself without importing torch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

REPEATS = 5


def ms_per_item(call: Callable[[], Any], items: int) -> float:
    """Median over ``REPEATS`` timed calls of ``call()``, divided by the items it handles.

    One untimed call first: the first pass pays for lazy initialisation.
    """
    call()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) / max(items, 1) * 1000
