"""Progress bars that stay readable both in a terminal and in a SLURM log."""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm


def bar(total: float | None, desc: str, unit: str = "it", **kwargs: Any) -> tqdm:
    """A tqdm bar with rate and ETA; in a log file it updates every 30 s, not every tick."""
    interactive = sys.stderr.isatty()
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        unit_scale=True,
        mininterval=0.5 if interactive else 30.0,
        delay=1.0,  # work that ends within a second leaves no bar behind
        dynamic_ncols=interactive,
        leave=True,
        **kwargs,
    )
