"""Raw formats, one module each, all normalised to the canonical raw tables.

A format is a ``read(path, batch_rows)`` generator of ``RAW_FRAME`` batches
(CAN) or raw flow batches (``FLOW_FIXED`` columns plus ``f_*`` features).
Modules are imported on first use, so the CLI starts fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyarrow as pa

from kdgat.errors import ConfigError

Reader = Callable[[Path, int], Iterator[pa.Table]]
Domain = Literal["can", "netflow"]


@dataclass(frozen=True)
class Format:
    """A raw format: its domain and the module (and function) that reads it."""

    name: str
    domain: Domain
    module: str
    function: str = "read"

    @property
    def read(self) -> Reader:
        """The reader, imported on first use: a format's dependencies load only when it is read."""
        module = importlib.import_module(f"kdgat.data.formats.{self.module}")
        reader: Reader = getattr(module, self.function)
        return reader


FORMATS: dict[str, Format] = {
    f.name: f
    for f in [
        Format("can_csv", "can", "can_csv"),
        Format("parquet", "can", "parquet"),
        Format("hcrl_car_hacking", "can", "hcrl_car_hacking"),
        Format("candump", "can", "vehicle_logs", "read_candump"),
        Format("asc", "can", "vehicle_logs", "read_asc"),
        Format("blf", "can", "vehicle_logs", "read_blf"),
        Format("netflow_cicids", "netflow", "netflow_cicids"),
        Format("netflow_unsw", "netflow", "netflow_unsw"),
        Format("road", "can", "road"),
        Format("can_mirgu", "can", "can_mirgu"),
    ]
}


def get_format(name: str) -> Format:
    """Look a format up by name; an unknown name lists the known ones."""
    try:
        return FORMATS[name]
    except KeyError:
        raise ConfigError(
            f"unknown format {name!r}; allowed: {', '.join(sorted(FORMATS))}"
        ) from None
