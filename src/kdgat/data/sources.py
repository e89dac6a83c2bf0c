"""Bring a dataset's raw files into ``data/raw/<dataset>/``.

Local folders and globs are linked (never copied: raw captures are large and
read-only), https files are downloaded with resume, ``hf://<repo>`` datasets
come through huggingface_hub. Files listed in the entry's ``sha256`` are
verified before use, and nothing half-downloaded ever has its final name.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import requests
from filelock import FileLock
from tqdm import tqdm

from kdgat.config import DatasetEntry
from kdgat.data import archives
from kdgat.errors import SourceError
from kdgat.io import MARKER, read_json, replace_dir, write_json
from kdgat.layout import Layout

log = logging.getLogger(__name__)
CHUNK = 1 << 16  # small, so a cut connection loses little of what it delivered


def fetch(entry: DatasetEntry, dest: Path, force: bool = False, root: Path = Path()) -> list[Path]:
    """Materialise the entry's source in ``dest``; return the files there.

    ``dest`` is replaced only if it is an earlier fetch (``force``: an older kdgat's).
    A relative local ``source`` must stay inside the repository ``root`` or its
    parent's ``shared/`` folder; an absolute one is taken as meant.
    """
    source = entry.source
    if source == "synth":
        raise SourceError(
            f"{dest}: the synthetic dataset is made by `dvc repro synth`, not fetched"
        )
    remote = source.startswith(("https://", "http://", "hf://"))
    with replace_dir(dest, "raw", force=force, inputs=[] if remote else [root / source]) as tmp:
        if source.startswith(("https://", "http://")):
            _fetch_url(entry, dest, tmp, Layout(root).sources_lock)
        elif source.startswith("hf://"):
            _fetch_hf(source.removeprefix("hf://"), entry, tmp)
            trust(dest.name, entry, tmp, Layout(root).sources_lock)
        else:
            _link_local(source, tmp, root)
            verify_checksums(tmp, entry.sha256)
    return [dest / name for name in fetched_files(dest)]


def fetched_files(folder: Path) -> list[str]:
    """The data files under ``folder``, relative; not the Hub client's own ``.cache/``."""
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != MARKER and ".cache" not in p.relative_to(folder).parts
    )


def _lock_entry(known: object) -> bool:
    return (
        isinstance(known, dict)
        and isinstance(known.get("source"), str)
        and isinstance(known.get("sha256"), dict)
    )


def _fetch_url(entry: DatasetEntry, dest: Path, tmp: Path, lock: Path) -> None:
    """Download the entry's file, check it, and unpack it if it is an archive."""
    downloads = dest.parent / ".downloads"
    name = Path(urlparse(entry.source).path).name
    file = download(entry.source, downloads / name, downloads)
    trust(dest.name, entry, downloads, lock, only=[name])
    if archives.is_archive(file):
        archives.extract(file, tmp)
        file.unlink()
    else:
        shutil.move(file, tmp / name)


def trust(
    dataset: str, entry: DatasetEntry, folder: Path, lock: Path, only: list[str] | None = None
) -> None:
    """Check fetched files against the catalog's sha256, else against ``lock`` (or record them).

    Trust on first use, as ``dvc import-url`` does: the first fetch of a remote source
    without checksums records them in the lock (commit it), and every later fetch must
    match. ``only``: the files to check (default: every file under ``folder``).
    """
    if entry.sha256:
        verify_checksums(folder, entry.sha256)
        return
    names = only or fetched_files(folder)
    with FileLock(str(lock.with_name(f".{lock.name}.lock"))):  # two fetches at once lose none
        recorded = read_json(lock, f"restore {lock.name} from git") if lock.is_file() else {}
        known = recorded.get(dataset) if isinstance(recorded, dict) else None
        if not isinstance(recorded, dict) or (known is not None and not _lock_entry(known)):
            raise SourceError(f"{lock}: not a kdgat sources lock; restore it from git")
        if known is not None and known["source"] == entry.source:
            verify_checksums(folder, known["sha256"], f"{lock} (recorded at the first fetch)")
            return
        recorded[dataset] = {
            "source": entry.source,
            "sha256": {n: sha256_of(folder / n) for n in names},
        }
        write_json(lock, recorded)
    log.warning(
        "%s: first fetch of %s; recorded the sha256 of %d files in %s: commit it, so that "
        "every later fetch is checked against them",
        dataset,
        entry.source,
        len(names),
        lock,
    )


def download(url: str, target: Path, resume_dir: Path | None = None) -> Path:
    """Download ``url`` to ``target``, resuming a previous partial download.

    The partial file is ``<name>.part`` in ``resume_dir`` (default: beside the
    target), where it survives a failed attempt; it gets the final name only
    once complete.
    """
    # Named by the URL too: another dataset's file of the same name must not be resumed into.
    key = hashlib.sha256(url.encode()).hexdigest()[:12]
    part = (resume_dir or target.parent) / f"{target.name}.{key}.part"
    part.parent.mkdir(parents=True, exist_ok=True)
    offset = part.stat().st_size if part.exists() else 0
    # identity: Content-Length then counts the bytes written (requests would gunzip them).
    headers = {"Accept-Encoding": "identity", **({"Range": f"bytes={offset}-"} if offset else {})}
    try:
        with requests.get(url, headers=headers, stream=True, timeout=60) as response:
            if response.status_code == 416:  # already complete
                pass
            else:
                response.raise_for_status()
                if offset and response.status_code != 206:  # server ignored Range: start over
                    offset = 0
                _stream(response, part, offset)
    except requests.RequestException as err:
        raise SourceError(
            f"{url}: download failed ({err}); run the same command again to resume "
            f"from {part.stat().st_size if part.exists() else 0} bytes"
        ) from err
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(part, target)
    return target


def _stream(response: requests.Response, part: Path, offset: int) -> None:
    length = response.headers.get("Content-Length")
    total = int(length) + offset if length is not None else 0
    with (
        part.open("ab" if offset else "wb") as out,
        tqdm(total=total or None, initial=offset, unit="B", unit_scale=True, desc=part.stem) as bar,
    ):
        for chunk in response.iter_content(CHUNK):
            out.write(chunk)
            bar.update(len(chunk))
    if length is not None and part.stat().st_size != total:  # the server said how much
        raise requests.ConnectionError(
            f"the connection ended at {part.stat().st_size} of {total} bytes"
        )


def _fetch_hf(repo: str, entry: DatasetEntry, tmp: Path) -> None:
    from huggingface_hub import snapshot_download

    patterns = [*entry.train, *entry.validation, *(g for v in entry.test.values() for g in v)]
    try:
        snapshot_download(repo, repo_type="dataset", local_dir=tmp, allow_patterns=patterns)
    except Exception as err:  # the hub raises many types; all mean "could not fetch"
        raise SourceError(
            f"hf://{repo}: download failed ({err}); check the repo id and network"
        ) from err
    # The client's download metadata: not data, and DVC would track it with the files.
    shutil.rmtree(tmp / ".cache", ignore_errors=True)


def _link_local(source: str, tmp: Path, root: Path) -> None:
    path = Path(source) if Path(source).is_absolute() else root / source
    if path.is_dir():
        files = [p for p in path.rglob("*") if p.is_file()]
        base = path
    else:
        # glob.glob, not Path.glob: the pattern may be absolute or start with ".."
        matches = sorted(glob.glob(str(path), recursive=True))  # noqa: PTH207
        files = [Path(p) for p in matches if Path(p).is_file()]
        base = Path(os.path.commonpath([p.parent for p in files])) if files else path.parent
    if not files:
        raise SourceError(f"{source}: no files found; fix `source` in data/catalog.yaml")
    if not Path(source).is_absolute():
        _check_inside(source, files, root)
    for file in files:
        link = tmp / file.relative_to(base)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(file.resolve())


def _check_inside(source: str, files: list[Path], root: Path) -> None:
    """A relative source (and every file it links, links resolved) stays in the allowed roots."""
    allowed = (root.resolve(), (root.resolve().parent / "shared").resolve())
    for file in files:
        real = file.resolve()
        if not any(real == base or base in real.parents for base in allowed):
            raise SourceError(
                f"{source}: {file} resolves to {real}, outside the repository and "
                f"{allowed[1]}; a relative source must stay inside them. Fix: move the "
                "data there, or give `source` as an absolute path if you mean that folder"
            )


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks so a large capture never sits in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_checksums(root: Path, expected: dict[str, str], where: str = "the catalog") -> None:
    """Check every file named in ``expected`` (relative to ``root``); ``where`` they come from."""
    for name, digest in expected.items():
        path = root / name
        if not path.exists():
            raise SourceError(f"{path}: listed in sha256 but missing; fetch the dataset again")
        actual = sha256_of(path)
        if actual != digest.lower():
            raise SourceError(
                f"{path}: sha256 {actual} does not match {digest} of {where}; "
                "the file is corrupt or changed: delete it and fetch again"
            )
