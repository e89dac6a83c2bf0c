"""The ingest manifest (``data/processed/<ds>/manifest.json``), checked before a stage trusts it.

A manifest can be cut short by a full disk, edited by hand or come from a newer
kdgat: every way it can be wrong is an error naming the file, the field and the
stage that writes it again, never a traceback deep inside graph building.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from kdgat.data.schema import SCHEMA_VERSION
from kdgat.errors import KdgatError
from kdgat.io import read_json

FIELDS = {"name": str, "split": str, "file": str, "rows": int}


def read_manifest(path: Path, dataset: str) -> dict[str, Any]:
    """The manifest at ``path``, every capture's file present and of the rows it says."""
    fix = f"run `dvc repro ingest@{dataset}` (or `dvc checkout ingest@{dataset}`)"
    manifest = read_json(path, fix)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("captures"), list):
        raise KdgatError(f"{path}: not an ingest manifest (no list of captures); {fix}")
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        raise KdgatError(
            f"{path}: schema_version {version!r}, this kdgat reads {SCHEMA_VERSION}; "
            f"use the kdgat that wrote it, or {fix}"
        )
    for i, capture in enumerate(manifest["captures"]):
        _check_capture(path, i, capture, fix)
    return manifest


def _check_capture(path: Path, i: int, capture: Any, fix: str) -> None:
    where = f"{path}: captures[{i}]"
    if not isinstance(capture, dict):
        raise KdgatError(f"{where} is not an object; {fix}")
    for key, kind in FIELDS.items():
        value = capture.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise KdgatError(f"{where}.{key} is {value!r}, not a {kind.__name__}; {fix}")
    root = path.parent.resolve()
    file = (path.parent / capture["file"]).resolve()
    if root not in file.parents:
        raise KdgatError(f"{where}.file {capture['file']!r} is outside {path.parent}; {fix}")
    try:
        rows = pq.read_metadata(file).num_rows
    except (OSError, pa.ArrowInvalid) as err:
        raise KdgatError(f"{where}: {file} is missing or not Parquet ({err}); {fix}") from None
    if rows != capture["rows"]:
        raise KdgatError(
            f"{where}: {file} holds {rows} rows, the manifest says {capture['rows']}; {fix}"
        )
