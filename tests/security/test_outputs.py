"""Outputs never destroy what kdgat did not write (kdgat.io.replace_dir and its callers)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from kdgat.data.ingest import ingest_files
from kdgat.errors import OutputError, ValidationError
from kdgat.io import MARKER, STAGING, leftovers, output_kind, remove_leftovers, replace_dir


def write_output(final: Path, text: str = "new", **options) -> None:
    with replace_dir(final, "processed", **options) as tmp:
        (tmp / "data.txt").write_text(text)


def write_then_fail(final: Path) -> None:
    with replace_dir(final, "processed") as tmp:
        (tmp / "data.txt").write_text("half")
        raise RuntimeError("killed")


def test_a_new_folder_is_written_with_its_marker_and_rewritten(tmp_path: Path) -> None:
    final = tmp_path / "out"
    write_output(final, "first")
    write_output(final, "second")
    assert (final / "data.txt").read_text() == "second"
    assert output_kind(final) == "processed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging left behind


def test_an_unrelated_folder_is_refused_and_kept(tmp_path: Path) -> None:
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "chapter1.tex").write_text("years of work")
    with pytest.raises(OutputError, match=r"thesis: exists and is not a kdgat processed output"):
        write_output(thesis)
    assert (thesis / "chapter1.tex").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis"]


def test_another_kind_of_output_is_refused(tmp_path: Path) -> None:
    with replace_dir(tmp_path / "graphs", "graphs") as tmp:
        (tmp / "x").write_text("graphs")
    with pytest.raises(OutputError, match="not a kdgat processed output"):
        write_output(tmp_path / "graphs")
    assert output_kind(tmp_path / "graphs") == "graphs"


def test_force_replaces_an_older_output_without_marker(tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    (old / "manifest.json").write_text("{}")
    write_output(old, force=True)
    assert sorted(p.name for p in old.iterdir()) == [MARKER, "data.txt"]


def test_an_empty_folder_is_used(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    write_output(tmp_path / "empty")
    assert output_kind(tmp_path / "empty") == "processed"


def test_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep")
    with pytest.raises(OutputError, match=r"notes\.txt: exists and is not a folder"):
        write_output(tmp_path / "notes.txt", force=True)
    assert (tmp_path / "notes.txt").read_text() == "keep"


def test_a_symlink_is_refused(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(OutputError, match="not a folder"):
        write_output(tmp_path / "link", force=True)


@pytest.mark.parametrize("target", [".", "..", "repo"])
def test_the_working_directory_its_parents_and_repositories_are_refused_even_forced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    work = tmp_path / "work"
    (work / "repo" / ".git").mkdir(parents=True)
    (work / "keep.txt").write_text("keep")
    monkeypatch.chdir(work)
    with pytest.raises(OutputError, match="kdgat never replaces it"):
        write_output(Path(target), force=True)
    assert (work / "keep.txt").read_text() == "keep"
    assert (work / "repo" / ".git").is_dir()


def test_a_folder_holding_an_input_is_refused_even_forced(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    capture = raw / "capture.csv"
    capture.write_text("frames")
    for target in (raw, tmp_path):
        with pytest.raises(OutputError, match=r"holds the input .*capture.csv"):
            write_output(target, force=True, inputs=[capture])
    assert capture.read_text() == "frames"


def test_an_input_reached_through_a_link_is_refused(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "c.csv").write_text("frames")
    (tmp_path / "alias.csv").symlink_to(tmp_path / "real" / "c.csv")
    with pytest.raises(OutputError, match="holds the input"):
        write_output(tmp_path / "real", force=True, inputs=[tmp_path / "alias.csv"])


def test_a_failed_write_keeps_the_previous_output(tmp_path: Path) -> None:
    final = tmp_path / "out"
    write_output(final, "good")
    with pytest.raises(RuntimeError, match="killed"):
        write_then_fail(final)
    assert (final / "data.txt").read_text() == "good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_two_concurrent_writers_never_both_succeed_with_one_lost(tmp_path: Path) -> None:
    final = tmp_path / "out"
    staged = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def writer(name: str) -> None:
        try:
            with replace_dir(final, "processed") as tmp:
                (tmp / "data.txt").write_text(name)
                staged.wait()  # both have checked the target and staged their output
        except OutputError as err:
            outcomes[name] = f"error: {err}"
        else:
            outcomes[name] = "ok"

    for previous in (False, True):  # into a new folder, then over an earlier output
        if previous:
            write_output(final, "earlier")
        outcomes.clear()
        threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [n for n, outcome in outcomes.items() if outcome == "ok"]
        assert len(winners) == 1, outcomes
        assert (final / "data.txt").read_text() == winners[0]
        loser = ({"a", "b"} - set(winners)).pop()
        assert "another process wrote it while this one was staging" in outcomes[loser]


def test_a_killed_writers_staging_is_removed_by_the_next_run(tmp_path: Path) -> None:
    final = tmp_path / "out"
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from kdgat.io import replace_dir\n"
        "with replace_dir(Path(sys.argv[1]), 'processed') as tmp:\n"
        "    (tmp / 'big').write_bytes(b'x' * 1000)\n"
        "    os._exit(9)\n"  # killed mid-write: no cleanup runs
    )
    subprocess.run([sys.executable, "-c", script, str(final)], check=False)
    stale = leftovers(tmp_path)
    assert len(stale) == 1
    assert stale[0].name.startswith(f".out{STAGING}")
    write_output(final)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_live_writers_staging_is_left_alone(tmp_path: Path) -> None:
    live = tmp_path / f".out{STAGING}{os.getpid()}-{os.uname().nodename}~abc"
    live.mkdir()
    assert leftovers(tmp_path) == []
    assert remove_leftovers(tmp_path) == []
    assert live.is_dir()


def test_a_failed_ingest_keeps_its_bad_rows_where_the_message_says(tmp_path: Path) -> None:
    capture = tmp_path / "train_01__dos-1.csv"
    lines = ["timestamp,arbitration_id,data_field,attack"]
    lines += [f"{i / 100:.2f},{'1e5' if i % 2 else 'zz'},00,0" for i in range(20)]
    capture.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    with pytest.raises(ValidationError) as err:
        ingest_files([capture], "can_csv", out, "adhoc", max_bad_fraction=0.1)
    kept = tmp_path / "out.rejected" / "train_01__dos-1.parquet"
    assert f"Every bad row and its reason: {kept}" in str(err.value)
    assert pq.read_table(kept).num_rows == 10
    assert not out.exists()


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB file system filled to its last few kilobytes (a real ENOSPC, not a mock)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        (disk / "filler").write_bytes(b"\0" * (1024 * 1024 - 8 * 1024))
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_a_full_disk_is_one_clear_error_and_leaves_nothing(tmp_path: Path, full_disk: Path) -> None:
    capture = tmp_path / "train_01__dos-1.csv"
    rows = [
        f"{i / 1000:.3f},{i % 2047:x},{i % 256:02X}{i % 251:02X}0011223344AA,0"
        for i in range(50_000)
    ]
    capture.write_text("timestamp,arbitration_id,data_field,attack\n" + "\n".join(rows) + "\n")
    out = full_disk / "out"
    args = ["ingest", "--format", "can_csv", "--out", str(out), str(capture)]
    result = subprocess.run(
        [sys.executable, "-m", "kdgat.cli", *args], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("error: "), result.stderr
    assert "the disk or your quota is full" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler"]  # no staging left
