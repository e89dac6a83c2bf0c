"""The kdgat command, in-process (``kdgat.cli.run``): bad arguments, files, folders and names."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

import kdgat.cli as cli

from .cases import (
    T0,
    Case,
    Error,
    Quarantine,
    Usage,
    assert_accounted,
    check_message,
    files_under,
    table,
)

REPO = Path(__file__).resolve().parents[2]
CSV_HEADER = "timestamp,arbitration_id,data_field,attack"


@dataclass
class Command:
    """What a case runs, and what to check besides the outcome.

    ``blame``: what an error message must name. ``check``: run after the command (folders
    left intact, no file created by a hostile name). ``rows``/``out``/``name``: for a
    successful ad-hoc ingest, the records the case wrote, the output folder, the capture.
    """

    args: list[str]
    blame: Path | str | None = None
    says: tuple[str, ...] = ()
    check: Callable[[], None] | None = None
    rows: int = 0
    out: Path | None = None
    name: str = ""


Build = Callable[[Path], Command]


def params(tmp: Path, change: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """The repository's params.yaml, changed, in ``tmp``."""
    path = tmp / "params.yaml"
    if change is None:
        shutil.copy(REPO / "params.yaml", path)
        return path
    doc = yaml.safe_load((REPO / "params.yaml").read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def catalog(tmp: Path) -> Path:
    path = tmp / "data" / "catalog.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "data" / "catalog.yaml", path)
    return path


def max_bad(fraction: float) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        doc["ingest"]["max_bad_fraction"] = fraction

    return change


def csv_capture(
    path: Path, good: int = 9, bad_at: tuple[int, ...] = (5,), shuffle: bool = False
) -> int:
    """A can_csv capture; ``bad_at``: line numbers of bad rows. Returns the record count."""
    rows = [f"{T0 + i * 0.01:.6f},{0x100 + i % 5:03x},{i % 256:02X}00,0" for i in range(good)]
    for line in bad_at:
        rows.insert(line - 2, f"{T0:.6f},1e5,ZZ,0")
    if shuffle:
        rows[0], rows[-1] = rows[-1], rows[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([CSV_HEADER, *rows]) + "\n")
    return len(rows)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in files_under(folder)}


def intact(folder: Path, before: dict[str, bytes]) -> Callable[[], None]:
    def check() -> None:
        assert folder.is_dir(), f"{folder} was removed"
        assert snapshot(folder) == before, f"{folder} was changed"

    return check


def adhoc(tmp: Path, out: Path | str, *files: Path | str, fraction: float = 1.0) -> list[str]:
    p = params(tmp, max_bad(fraction))
    return [
        "ingest",
        "--format",
        "can_csv",
        "--out",
        str(out),
        "--params",
        str(p),
        *map(str, files),
    ]


def not_created(*paths: Path) -> Callable[[], None]:
    def check() -> None:
        for path in paths:
            assert not path.exists(), f"{path} was created"

    return check


# --- cases ---------------------------------------------------------------------------------


def ingest_missing_file(tmp: Path) -> Command:
    missing = tmp / "missing.csv"
    return Command(adhoc(tmp, tmp / "out", missing), missing, check=not_created(tmp / "out"))


def ingest_symlink_loop(tmp: Path) -> Command:
    loop = tmp / "loop.csv"
    loop.symlink_to(tmp / "loop2.csv")
    (tmp / "loop2.csv").symlink_to(loop)
    return Command(adhoc(tmp, tmp / "out", loop), loop, check=not_created(tmp / "out"))


def ingest_folder_as_file(tmp: Path) -> Command:
    folder = tmp / "captures.csv"
    folder.mkdir()
    return Command(
        adhoc(tmp, tmp / "out", folder),
        folder,
        ("folder|director",),
        check=not_created(tmp / "out"),
    )


def ingest_binary_file(tmp: Path) -> Command:
    path = tmp / "capture.csv"
    path.write_bytes(bytes(range(256)) * 4)
    return Command(adhoc(tmp, tmp / "out", path), path, check=not_created(tmp / "out"))


def ingest_quote_in_name(tmp: Path) -> Command:
    """A capture named ``it's`` (out of order, so DuckDB re-sorts it) with one bad row."""
    path = tmp / "it's.csv"
    rows = csv_capture(path, bad_at=(4,), shuffle=True)
    out = tmp / "out"
    return Command(adhoc(tmp, out, path), rows=rows, out=out, name="it's")


def ingest_unicode_and_spaces_in_name(tmp: Path) -> Command:
    path = tmp / "my drive ü.csv"
    rows = csv_capture(path, bad_at=(6,))
    out = tmp / "out"
    return Command(adhoc(tmp, out, path), rows=rows, out=out, name="my drive ü")


def ingest_leading_dash_name(tmp: Path) -> Command:
    path = tmp / "-x.csv"
    rows = csv_capture(path, bad_at=(3,))
    out = tmp / "out"
    args = adhoc(tmp, out)
    return Command([*args, "--", str(path)], rows=rows, out=out, name="-x")


def ingest_max_bad_fraction_honoured(tmp: Path) -> Command:
    """params says 0.2: a capture with 1 bad row in 10 is ingested, the row quarantined."""
    path = tmp / "c.csv"
    rows = csv_capture(path, bad_at=(5,))
    out = tmp / "out"
    return Command(adhoc(tmp, out, path, fraction=0.2), rows=rows, out=out, name="c")


def ingest_max_bad_fraction_exceeded(tmp: Path) -> Command:
    """params says 0.05: 2 bad rows in 11 fail the capture, and nothing is written."""
    path = tmp / "c.csv"
    csv_capture(path, bad_at=(3, 7))
    out = tmp / "out"
    return Command(
        adhoc(tmp, out, path, fraction=0.05),
        path,
        ("max_bad_fraction",),
        check=not_created(out),
    )


def ingest_out_unrelated_folder(tmp: Path) -> Command:
    out = tmp / "thesis"
    (out / "chapters").mkdir(parents=True)
    (out / "chapters" / "intro.tex").write_text("\\chapter{Introduction}\n")
    (out / "notes.txt").write_text("do not delete\n")
    path = tmp / "c.csv"
    csv_capture(path)
    return Command(adhoc(tmp, out, path), out, check=intact(out, snapshot(out)))


def ingest_out_dot(tmp: Path) -> Command:
    work = tmp / "work"
    path = work / "c.csv"
    csv_capture(path)
    (work / "keep.txt").write_text("mine\n")
    os.chdir(work)
    return Command(adhoc(tmp, ".", path), None, check=intact(work, snapshot(work)))


def ingest_out_is_a_file(tmp: Path) -> Command:
    out = tmp / "results.txt"
    out.write_text("precious\n")
    path = tmp / "c.csv"
    csv_capture(path)

    def check() -> None:
        assert out.read_text() == "precious\n", f"{out} was changed"

    return Command(adhoc(tmp, out, path), out, check=check)


def ingest_out_holds_the_input(tmp: Path) -> Command:
    raw = tmp / "raw"
    path = raw / "c.csv"
    csv_capture(path)
    return Command(adhoc(tmp, raw, path), raw, check=intact(raw, snapshot(raw)))


def ingest_out_is_a_symlink(tmp: Path) -> Command:
    target = tmp / "elsewhere"
    target.mkdir()
    (target / "data.bin").write_bytes(b"\x00\x01")
    out = tmp / "out"
    out.symlink_to(target)
    path = tmp / "c.csv"
    csv_capture(path)
    return Command(adhoc(tmp, out, path), out, check=intact(target, snapshot(target)))


def ingest_same_capture_name(tmp: Path) -> Command:
    first, second = tmp / "a.csv", tmp / "a.v2.csv"
    csv_capture(first)
    csv_capture(second)
    return Command(
        adhoc(tmp, tmp / "out", first, second), None, ("name",), check=not_created(tmp / "out")
    )


def ingest_unknown_format(tmp: Path) -> Command:
    path = tmp / "c.pcap"
    path.write_bytes(b"\xd4\xc3\xb2\xa1")
    args = ["ingest", "--format", "pcap", "--out", str(tmp / "out"), "--params", str(params(tmp))]
    args.append(str(path))
    return Command(args, None, ("pcap",), check=not_created(tmp / "out"))


def ingest_adhoc_without_out(tmp: Path) -> Command:
    path = tmp / "c.csv"
    csv_capture(path)
    return Command(["ingest", "--format", "can_csv", str(path)], None, ("--out",))


def ingest_hostile_dataset(tmp: Path) -> Command:
    args = ["ingest", "a;touch x", "--params", str(params(tmp)), "--catalog", str(catalog(tmp))]
    return Command(args, None, ("a;touch x",), check=not_created(tmp / "x"))


def ingest_dataset_without_raw_data(tmp: Path) -> Command:
    args = ["ingest", "synth", "--params", str(params(tmp)), "--catalog", str(catalog(tmp))]
    return Command(args, "data/raw/synth", check=not_created(tmp / "data" / "processed"))


def params_folder(tmp: Path) -> Command:
    folder = tmp / "params.yaml"
    folder.mkdir()
    return Command(["check-config", "--params", str(folder)], folder, ("folder|director",))


def params_not_utf8(tmp: Path) -> Command:
    path = tmp / "params.yaml"
    path.write_bytes((REPO / "params.yaml").read_bytes() + b"# \xe9t\xe9\n")
    return Command(
        ["check-config", "--params", str(path), "--catalog", str(catalog(tmp))], path, ("utf-?8",)
    )


def params_missing(tmp: Path) -> Command:
    path = tmp / "nope.yaml"
    return Command(["check-config", "--params", str(path)], path, ("not found|no such",))


def check_config(change: Callable[[dict[str, Any]], None], *says: str) -> Build:
    def build(tmp: Path) -> Command:
        p = params(tmp, change)
        return Command(
            ["check-config", "--params", str(p), "--catalog", str(catalog(tmp))], p, says
        )

    return build


def dataset_not_in_catalog(tmp: Path) -> Command:
    """params.yaml names a dataset the catalog lacks: the error names the catalog."""
    p, c = params(tmp, set_key("datasets", ["nope"])), catalog(tmp)
    return Command(["check-config", "--params", str(p), "--catalog", str(c)], c)


def hpo_space(space: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        doc["hpo"]["space"] = space

    return change


def set_key(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        doc[key] = value

    return change


def duplicate_key(tmp: Path) -> Command:
    p = params(tmp)
    text = p.read_text()
    p.write_text(text + "seed: 7\n")
    first = next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith("seed:"))
    second = len(text.splitlines()) + 1
    args = ["check-config", "--params", str(p), "--catalog", str(catalog(tmp))]
    return Command(args, p, ("seed", rf"\b{first}\b.*\b{second}\b"))


def stage(*args: str, creates: str = "x") -> Build:
    def build(tmp: Path) -> Command:
        argv = [*args, "--params", str(params(tmp))]
        return Command(argv, None, (re.escape(args[-1]),), check=not_created(tmp / creates))

    return build


def graphs_before_ingest(tmp: Path) -> Command:
    manifest = Path("data/processed/synth/manifest.json")
    return Command(
        ["graphs", "synth", "--params", str(params(tmp))],
        manifest,
        ("not found|missing",),
        check=not_created(tmp / "data" / "graphs"),
    )


def graphs_truncated_manifest(tmp: Path) -> Command:
    manifest = tmp / "data" / "processed" / "synth" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text('{"schema_version": 1, "domain": "can", "captures": [{"name": "a", "sp')
    return Command(
        ["graphs", "synth", "--params", str(params(tmp))],
        Path("data/processed/synth/manifest.json"),
        check=not_created(tmp / "data" / "graphs"),
    )


def fetch_hostile(tmp: Path) -> Command:
    args = ["fetch", "../x", "--catalog", str(catalog(tmp))]
    return Command(args, None, (r"\.\./x",), check=not_created(tmp.parent / "x"))


def train_unknown_model(tmp: Path) -> Command:
    return Command(["train", "resnet", "synth", "--params", str(params(tmp))], None, ("resnet",))


def usage(*args: str) -> Build:
    return lambda tmp: Command(list(args))


CLI = [
    Case("cli_unknown_command_benchmarks", usage("benchmarks"), Usage("benchmarks")),
    Case("cli_unknown_option", usage("ingest", "--frmat", "can_csv"), Usage("frmat")),
    Case("cli_missing_argument", usage("graphs"), Usage("DATASET|missing")),
    Case(
        "cli_bad_option_value",
        usage("hpo", "run", "--study", "s", "--n-trials", "many"),
        Usage("many|n-trials"),
    ),
    Case("cli_ingest_missing_file", ingest_missing_file, Error("not found|no such|missing")),
    Case("cli_ingest_symlink_loop", ingest_symlink_loop, Error("link|loop")),
    Case("cli_ingest_folder_as_file", ingest_folder_as_file, Error("")),
    Case("cli_ingest_binary_file", ingest_binary_file, Error("")),
    Case("cli_ingest_quote_in_file_name", ingest_quote_in_name, Quarantine((4,))),
    Case("cli_ingest_unicode_file_name", ingest_unicode_and_spaces_in_name, Quarantine((6,))),
    Case("cli_ingest_leading_dash_file_name", ingest_leading_dash_name, Quarantine((3,))),
    Case(
        "cli_ingest_max_bad_fraction_honoured", ingest_max_bad_fraction_honoured, Quarantine((5,))
    ),
    Case("cli_ingest_max_bad_fraction_exceeded", ingest_max_bad_fraction_exceeded, Error("")),
    Case("cli_ingest_out_unrelated_folder", ingest_out_unrelated_folder, Error("")),
    Case("cli_ingest_out_dot", ingest_out_dot, Error("")),
    Case("cli_ingest_out_is_a_file", ingest_out_is_a_file, Error("")),
    Case("cli_ingest_out_holds_the_input", ingest_out_holds_the_input, Error("input")),
    Case("cli_ingest_out_is_a_symlink", ingest_out_is_a_symlink, Error("")),
    Case("cli_ingest_two_files_one_capture_name", ingest_same_capture_name, Error("")),
    Case("cli_ingest_unknown_format", ingest_unknown_format, Error("allowed")),
    Case("cli_ingest_adhoc_without_out", ingest_adhoc_without_out, Error("")),
    Case("cli_ingest_hostile_dataset_name", ingest_hostile_dataset, Error("")),
    Case("cli_ingest_dataset_without_raw_data", ingest_dataset_without_raw_data, Error("")),
    Case("cli_params_is_a_folder", params_folder, Error("")),
    Case("cli_params_not_utf8", params_not_utf8, Error("")),
    Case("cli_params_missing", params_missing, Error("")),
    Case("cli_params_duplicate_key", duplicate_key, Error("twice|duplicate")),
    Case(
        "cli_check_config_epochs_true",
        check_config(set_key("epochs", True), "epochs"),
        Error(""),
    ),
    Case(
        "cli_check_config_hpo_unknown_key",
        check_config(hpo_space({"gat": {"gat.learning_rate": {"low": 0.001, "high": 0.1}}})),
        Error("learning_rate"),
    ),
    Case(
        "cli_check_config_hpo_unknown_model",
        check_config(hpo_space({"resnet": {"resnet.lr": {"low": 0.001, "high": 0.1}}})),
        Error("resnet"),
    ),
    Case(
        "cli_check_config_hpo_out_of_range",
        check_config(hpo_space({"gat": {"gat.large.dropout": {"low": 0.5, "high": 1.5}}})),
        Error("dropout"),
    ),
    Case("cli_check_config_dataset_not_in_catalog", dataset_not_in_catalog, Error("nope")),
    Case("cli_stage_dataset_shell_command", stage("graphs", "a;touch x"), Error("")),
    Case("cli_stage_dataset_parent_path", stage("graphs", "../x"), Error("")),
    Case(
        "cli_stage_dataset_command_substitution",
        stage("train-vgae", "$(touch x)"),
        Error(""),
    ),
    Case("cli_fetch_dataset_parent_path", fetch_hostile, Error("")),
    Case("cli_train_unknown_model", train_unknown_model, Error("")),
    Case("cli_graphs_before_ingest", graphs_before_ingest, Error("")),
    Case("cli_graphs_truncated_manifest", graphs_truncated_manifest, Error("")),
]


@pytest.mark.parametrize("case", table(CLI))
def test_cli(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    command: Command = case.build(tmp_path)
    code: object = 0
    try:
        cli.run(command.args)
    except SystemExit as exit_:
        code = exit_.code if exit_.code is not None else 0
    except Exception as err:  # a real `kdgat` would print a traceback
        captured = capsys.readouterr()
        pytest.fail(f"traceback: {type(err).__name__}: {err}\nstderr: {captured.err[-500:]}")
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert "Traceback" not in output, output[-2000:]
    expect = case.expect
    if isinstance(expect, Usage):
        assert code == 2, f"exit code {code}, expected 2 (usage error): {output[-500:]}"
        if expect.says:
            check_usage(output, expect.says)
    elif isinstance(expect, Error):
        assert code not in (0, None), f"exit code {code}: accepted. Output: {output[-800:]}"
        assert captured.err.startswith("error:"), (
            f"stderr does not start with 'error:': {captured.err[-800:]!r}"
        )
        check_message(captured.err, command.blame, expect.says, *command.says)
    elif isinstance(expect, Quarantine):
        assert code == 0, f"exit code {code}: {output[-800:]}"
        assert command.out is not None
        report = json.loads((command.out / "ingest_report.json").read_text())
        assert_accounted(report, command.out, command.name, command.rows, expect.rows, expect.says)
    else:
        raise AssertionError(f"{case.name}: outcome {expect} is not one of the CLI's")
    if command.check is not None:
        command.check()
    leftovers = [p for p in tmp_path.rglob("*") if ".staging-" in p.name]
    assert not leftovers, f"staging leftovers: {leftovers}"


def check_usage(output: str, says: str) -> None:
    assert re.search(says, output, re.IGNORECASE), f"usage error does not say {says!r}: {output!r}"
