"""Settings files: params.yaml and data/catalog.yaml, broken, mistyped and hostile."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from kdgat import config

from .cases import Case, Error, assert_clear_error, table

REPO = Path(__file__).resolve().parents[2]
PARAMS_TEXT = (REPO / "params.yaml").read_text(encoding="utf-8")
CATALOG_TEXT = (REPO / "data" / "catalog.yaml").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Settings:
    """A settings file a case wrote, the loader to run on it, and extra message patterns."""

    path: Path
    load: Callable[[Path], Any]
    says: tuple[str, ...] = ()


Build = Callable[[Path], Settings]


def line_of(text: str, pattern: str) -> int:
    """1-based number of the first line matching ``pattern``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(pattern, line):
            return number
    raise AssertionError(f"no line matches {pattern!r}")


def params_text(text: str, says: tuple[str, ...] = (), name: str = "params.yaml") -> Build:
    def build(tmp: Path) -> Settings:
        path = tmp / name
        path.write_text(text, encoding="utf-8")
        return Settings(path, config.load_params, says)

    return build


def params_bytes(data: bytes) -> Build:
    def build(tmp: Path) -> Settings:
        path = tmp / "params.yaml"
        path.write_bytes(data)
        return Settings(path, config.load_params)

    return build


def params_changed(change: Callable[[dict[str, Any]], None]) -> Build:
    """The repository's params.yaml, loaded, changed and written back."""

    def build(tmp: Path) -> Settings:
        doc = yaml.safe_load(PARAMS_TEXT)
        change(doc)
        path = tmp / "params.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        return Settings(path, config.load_params)

    return build


def setting(dotted: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        *parents, key = dotted.split(".")
        for part in parents:
            doc = doc[part]
        doc[key] = value

    return change


def replaced(old: str, new: str, text: str = PARAMS_TEXT) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def duplicate_top_level(text: str = PARAMS_TEXT) -> Build:
    """``epochs`` given twice: once where it is, once more at the end of the file."""
    first = line_of(text, r"epochs:")
    second = len(text.splitlines()) + 1
    return params_text(text + "epochs: 3\n", (r"epochs", rf"\b{first}\b.*\b{second}\b"))


def duplicate_nested() -> Build:
    text = replaced("  stride: 100 ", "  window: 50\n  stride: 100 ")
    first = line_of(text, r"  window: 100")
    return params_text(text, (r"window", rf"\b{first}\b.*\b{first + 1}\b"))


def symlink_loop(load: Callable[[Path], Any]) -> Callable[[Path], Settings]:
    def build(tmp: Path) -> Settings:
        path = tmp / "params.yaml"
        path.symlink_to(tmp / "other.yaml")
        (tmp / "other.yaml").symlink_to(path)
        return Settings(path, load)

    return build


def folder(load: Callable[[Path], Any]) -> Callable[[Path], Settings]:
    def build(tmp: Path) -> Settings:
        path = tmp / "params.yaml"
        path.mkdir()
        return Settings(path, load)

    return build


def absent(load: Callable[[Path], Any]) -> Callable[[Path], Settings]:
    return lambda tmp: Settings(tmp / "missing.yaml", load)


def python_tag(tmp: Path) -> Settings:
    """A YAML tag that would run a command under an unsafe loader: refused, never run."""
    witness = tmp / "pwned"
    path = tmp / "params.yaml"
    path.write_text(f'seed: !!python/object/apply:os.system ["touch {witness}"]\n')
    return Settings(path, lambda p: _and_not_created(config.load_params, p, witness))


def _and_not_created(load: Callable[[Path], Any], path: Path, witness: Path) -> Any:
    try:
        return load(path)
    finally:
        assert not witness.exists(), "a YAML tag ran a shell command"


def alias_bomb(tmp: Path) -> Settings:
    """A 'billion laughs' document: refused quickly, without expanding it."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    lines.append("datasets: *a8")
    path = tmp / "params.yaml"
    path.write_text("\n".join(lines) + "\n")
    return Settings(path, config.load_params)


def catalog_text(text: str, says: tuple[str, ...] = ()) -> Build:
    def build(tmp: Path) -> Settings:
        path = tmp / "catalog.yaml"
        path.write_text(text, encoding="utf-8")
        return Settings(path, config.load_catalog, says)

    return build


def catalog_bytes(data: bytes) -> Build:
    def build(tmp: Path) -> Settings:
        path = tmp / "catalog.yaml"
        path.write_bytes(data)
        return Settings(path, config.load_catalog)

    return build


def catalog_duplicate_dataset() -> Build:
    extra = "\n  synth:\n    domain: can\n    format: can_csv\n    source: synth\n"
    extra += '    train: ["x"]\n    test: {t: ["y"]}\n'
    first = line_of(CATALOG_TEXT, r"  synth:")
    second = len(CATALOG_TEXT.splitlines()) + 2
    return catalog_text(CATALOG_TEXT + extra, (r"synth", rf"\b{first}\b.*\b{second}\b"))


SYNTH_ENTRY = "  synth:\n    domain: can\n    format: can_csv\n"


def catalog_dataset_named(name: str) -> Build:
    return catalog_text(replaced("  synth:\n", f"  {name!r}:\n", CATALOG_TEXT))


def catalog_with(old: str, new: str) -> Build:
    return catalog_text(replaced(old, new, CATALOG_TEXT))


def params_dataset(name: str) -> Build:
    return params_changed(setting("datasets", [name]))


CONFIG = [
    # --- params.yaml: the file itself
    Case(
        "params_not_utf8",
        params_bytes(PARAMS_TEXT.encode("utf-8") + b"# \xff\xfe\n"),
        Error("utf-?8"),
    ),
    Case(
        "params_latin1_comment",
        params_bytes("# réglages\nseed: 1\n".encode("latin-1")),
        Error("utf-?8"),
    ),
    Case("params_utf16", params_bytes(PARAMS_TEXT.encode("utf-16")), Error("")),
    Case("params_is_a_folder", folder(config.load_params), Error("folder|director")),
    Case("params_missing", absent(config.load_params), Error("not found|no such")),
    Case("params_symlink_loop", symlink_loop(config.load_params), Error("link|loop")),
    Case("params_empty_file", params_text(""), Error("datasets|empty")),
    Case("params_nul_bytes", params_bytes(b"seed: 1\x00\x00\n"), Error("")),
    Case("params_invalid_yaml", params_text("datasets: [synth\nseed: 1\n"), Error("yaml")),
    Case(
        "params_tab_indentation", params_text("ingest:\n\tmax_bad_fraction: 0.1\n"), Error("yaml")
    ),
    Case("params_top_level_list", params_text("- synth\n- seed\n"), Error("")),
    Case("params_python_tag", python_tag, Error("")),
    Case("params_alias_bomb", alias_bomb, Error("datasets")),
    # --- params.yaml: keys
    Case("params_duplicate_key", duplicate_top_level(), Error("twice|duplicate")),
    Case("params_duplicate_nested_key", duplicate_nested(), Error("twice|duplicate")),
    Case(
        "params_unknown_top_level_key",
        params_changed(setting("epoch", 5)),
        Error("epoch.*unknown|unknown.*epoch"),
    ),
    Case(
        "params_unknown_nested_key",
        params_changed(setting("gat.large.hidden", 3)),
        Error("hidden"),
    ),
    Case("params_required_section_null", params_changed(setting("gat", None)), Error("gat")),
    Case("params_datasets_empty", params_changed(setting("datasets", [])), Error("datasets")),
    # --- params.yaml: values
    Case("params_epochs_true", params_changed(setting("epochs", True)), Error("epochs")),
    Case(
        "params_batch_size_false", params_changed(setting("batch_size", False)), Error("batch_size")
    ),
    Case("params_epochs_zero", params_changed(setting("epochs", 0)), Error("epochs")),
    Case("params_epochs_fraction", params_changed(setting("epochs", 2.5)), Error("epochs")),
    Case("params_lr_text", params_changed(setting("lr", "fast")), Error(r"\blr\b")),
    Case("params_lr_nan", params_changed(setting("lr", float("nan"))), Error(r"\blr\b")),
    Case(
        "params_max_bad_fraction_above_one",
        params_changed(setting("ingest.max_bad_fraction", 1.5)),
        Error("max_bad_fraction"),
    ),
    Case(
        "params_row_group_size_tiny",
        params_changed(setting("ingest.row_group_size", 10)),
        Error("row_group_size"),
    ),
    Case(
        "params_unknown_choice",
        params_changed(setting("precision", "64")),
        Error("precision"),
    ),
    Case(
        "params_hpo_low_above_high",
        params_changed(setting("hpo.space.gat", {"gat.lr": {"low": 0.1, "high": 0.01}})),
        Error("low|high"),
    ),
    # --- params.yaml: hostile dataset names
    Case("params_dataset_shell_command", params_dataset("a;touch x"), Error("a;touch x")),
    Case("params_dataset_parent_path", params_dataset("../x"), Error(r"\.\./x")),
    Case("params_dataset_absolute_path", params_dataset("/etc"), Error("/etc")),
    Case("params_dataset_empty_name", params_dataset(""), Error("dataset name|datasets")),
    Case("params_dataset_with_space", params_dataset("my data"), Error("my data")),
    Case("params_dataset_with_newline", params_dataset("a\nb"), Error("dataset name|datasets")),
    Case(
        "params_dataset_command_substitution", params_dataset("$(reboot)"), Error(r"\$\(reboot\)")
    ),
    # --- data/catalog.yaml
    Case("catalog_not_utf8", catalog_bytes(CATALOG_TEXT.encode() + b"\n# \xff\n"), Error("utf-?8")),
    Case("catalog_is_a_folder", folder(config.load_catalog), Error("folder|director")),
    Case("catalog_empty_file", catalog_text(""), Error("datasets|empty")),
    Case("catalog_duplicate_dataset", catalog_duplicate_dataset(), Error("twice|duplicate")),
    Case("catalog_dataset_shell_command", catalog_dataset_named("a;touch x"), Error("a;touch x")),
    Case("catalog_dataset_parent_path", catalog_dataset_named("../x"), Error(r"\.\./x")),
    Case(
        "catalog_unknown_format",
        catalog_with("    format: can_csv\n", "    format: pcap\n"),
        Error("format"),
    ),
    Case(
        "catalog_unknown_domain",
        catalog_with("    domain: can\n", "    domain: vision\n"),
        Error("domain"),
    ),
    Case(
        "catalog_train_not_a_list",
        catalog_with('    train: ["train_0*__*.csv"]\n', '    train: "train_0*__*.csv"\n'),
        Error("train"),
    ),
    Case(
        "catalog_test_missing",
        catalog_with(
            '    test:\n      known_vehicle_known_attack: ["test_01_*"]\n'
            '      unknown_vehicle_unknown_attack: ["test_04_*"]\n\n  can_sample',
            "\n  can_sample",
        ),
        Error("test"),
    ),
    Case(
        "catalog_bad_sha256",
        catalog_with("    sha256: {}\n", "    sha256: {a.parquet: xyz}\n"),
        Error("sha256"),
    ),
]


@pytest.mark.parametrize("case", table(CONFIG))
def test_settings(case: Case, tmp_path: Path) -> None:
    settings: Settings = case.build(tmp_path)
    assert isinstance(case.expect, Error)
    try:
        loaded = settings.load(settings.path)
    except Exception as err:
        assert_clear_error(err, settings.path, case.expect.says, *settings.says)
        return
    pytest.fail(f"accepted: {loaded!r}"[:500])
