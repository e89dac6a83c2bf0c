"""S3 access shared by upload, compaction and queries: URIs, clients, error messages.

Endpoint and region come from params (``lakehouse.endpoint_url``, ``lakehouse.region``) or
the standard AWS variables; credentials only ever from the environment (or an AWS profile).
Checksums are computed and validated only when required: Cloudflare R2 and ``rclone serve
s3`` do not return the CRC checksums newer botocore versions otherwise insist on.
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import botocore.exceptions
from botocore.config import Config

from kdgat.errors import LakehouseError

CHECKSUMS = {
    "request_checksum_calculation": "when_required",
    "response_checksum_validation": "when_required",
}
CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
)
UNREACHABLE = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectionClosedError,
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.ReadTimeoutError,
)
CREDENTIALS = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403", "Forbidden"}
TRANSIENT = {"SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout", "503", "500"}


def parse_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ("bucket", "some/prefix")."""
    if not uri.startswith("s3://") or not uri[5:].split("/")[0]:
        raise LakehouseError(
            f"lakehouse uri {uri!r} is not of the form s3://bucket[/prefix]; "
            "fix lakehouse.uri in params.yaml"
        )
    bucket, _, prefix = uri[5:].partition("/")
    return bucket, prefix.strip("/")


def endpoint(endpoint_url: str | None) -> str | None:
    """The endpoint given, else ``AWS_ENDPOINT_URL_S3``, else ``AWS_ENDPOINT_URL`` (or None)."""
    return (
        endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    )


def region(name: str | None) -> str | None:
    """The region given, else ``AWS_REGION``, else ``AWS_DEFAULT_REGION`` (or None)."""
    return name or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


def client(endpoint_url: str | None, region_name: str | None, timeout_s: float = 10) -> Any:
    """A boto3 S3 client that fails fast (the caller retries with its own backoff).

    Shared by calls with the same settings and the same credentials in the environment
    (creating one loads botocore's service models: about half a second).
    """
    identity = tuple(os.environ.get(k, "") for k in CREDENTIAL_VARIABLES)
    return _client(endpoint(endpoint_url), region(region_name), timeout_s, identity)


@functools.lru_cache(maxsize=8)
def _client(
    endpoint_url: str | None, region_name: str | None, timeout_s: float, identity: tuple[str, ...]
) -> Any:
    import boto3

    config = Config(
        retries={"max_attempts": 1, "mode": "standard"},
        connect_timeout=timeout_s,
        read_timeout=max(timeout_s, 60),
        max_pool_connections=16,
        **CHECKSUMS,
    )
    # A session of its own: boto3's default session keeps the credentials it found first.
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url, region_name=region_name, config=config
    )


def filesystem(endpoint_url: str | None, region_name: str | None) -> Any:
    """An s3fs filesystem without a listing cache (exports change under it).

    Shared by calls with the same settings and the same credentials in the environment.
    """
    identity = tuple(os.environ.get(k, "") for k in CREDENTIAL_VARIABLES)
    return _filesystem(endpoint(endpoint_url), region(region_name), identity)


@functools.lru_cache(maxsize=8)
def _filesystem(
    endpoint_url: str | None, region_name: str | None, identity: tuple[str, ...]
) -> Any:
    import s3fs

    return s3fs.S3FileSystem(
        endpoint_url=endpoint_url,
        client_kwargs={"region_name": region_name},
        config_kwargs={**CHECKSUMS, "connect_timeout": 10, "retries": {"max_attempts": 3}},
        skip_instance_cache=True,
        use_listings_cache=False,
    )


def _split(root: str) -> tuple[str, str]:
    bucket, _, prefix = root.partition("/")
    return bucket, (prefix + "/" if prefix else "")


def list_objects(
    endpoint_url: str | None, region_name: str | None, root: str, folder: str
) -> dict[str, Any]:
    """Relative key -> LastModified of every object under ``root/folder``."""
    bucket, prefix = _split(root)
    pages = client(endpoint_url, region_name).get_paginator("list_objects_v2")
    try:
        return {
            obj["Key"][len(prefix) :]: obj["LastModified"]
            for page in pages.paginate(Bucket=bucket, Prefix=prefix + folder)
            for obj in page.get("Contents", [])
        }
    except Exception as err:
        raise LakehouseError(f"s3://{root}: {describe(err, endpoint_url, bucket)[0]}") from None


def get_objects(
    endpoint_url: str | None, region_name: str | None, root: str, rels: list[str]
) -> dict[str, bytes]:
    """``root/rel`` (root: "bucket[/prefix]") of every rel, fetched by a pool of threads."""
    bucket, prefix = _split(root)
    s3 = client(endpoint_url, region_name)

    def get(rel: str) -> bytes:
        return bytes(s3.get_object(Bucket=bucket, Key=prefix + rel)["Body"].read())

    try:
        with ThreadPoolExecutor(max(1, min(8, len(rels)))) as pool:
            return dict(zip(rels, pool.map(get, rels), strict=True))
    except Exception as err:
        problem, _ = describe(err, endpoint_url, bucket)
        raise LakehouseError(f"s3://{root}: cannot read the lakehouse: {problem}") from None


def delete_objects(
    endpoint_url: str | None, region_name: str | None, root: str, rels: list[str]
) -> None:
    """Delete ``root/rel`` of every rel, 1000 keys a request (the most S3 accepts)."""
    bucket, prefix = _split(root)
    s3 = client(endpoint_url, region_name)
    for start in range(0, len(rels), 1000):  # the most one request may delete
        keys = [{"Key": prefix + rel} for rel in rels[start : start + 1000]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})


def describe(err: BaseException, endpoint_url: str | None, bucket: str) -> tuple[str, bool]:
    """A message naming the cause and the fix, and whether trying again can help."""
    err = _unwrap(err)
    where = endpoint(endpoint_url) or "the default AWS endpoint"
    if isinstance(err, UNREACHABLE):
        return f"cannot reach the S3 server at {where} ({err})", True
    if isinstance(
        err, botocore.exceptions.NoCredentialsError | botocore.exceptions.PartialCredentialsError
    ):
        return (
            "no S3 credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            "(or AWS_PROFILE) in the environment",
            False,
        )
    if isinstance(err, botocore.exceptions.ClientError):
        code = str(err.response.get("Error", {}).get("Code", ""))
        if code in CREDENTIALS:
            return (
                f"{where} refused the credentials ({code}); check AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY",
                False,
            )
        if code in {"NoSuchBucket", "404", "NotFound"}:
            return f"bucket {bucket!r} does not exist at {where}; create it first", False
        return f"{where} answered {code}: {err}", code in TRANSIENT
    return f"{type(err).__name__}: {err}", False


def _unwrap(err: BaseException) -> BaseException:
    """boto3's S3UploadFailedError hides the ClientError it was raised from."""
    inner = err.__cause__ or err.__context__
    if type(err).__name__ == "S3UploadFailedError" and inner is not None:
        return inner
    return err
