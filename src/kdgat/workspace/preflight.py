"""Before any data moves: does the remote exist, answer, and accept the credentials?

DVC reports a refused key as "unexpected error - Forbidden" after retrying for
a while; here the remote is asked once, with short timeouts, and every way it
can fail becomes one message naming the remote and the fix. Nothing here
touches the local cache.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kdgat.errors import RemoteError
from kdgat.workspace.dvc import open_repo, read_config

PREFLIGHT_TIMEOUT_S = 5  # a remote that does not answer in 5 s is reported, not waited on

SETUP_FIX = (
    "`kdgat remote local` (a folder, no account) or "
    "`kdgat remote r2 --account-id ID --bucket B --default`"
)
CREDENTIALS_FIX = (
    "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (an R2 API token with Object Read & "
    "Write), or store them for this clone only: "
    "`kdgat remote r2 --account-id ID --bucket B --local --access-key-id K --secret-access-key S`"
)


@dataclass(frozen=True)
class Remote:
    """A configured remote as DVC resolves it."""

    name: str
    url: str  # s3://bucket/prefix, or the folder (absolute)
    path: str  # what DVC addresses: an absolute folder, or bucket/prefix
    scheme: str  # "local", "s3", ...
    endpoint: str | None = None


def resolve(root: Path, name: str | None = None) -> Remote:
    """The named remote, or the default one; a clear error when there is none."""
    conf = read_config(root)
    remotes: dict[str, Any] = conf.get("remote", {})
    name = name or conf.get("core", {}).get("remote")
    if not name:
        defined = ", ".join(sorted(remotes))
        hint = f" (defined: {defined}; pick one: `dvc remote default NAME`)" if remotes else ""
        raise RemoteError(
            f"{root / '.dvc/config'}: no default DVC remote{hint}; "
            f"fix: {SETUP_FIX}, or name one with --remote NAME"
        )
    if name not in remotes:
        raise RemoteError(
            f"remote {name!r} is not defined in .dvc/config or .dvc/config.local "
            f"(defined: {', '.join(sorted(remotes)) or 'none'}); fix: {SETUP_FIX}"
        )
    url = str(remotes[name]["url"])  # DVC has made a relative folder absolute already
    scheme, sep, rest = url.partition("://")
    if not sep:
        return Remote(name, url, str(Path(url).expanduser()), "local")
    return Remote(name, url, rest, scheme, remotes[name].get("endpointurl"))


def check(
    root: Path, name: str | None = None, *, need_data: bool = False, create: bool = True
) -> Remote:
    """Make sure the remote answers before any data moves; raise RemoteError with the fix.

    ``need_data``: the remote must already exist (a pull from a folder never pushed to);
    ``create``: make a missing remote folder (for a push), else leave the disk alone.
    Nothing here writes to the local cache, so a failed check leaves it as it was.
    """
    remote = resolve(root, name)
    if remote.scheme == "local":
        _check_folder(remote, need_data, create)
    elif remote.scheme == "s3":
        _check_s3(root, remote)
    return remote


def _check_folder(remote: Remote, need_data: bool, create: bool) -> None:
    folder = Path(remote.path)
    if not create and not need_data:
        return
    if need_data and not folder.is_dir():
        raise RemoteError(
            f"remote {remote.name!r} is the folder {folder}, which does not exist: nothing was "
            "pushed there yet; fix: `kdgat push` on the machine that has the data, or point "
            "the remote at the right folder with `kdgat remote local --path PATH`"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RemoteError(
            f"remote {remote.name!r}: cannot create the folder {folder} ({err.strerror}); "
            "fix: `kdgat remote local --path PATH` with a folder you can write"
        ) from err


def _check_s3(root: Path, remote: Remote) -> None:
    """List one key under the remote's prefix: proves endpoint, credentials and bucket."""
    from dvc.fs import get_cloud_fs
    from s3fs import S3FileSystem

    for chatty in ("aiobotocore", "botocore"):  # "Found credentials in ..." is not news
        logging.getLogger(chatty).setLevel(logging.WARNING)
    with open_repo(root) as repo:
        cls, config, _ = get_cloud_fs(repo.config, name=remote.name)
    bucket, _, prefix = remote.path.partition("/")
    try:
        # DVC's own translation of the remote's config (keys, endpoint, region, profile)...
        args = dict(cls(**config).fs_args)
        # ...asked once, without botocore's retries: a dead endpoint fails in seconds.
        args["config_kwargs"] = {
            **(args.get("config_kwargs") or {}),
            "connect_timeout": PREFLIGHT_TIMEOUT_S,
            "read_timeout": 15,
            "retries": {"max_attempts": 1},
        }
        s3 = S3FileSystem(**{**args, "skip_instance_cache": True})
        s3.retries = 1
        s3.call_s3("list_objects_v2", Bucket=bucket, Prefix=prefix, MaxKeys=1)
    except Exception as err:  # botocore, s3fs and aiohttp errors alike: explained below
        raise explain(err, remote) from err


def explain(err: BaseException, remote: Remote) -> RemoteError:
    """One message with the fix, for the ways an S3 remote fails."""
    text = f"{type(err).__name__}: {err}"
    at = f" at {remote.endpoint or 'AWS S3'}" if remote.scheme == "s3" else ""
    where = f"remote {remote.name!r} ({remote.url}{at})"
    if re.search(r"EndpointConnection|ConnectTimeout|Connect call failed|ConnectionError", text):
        return RemoteError(
            f"{where}: cannot reach the endpoint ({err}); fix: check the network / VPN and that "
            f"the server runs, or correct it: `dvc remote modify {remote.name} endpointurl URL`"
        )
    if re.search(r"NoCredentials|Unable to locate credentials|PartialCredentials", text):
        return RemoteError(f"{where}: no complete credentials ({err}); fix: {CREDENTIALS_FIX}")
    if re.search(r"NoSuchBucket|FileNotFoundError|specified bucket does not exist", text):
        return RemoteError(
            f"{where}: the bucket does not exist; fix: create it (Cloudflare dashboard → R2 → "
            "Create bucket) or correct the name with `kdgat remote r2 --bucket NAME`"
        )
    if re.search(
        r"PermissionError|Forbidden|AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|403",
        text,
    ):
        return RemoteError(f"{where}: the credentials were refused ({err}); fix: {CREDENTIALS_FIX}")
    return RemoteError(f"{where}: {text}; fix: `kdgat doctor` shows what the remote holds")
