"""A lakehouse location (local folder or ``s3://bucket/prefix``) and the exports it holds.

The manifests under ``_manifests/`` say which files are complete: a reader uses only files
that a live manifest lists. A manifest is live unless another one (a compaction) names it
in ``replaces``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kdgat.errors import LakehouseError
from kdgat.lakehouse import s3
from kdgat.lakehouse.export import FORMAT, MANIFESTS
from kdgat.lakehouse.tables import SCHEMA_VERSION, SCHEMAS


@dataclass(frozen=True)
class Lakehouse:
    """Where a lakehouse lives: a local folder, or a bucket and prefix on S3 (via boto3)."""

    root: str  # "/abs/folder" or "bucket/prefix"
    scheme: str = ""  # "" (local) or "s3://"
    endpoint_url: str | None = None
    region: str | None = None

    @property
    def uri(self) -> str:
        """The location as the user writes it: a folder, or ``s3://bucket/prefix``."""
        return f"{self.scheme}{self.root}"

    def url(self, rel: str) -> str:
        """A local path, or an s3:// URL."""
        return f"{self.scheme}{self.root}/{rel}"

    def listing(self, folder: str = "") -> dict[str, Any]:
        """Relative path -> last-modified of every file under ``folder`` (recursive)."""
        if self.scheme:
            return s3.list_objects(self.endpoint_url, self.region, self.root, folder)
        base = Path(self.root)
        return {
            p.relative_to(base).as_posix(): p.stat().st_mtime_ns
            for p in (base / folder).rglob("*")
            if p.is_file() and not p.name.startswith(".")
        }

    def read(self, rels: list[str]) -> dict[str, bytes]:
        """The bytes of every relative path (fetched concurrently on S3)."""
        if self.scheme:
            return s3.get_objects(self.endpoint_url, self.region, self.root, rels)
        return {rel: (Path(self.root) / rel).read_bytes() for rel in rels}

    def delete(self, rels: list[str]) -> None:
        """Delete files by relative path; one already gone is not an error."""
        if self.scheme:
            s3.delete_objects(self.endpoint_url, self.region, self.root, rels)
            return
        for rel in rels:
            (Path(self.root) / rel).unlink(missing_ok=True)


def open_lakehouse(
    location: str | Path, endpoint_url: str | None = None, region: str | None = None
) -> Lakehouse:
    """A local folder, or ``s3://bucket[/prefix]`` (endpoint/region: params or environment)."""
    text = str(location)
    if text.startswith("s3://"):
        bucket, prefix = s3.parse_uri(text)
        root = f"{bucket}/{prefix}" if prefix else bucket
        return Lakehouse(root, "s3://", endpoint_url, region)
    return Lakehouse(str(Path(text).resolve()))


def load_manifests(lake: Lakehouse) -> list[dict[str, Any]]:
    """Every manifest of the lakehouse, checked."""
    try:
        paths = sorted(p for p in lake.listing(MANIFESTS) if p.endswith(".json"))
        blobs = lake.read(paths)
    except FileNotFoundError:
        return []
    manifests = []
    for path in paths:
        where = lake.url(path)
        try:
            manifest = json.loads(blobs[path])
        except ValueError as err:  # UnicodeDecodeError too
            raise LakehouseError(
                f"{where}: not valid JSON ({err}): cut short or damaged; delete it and "
                "run `kdgat export` again"
            ) from None
        check(manifest, where)
        manifests.append(manifest)
    return manifests


def check(manifest: Any, where: str) -> None:
    """Refuse a manifest that is not kdgat's or needs a newer kdgat to read it."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise LakehouseError(
            f"{where}: not a kdgat lakehouse manifest; delete it and run `kdgat export` again"
        )
    version = manifest.get("schema_version", 0)
    if not isinstance(version, int):
        raise LakehouseError(f"{where}: schema_version {version!r} is not a number; delete it")
    if version > SCHEMA_VERSION:
        raise LakehouseError(
            f"{where}: written with lakehouse schema {version}, this kdgat reads up to "
            f"{SCHEMA_VERSION}; upgrade kdgat (pip install -U kdgat / git pull)"
        )


def live(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Manifests not replaced by a compaction."""
    replaced = {eid for m in manifests for eid in m.get("replaces", [])}
    return [m for m in manifests if m["export_id"] not in replaced]


def files_by_table(manifests: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Table -> the relative paths of its files in live manifests (each once)."""
    files: dict[str, set[str]] = {table: set() for table in SCHEMAS}
    for manifest in live(manifests):
        for entry in manifest["files"]:
            if entry["table"] in files:
                files[entry["table"]].add(entry["path"])
    return {table: sorted(paths) for table, paths in files.items()}
