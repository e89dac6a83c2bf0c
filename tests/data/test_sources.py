"""Sources: linking local data, resumable verified downloads from a real local HTTP server."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from kdgat.config import DatasetEntry
from kdgat.data.sources import download, fetch, verify_checksums
from kdgat.errors import SourceError

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB


class _RangeHandler(BaseHTTPRequestHandler):
    """Serves PAYLOAD with Range support; the first request can be cut off half-way."""

    cut_next: ClassVar[bool] = False
    requests: ClassVar[list[str | None]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.headers.get("Range"))
        start = (
            int(self.headers["Range"].split("=")[1].rstrip("-")) if self.headers.get("Range") else 0
        )
        body = PAYLOAD[start:]
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if type(self).cut_next:
            type(self).cut_next = False
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.close()  # the client sees a short read
            return
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _RangeHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _RangeHandler.requests = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_download_resumes_after_a_cut_and_never_leaves_a_partial_final_file(
    server: str, tmp_path: Path
) -> None:
    target = tmp_path / "capture.csv"
    _RangeHandler.cut_next = True
    with pytest.raises(SourceError, match="run the same command again to resume"):
        download(f"{server}/capture.csv", target)
    assert not target.exists()
    (partial,) = tmp_path.glob("capture.csv.*.part")  # named by file and URL
    assert 0 < partial.stat().st_size < len(PAYLOAD)
    download(f"{server}/capture.csv", target)
    assert target.read_bytes() == PAYLOAD
    assert not partial.exists()
    assert _RangeHandler.requests[-1] == f"bytes={len(PAYLOAD) // 2}-"


def test_fetch_https_verifies_the_checksum(server: str, tmp_path: Path) -> None:
    good = hashlib.sha256(PAYLOAD).hexdigest()
    entry = DatasetEntry(
        domain="can",
        format="can_csv",
        source=f"{server}/c.csv",
        sha256={"c.csv": good},
        train=["*"],
        test={"t": ["*"]},
    )
    assert [p.name for p in fetch(entry, tmp_path / "raw")] == ["c.csv"]
    wrong = entry.model_copy(update={"sha256": {"c.csv": "0" * 64}})
    with pytest.raises(SourceError, match=r"does not match 0+ of the catalog"):
        fetch(wrong, tmp_path / "raw2")
    assert not (tmp_path / "raw2").exists()


def test_fetch_links_a_local_folder(shared_data: Path, tmp_path: Path) -> None:
    entry = DatasetEntry(
        domain="can", format="parquet", source=str(shared_data), train=["*"], test={"t": ["*"]}
    )
    files = fetch(entry, tmp_path / "raw")
    assert len(files) == 10
    assert all(f.is_symlink() for f in files)


def test_fetch_local_glob_and_missing_source(write, tmp_path: Path) -> None:
    write("src/a.csv", "x")
    write("src/b.txt", "y")
    entry = DatasetEntry(
        domain="can",
        format="can_csv",
        source=str(tmp_path / "src" / "*.csv"),
        train=["*"],
        test={"t": ["*"]},
    )
    assert [p.name for p in fetch(entry, tmp_path / "raw")] == ["a.csv"]
    missing = entry.model_copy(update={"source": str(tmp_path / "nowhere")})
    with pytest.raises(SourceError, match="no files found"):
        fetch(missing, tmp_path / "raw3")


def test_checksum_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="listed in sha256 but missing"):
        verify_checksums(tmp_path, {"gone.csv": "0" * 64})


def test_hf_source_failure_is_a_source_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # no network here: the hub client must fail cleanly
    entry = DatasetEntry(
        domain="can",
        format="parquet",
        source="hf://no-such-org/no-such-dataset",
        train=["*.parquet"],
        test={"t": ["test_*"]},
    )
    with pytest.raises(SourceError, match="hf://no-such-org/no-such-dataset: download failed"):
        fetch(entry, tmp_path / "raw")
    assert not (tmp_path / "raw").exists()


def test_synth_is_not_fetched(tmp_path: Path) -> None:
    entry = DatasetEntry(
        domain="can", format="can_csv", source="synth", train=["*"], test={"t": ["*"]}
    )
    with pytest.raises(SourceError, match="dvc repro synth"):
        fetch(entry, tmp_path / "raw")


def test_hf_fetch_leaves_the_hub_clients_cache_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client's .cache/ must not reach data/raw: DVC would track it with the data."""
    import huggingface_hub

    def snapshot(repo: str, local_dir: Path, **_: object) -> None:
        (Path(local_dir) / "train_01.parquet").write_bytes(b"data")
        (Path(local_dir) / ".cache/huggingface/download").mkdir(parents=True)
        (Path(local_dir) / ".cache/huggingface/download/train_01.parquet.metadata").write_text("x")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot)
    entry = DatasetEntry(
        domain="can", format="parquet", source="hf://org/set", train=["*"], test={"t": ["*"]}
    )
    assert [p.name for p in fetch(entry, tmp_path / "raw", root=tmp_path)] == ["train_01.parquet"]
    assert not (tmp_path / "raw/.cache").exists()
