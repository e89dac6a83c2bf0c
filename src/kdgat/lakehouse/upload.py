"""Copy a local export to S3: retried, verified, manifest last.

Readers only trust files a manifest lists, so the data files go first (each checked
against the server's size and ETag), and the manifest goes last: a reader never sees a
half-written export. An upload that fails leaves the local export as it was.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from kdgat.config import LakehouseParams
from kdgat.errors import LakehouseError
from kdgat.lakehouse import s3
from kdgat.lakehouse.export import MANIFESTS
from kdgat.lakehouse.ids import md5_file

MIB = 1024 * 1024
T = TypeVar("T")


class UploadError(LakehouseError):
    """The export could not be copied to S3 (the local copy is untouched)."""


class VerifyError(Exception):
    """The server holds different bytes than were sent (retried like a network error)."""


@dataclass(frozen=True)
class Transfer:
    """How files are sent: attempts with exponential backoff; multipart above a size."""

    # Retry defaults are params.yaml's (``lakehouse.attempts``, ``lakehouse.backoff_s``).
    attempts: int = LakehouseParams.model_fields["attempts"].default
    backoff_s: float = LakehouseParams.model_fields["backoff_s"].default
    multipart_threshold: int = 64 * MIB
    part_size: int = 16 * MIB  # S3 and R2 need parts of at least 5 MiB
    threads: int = 8


DEFAULT_TRANSFER = Transfer()


@dataclass(frozen=True)
class Target:
    """Where an upload goes: bucket, key prefix, endpoint (named in errors) and client."""

    bucket: str
    prefix: str
    endpoint_url: str | None
    client: Any

    def key(self, rel: str) -> str:
        """The object key of the export file at ``rel``."""
        return f"{self.prefix}/{rel}" if self.prefix else rel


def upload_export(
    local: Path,
    uri: str,
    endpoint_url: str | None = None,
    region: str | None = None,
    transfer: Transfer = DEFAULT_TRANSFER,
) -> dict[str, Any]:
    """Upload every manifest of ``local`` and its files to ``uri``; return what was sent."""
    manifests = sorted((local / MANIFESTS).glob("*.json"))
    if not manifests:
        raise LakehouseError(f"{local}: no export found (no {MANIFESTS}/*.json); run kdgat export")
    bucket, prefix = s3.parse_uri(uri)
    target = Target(bucket, prefix, endpoint_url, s3.client(endpoint_url, region))
    started = time.perf_counter()
    _retrying(
        target, transfer, f"bucket {bucket}", lambda: target.client.head_bucket(Bucket=bucket)
    )
    sent = 0
    for path in manifests:
        sent += upload_manifest(local, path, target, transfer)
    return {
        "uri": uri,
        "manifests": [p.name for p in manifests],
        "bytes": sent,
        "seconds": round(time.perf_counter() - started, 3),
    }


def upload_manifest(local: Path, path: Path, target: Target, transfer: Transfer) -> int:
    """The data files of one manifest (in parallel), then the manifest itself."""
    manifest = json.loads(path.read_text())
    files = manifest["files"]
    for entry in files:
        if md5_file(local / entry["path"]) != entry["md5"]:
            raise LakehouseError(
                f"{local / entry['path']}: changed since it was exported; re-run kdgat export"
            )

    def send(entry: dict[str, Any]) -> None:
        upload_file(local / entry["path"], entry["path"], target, transfer)

    with ThreadPoolExecutor(transfer.threads) as pool:
        list(pool.map(send, files))
    upload_file(path, f"{MANIFESTS}/{path.name}", target, transfer)
    return sum(int(e["bytes"]) for e in files) + path.stat().st_size


def upload_file(path: Path, rel: str, target: Target, transfer: Transfer) -> None:
    """One file, multipart when large, retried until the server's size and ETag match."""
    from boto3.s3.transfer import TransferConfig

    key = target.key(rel)
    part = max(transfer.part_size, 5 * MIB)
    config = TransferConfig(
        multipart_threshold=transfer.multipart_threshold, multipart_chunksize=part
    )
    expected = expected_etags(
        path, part if path.stat().st_size >= transfer.multipart_threshold else None
    )

    def attempt() -> None:
        target.client.upload_file(str(path), target.bucket, key, Config=config)
        head = target.client.head_object(Bucket=target.bucket, Key=key)
        etag = str(head.get("ETag", "")).strip('"')
        if head["ContentLength"] != path.stat().st_size or etag not in expected:
            raise VerifyError(
                f"s3://{target.bucket}/{key}: server has {head['ContentLength']} bytes, "
                f"ETag {etag}; sent {path.stat().st_size} bytes, ETag one of {sorted(expected)}"
            )

    _retrying(target, transfer, f"s3://{target.bucket}/{key}", attempt)


def expected_etags(path: Path, part_size: int | None) -> set[str]:
    """The ETags a server may report for ``path`` once uploaded.

    The whole file's MD5, and for a multipart upload S3's md5-of-part-md5s-N form
    (servers differ: AWS and R2 return the latter, rclone the former).
    """
    whole = md5_file(path)
    if part_size is None:
        return {whole}
    digests = []
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(part_size), b""):
            digests.append(hashlib.md5(block).digest())
    return {whole, f"{hashlib.md5(b''.join(digests)).hexdigest()}-{len(digests)}"}


def _retrying(target: Target, transfer: Transfer, what: str, action: Callable[[], T]) -> T:
    """Run ``action``; retry what can pass on a later try (network, 5xx, verification)."""
    for attempt in range(1, transfer.attempts + 1):
        try:
            return action()
        except VerifyError as err:
            problem, retryable = str(err), True
        except Exception as err:
            problem, retryable = s3.describe(err, target.endpoint_url, target.bucket)
        if not retryable or attempt == transfer.attempts:
            tries = f" after {attempt} attempts" if attempt > 1 else ""
            raise UploadError(f"{what}: {problem}{tries}")
        time.sleep(transfer.backoff_s * 2 ** (attempt - 1))
    raise AssertionError("unreachable")  # the loop returns or raises
