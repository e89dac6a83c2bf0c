"""Files one stage writes and the next reads: the ingest manifest and the graph stores.

The workspace is the tiny synthetic dataset (``tests/tiny.py``), copied per case and then
damaged; the next stage (``graphs``, ``window_baseline``) must refuse the damage with a
clear error and leave its previous output alone.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kdgat.config import load_params
from kdgat.layout import Layout
from kdgat.pipeline import graphs, window_baseline

from .cases import Case, Error, assert_clear_error, files_under, table

REPO = Path(__file__).resolve().parents[2]
DATASET = "tiny"  # the dataset of the graphs_root fixture


@dataclass(frozen=True)
class Damage:
    """The file a case damaged (what the error must name), and extra message patterns."""

    blame: Path
    says: tuple[str, ...] = ()


def workspace(graphs_root: Path, tmp: Path) -> Layout:
    for part in ("processed", "graphs"):
        shutil.copytree(graphs_root / "data" / part / DATASET, tmp / "data" / part / DATASET)
    return Layout(tmp)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in files_under(folder)}


# --- the processed manifest, read by the graphs stage --------------------------------------


def manifest_path(layout: Layout) -> Path:
    return layout.processed(DATASET).manifest


def manifest_bytes(damage: Callable[[bytes], bytes]) -> Callable[[Layout], Damage]:
    def build(layout: Layout) -> Damage:
        path = manifest_path(layout)
        path.write_bytes(damage(path.read_bytes()))
        return Damage(path)

    return build


def manifest_json(change: Callable[[dict[str, Any]], Any]) -> Callable[[Layout], Damage]:
    """The manifest parsed, changed (``change`` may return a replacement), written back."""

    def build(layout: Layout) -> Damage:
        path = manifest_path(layout)
        doc = json.loads(path.read_text())
        replaced = change(doc)
        path.write_text(json.dumps(doc if replaced is None else replaced))
        return Damage(path)

    return build


def first_capture(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        doc["captures"][0].update(fields)

    return change


def drop_field(name: str) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        del doc["captures"][0][name]

    return change


def manifest_folder(layout: Layout) -> Damage:
    path = manifest_path(layout)
    path.unlink()
    path.mkdir()
    return Damage(path)


def capture_not_parquet(layout: Layout) -> Damage:
    doc = json.loads(manifest_path(layout).read_text())
    capture = layout.processed(DATASET).dir / doc["captures"][0]["file"]
    capture.write_text("timestamp,id\n1,2\n")
    return Damage(capture)


def capture_gone(layout: Layout) -> Damage:
    doc = json.loads(manifest_path(layout).read_text())
    capture = layout.processed(DATASET).dir / doc["captures"][0]["file"]
    capture.unlink()
    return Damage(capture)


MANIFEST = [
    Case("manifest_truncated", manifest_bytes(lambda b: b[: len(b) // 2]), Error("json|corrupt")),
    Case("manifest_cut_after_first_byte", manifest_bytes(lambda b: b[:1]), Error("")),
    Case("manifest_empty_file", manifest_bytes(lambda b: b""), Error("")),
    Case("manifest_binary_garbage", manifest_bytes(lambda b: bytes(range(256))), Error("")),
    Case("manifest_not_utf8", manifest_bytes(lambda b: b.replace(b'"', b'"\xff', 1)), Error("")),
    Case("manifest_not_an_object", manifest_json(lambda doc: [doc]), Error("")),
    Case(
        "manifest_without_captures",
        manifest_json(lambda doc: doc.pop("captures")),
        Error("captures"),
    ),
    Case(
        "manifest_captures_not_a_list", manifest_json(lambda doc: doc.update(captures=5)), Error("")
    ),
    Case("manifest_capture_without_file", manifest_json(drop_field("file")), Error("file")),
    Case("manifest_rows_not_a_number", manifest_json(first_capture(rows="many")), Error("rows")),
    Case(
        "manifest_unknown_domain",
        manifest_json(lambda doc: doc.update(domain="vision")),
        Error("domain"),
    ),
    Case(
        "manifest_newer_schema_version",
        manifest_json(lambda doc: doc.update(schema_version=99)),
        Error("schema|version"),
    ),
    Case(
        "manifest_file_outside_the_dataset",
        manifest_json(first_capture(file="../../../../../etc/hostname")),
        Error(""),
    ),
    Case("manifest_is_a_folder", manifest_folder, Error("")),
    Case("manifest_names_a_missing_capture", capture_gone, Error("")),
    Case("manifest_capture_not_parquet", capture_not_parquet, Error("")),
]


@pytest.mark.parametrize("case", table(MANIFEST))
def test_processed_manifest(case: Case, tmp_path: Path, graphs_root: Path) -> None:
    layout = workspace(graphs_root, tmp_path)
    damage: Damage = case.build(layout)
    out = layout.graphs(DATASET).dir
    before = snapshot(out)
    params = load_params(REPO / "params.yaml")
    assert isinstance(case.expect, Error)
    try:
        graphs.run(DATASET, params, layout)
    except Exception as err:
        assert_clear_error(err, damage.blame, case.expect.says, *damage.says)
    else:
        pytest.fail(f"the graphs stage accepted the damaged {damage.blame.name}")
    assert snapshot(out) == before, "the previous graphs were changed by a failed run"
    assert not [p for p in out.parent.iterdir() if ".staging-" in p.name], "staging leftovers"


# --- the graph stores, read by the next stage ------------------------------------------------


def store_file(name: str, split: str = "train") -> Callable[[Layout], Path]:
    return lambda layout: layout.graphs(DATASET).store(split) / name


def damaged(
    where: Callable[[Layout], Path], damage: Callable[[bytes], bytes]
) -> Callable[[Layout], Damage]:
    def build(layout: Layout) -> Damage:
        path = where(layout)
        path.write_bytes(damage(path.read_bytes()))
        return Damage(_store_of(layout, path))

    return build


def _store_of(layout: Layout, path: Path) -> Path:
    """A store's files are named by their store folder (the unit a stage opens and rebuilds)."""
    graphs_dir = layout.graphs(DATASET).dir
    return path.parent if path.parent != graphs_dir else path


def meta_changed(change: Callable[[dict[str, Any]], None]) -> Callable[[Layout], Damage]:
    def build(layout: Layout) -> Damage:
        path = store_file("meta.json")(layout)
        doc = json.loads(path.read_text())
        change(doc)
        path.write_text(json.dumps(doc))
        return Damage(path.parent)

    return build


def store_meta_missing(layout: Layout) -> Damage:
    path = store_file("meta.json")(layout)
    path.unlink()
    return Damage(path.parent)


def top_meta(layout: Layout) -> Path:
    return layout.graphs(DATASET).meta


def vocab(layout: Layout) -> Path:
    return layout.graphs(DATASET).vocab


def half(b: bytes) -> bytes:
    return b[: len(b) // 2]


STORES = [
    Case("store_meta_truncated", damaged(store_file("meta.json"), half), Error("meta.json")),
    Case("store_meta_empty", damaged(store_file("meta.json"), lambda b: b""), Error("meta.json")),
    Case(
        "store_meta_binary_garbage",
        damaged(store_file("meta.json"), lambda b: bytes(range(256))),
        Error("meta.json"),
    ),
    Case(
        "store_meta_not_an_object",
        damaged(store_file("meta.json"), lambda b: b"[1, 2, 3]"),
        Error("meta.json"),
    ),
    Case("store_meta_missing", store_meta_missing, Error("")),
    Case(
        "store_meta_wrong_graph_count",
        meta_changed(lambda doc: doc.update(num_graphs=doc["num_graphs"] + 7)),
        Error(""),
    ),
    Case(
        "store_meta_newer_format_version",
        meta_changed(lambda doc: doc.update(format_version=99)),
        Error("format_version"),
    ),
    Case(
        "store_meta_for_the_val_split_truncated",
        damaged(store_file("meta.json", "val"), half),
        Error("meta.json"),
    ),
    Case("store_array_truncated", damaged(store_file("x.npy"), half), Error("x.npy")),
    Case(
        "store_array_garbage", damaged(store_file("y.npy"), lambda b: b"\x00" * 64), Error("y.npy")
    ),
    Case("graphs_meta_truncated", damaged(top_meta, half), Error("")),
    Case("graphs_meta_empty", damaged(top_meta, lambda b: b""), Error("")),
    Case("graphs_vocab_truncated", damaged(vocab, half), Error("")),
]


@pytest.mark.parametrize("case", table(STORES))
def test_graph_store(case: Case, tmp_path: Path, graphs_root: Path) -> None:
    layout = workspace(graphs_root, tmp_path)
    damage: Damage = case.build(layout)
    params = load_params(REPO / "params.yaml")
    assert isinstance(case.expect, Error)
    try:
        window_baseline.run(DATASET, params, layout)
    except Exception as err:
        assert_clear_error(err, damage.blame, case.expect.says, *damage.says)
    else:
        pytest.fail(f"the next stage accepted the damaged {damage.blame.name}")
    model = layout.model(DATASET, window_baseline.NAME).dir
    assert not model.exists(), f"a failed run left {model}"
