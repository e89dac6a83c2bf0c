"""Downloads are complete or refused; archives never write outside their folder."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import py7zr
import pytest

from kdgat.config import DatasetEntry
from kdgat.data.archives import extract
from kdgat.data.sources import fetch
from kdgat.errors import SourceError


class _Handler(BaseHTTPRequestHandler):
    """Serves ``body``; ``length`` False sends no Content-Length (the end is the close)."""

    body: ClassVar[bytes] = b""
    length: ClassVar[bool] = True

    def do_GET(self) -> None:
        self.send_response(200)
        if type(self).length:
            self.send_header("Content-Length", str(len(type(self).body)))
        self.end_headers()
        self.wfile.write(type(self).body)
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def entry(source: str) -> DatasetEntry:
    return DatasetEntry(
        domain="can", format="can_csv", source=source, train=["*"], test={"t": ["*"]}
    )


def test_first_fetch_records_checksums_and_later_fetches_are_held_to_them(
    server: str, tmp_path: Path
) -> None:
    _Handler.body, _Handler.length = b"timestamp,arbitration_id,data_field,attack\n", False
    raw = tmp_path / "data" / "raw" / "web"
    fetch(entry(f"{server}/capture.csv"), raw, root=tmp_path)
    lock = json.loads((tmp_path / "data" / "sources.lock").read_text())
    assert set(lock["web"]["sha256"]) == {"capture.csv"}
    _Handler.body = _Handler.body[:10]  # the server now sends less, and says nothing of it
    with pytest.raises(SourceError, match="recorded at the first fetch"):
        fetch(entry(f"{server}/capture.csv"), raw, root=tmp_path)
    assert (raw / "capture.csv").read_bytes().startswith(b"timestamp,arbitration_id")


def zip_with(name: str, data: bytes = b"x", link: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        info = zipfile.ZipInfo(name)
        if link:
            info.external_attr = 0o120777 << 16  # a symbolic link's mode
        zf.writestr(info, data)
    return buffer.getvalue()


def tar_with(member: tarfile.TarInfo, data: bytes = b"x") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        member.size = len(data) if member.isfile() else 0
        tf.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return buffer.getvalue()


def sevenzip_with(name: str, data: bytes = b"x") -> bytes:
    buffer = io.BytesIO()
    with py7zr.SevenZipFile(buffer, "w") as sz:
        sz._writestr(data, name)  # the private call skips py7zr's own name check, as a forger would
    return buffer.getvalue()


def sevenzip_link(tmp: Path) -> bytes:
    """A 7z whose capture.csv is a symbolic link to /etc/passwd."""
    link = tmp / "made" / "capture.csv"
    link.parent.mkdir()
    link.symlink_to("/etc/passwd")
    buffer = io.BytesIO()
    with py7zr.SevenZipFile(buffer, "w") as sz:
        sz.write(link, "capture.csv")
    return buffer.getvalue()


def symlink(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info


@pytest.mark.parametrize(
    ("name", "archive", "why"),
    [
        ("slip.zip", zip_with("../../evil.csv"), "points outside"),
        ("absolute.zip", zip_with("/tmp/evil.csv"), "points outside"),
        ("drive.zip", zip_with("C:/evil.csv"), "points outside"),
        ("link.zip", zip_with("capture.csv", b"/etc/passwd", link=True), "symbolic link"),
        ("slip.tar.gz", tar_with(tarfile.TarInfo("../evil.csv")), "points outside"),
        ("link.tar.gz", tar_with(symlink("capture.csv", "/etc/passwd")), "link or a special"),
        ("junk.zip", b"PK\x03\x04 not really a zip", "not a readable archive"),
        ("slip.7z", sevenzip_with("../evil.csv"), "points outside"),
        ("absolute.7z", sevenzip_with("/tmp/evil.csv"), "points outside"),
        ("junk.7z", b"7z\xbc\xaf\x27\x1c not really a 7z", "not a readable archive"),
        ("junk.csv.gz", b"\x1f\x8b not really gzip", "not a readable archive"),
    ],
)
def test_hostile_archives_are_refused_before_anything_is_written(
    tmp_path: Path, name: str, archive: bytes, why: str
) -> None:
    path = tmp_path / name
    path.write_bytes(archive)
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(SourceError, match=why):
        extract(path, dest)
    assert list(dest.iterdir()) == []
    assert not (tmp_path.parent / "evil.csv").exists()


def test_a_7z_symlink_member_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "link.7z"
    path.write_bytes(sevenzip_link(tmp_path))
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(SourceError, match=r"'capture\.csv' is a symbolic link"):
        extract(path, dest)
    assert list(dest.iterdir()) == []


def test_a_member_outside_is_named_in_the_refusal(tmp_path: Path) -> None:
    path = tmp_path / "slip.7z"
    path.write_bytes(sevenzip_with("road/../../evil.csv"))
    with pytest.raises(SourceError, match=r"member 'road/\.\./\.\./evil\.csv'"):
        extract(path, tmp_path / "dest")


def test_a_good_7z_and_a_single_gz_unpack(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with py7zr.SevenZipFile(buffer, "w") as sz:
        sz.writestr(b"(1.0) can0 0D0#00\n", "road/attacks/fuzzing_attack_1.log")
        sz.writestr(b"{}", "road/attacks/capture_metadata.json")
    (tmp_path / "road.7z").write_bytes(buffer.getvalue())
    (tmp_path / "capture.log.gz").write_bytes(gzip.compress(b"(1.0) can0 0D0#00\n"))
    dest = tmp_path / "dest"
    extract(tmp_path / "road.7z", dest)
    extract(tmp_path / "capture.log.gz", dest)
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == [
        "capture.log",
        "road/attacks/capture_metadata.json",
        "road/attacks/fuzzing_attack_1.log",
    ]
    assert (dest / "capture.log").read_bytes() == b"(1.0) can0 0D0#00\n"


def test_a_fetched_zip_is_unpacked(server: str, tmp_path: Path) -> None:
    _Handler.body, _Handler.length = zip_with("set/train_01__a.csv", b"rows"), True
    raw = tmp_path / "data" / "raw" / "zipped"
    files = fetch(entry(f"{server}/set.zip"), raw, root=tmp_path)
    assert [p.relative_to(raw).as_posix() for p in files] == ["set/train_01__a.csv"]


def test_a_fetched_archive_keeps_its_checksum_and_a_hostile_one_changes_nothing(
    server: str, tmp_path: Path
) -> None:
    """End to end over HTTP: the lock holds the archive's sha256; other bytes later are
    refused with the earlier fetch intact, and an archive with a member outside its
    folder is refused before its dataset folder exists."""
    good = zip_with("set/train_01__a.csv", b"rows")
    _Handler.body, _Handler.length = good, True
    raw = tmp_path / "data" / "raw"
    fetch(entry(f"{server}/set.zip"), raw / "zipped", root=tmp_path)
    lock = json.loads((tmp_path / "data" / "sources.lock").read_text())
    assert lock["zipped"]["sha256"] == {"set.zip": hashlib.sha256(good).hexdigest()}
    _Handler.body = zip_with("set/train_01__a.csv", b"other rows")
    with pytest.raises(SourceError, match="recorded at the first fetch"):
        fetch(entry(f"{server}/set.zip"), raw / "zipped", root=tmp_path)
    _Handler.body = zip_with("../../evil.csv")
    with pytest.raises(SourceError, match="outside"):
        fetch(entry(f"{server}/evil.zip"), raw / "hostile", root=tmp_path)
    assert (raw / "zipped" / "set" / "train_01__a.csv").read_bytes() == b"rows"
    assert not (raw / "hostile").exists()
    assert not list(tmp_path.rglob("evil.csv"))
