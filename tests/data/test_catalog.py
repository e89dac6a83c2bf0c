"""Catalog resolution: globs to captures and splits, exclusion, leaks between splits."""

from __future__ import annotations

from pathlib import Path

import pytest

from kdgat.config import DatasetEntry
from kdgat.data.catalog import resolve
from kdgat.errors import CatalogError


def entry(**overrides: object) -> DatasetEntry:
    fields: dict[str, object] = {
        "domain": "can",
        "format": "parquet",
        "source": "x",
        "train": ["train_0*__*.parquet"],
        "test": {"known": ["test_01_*"], "unknown": ["test_04_*"]},
    }
    return DatasetEntry(**(fields | overrides))


def test_shared_sample_resolves_to_its_splits(shared_data: Path) -> None:
    captures = resolve(entry(), shared_data)
    splits = {c.name: c.split for c in captures}
    assert len(captures) == 9  # the raw CSV copy is not matched
    assert splits["test_01_known_vehicle_known_attack__DoS-3"] == "known"
    assert splits["test_04_unknown_vehicle_unknown_attack__systematic-4"] == "unknown"
    assert sum(s == "train" for s in splits.values()) == 7
    fuzz = next(c for c in captures if "fuzzing" in c.name)
    assert fuzz.attack_type == "targeted_payload_fuzzing"


def test_exclude_and_sidecars(tmp_path: Path) -> None:
    for name in ["train_01_a__x-1.parquet", "train_01_a__y-1.parquet", "test_01_b__z-1.parquet"]:
        (tmp_path / name).touch()
    (tmp_path / "train_01_a__x-1.parquet.labels.yaml").touch()
    captures = resolve(entry(exclude=["*y-1*"], test={"k": ["test_01_*"]}), tmp_path)
    assert [c.name for c in captures] == ["train_01_a__x-1", "test_01_b__z-1"]


def test_a_file_in_train_and_test_is_a_leak(tmp_path: Path) -> None:
    (tmp_path / "train_01_a__x-1.parquet").touch()
    with pytest.raises(CatalogError, match="matched by both 'train' and 'k'"):
        resolve(entry(test={"k": ["*x-1*"]}), tmp_path)


def test_glob_that_matches_nothing(tmp_path: Path) -> None:
    (tmp_path / "train_01_a__x-1.parquet").touch()
    with pytest.raises(CatalogError, match=r"glob 'test_01_\*' of split 'known' matches no file"):
        resolve(entry(test={"known": ["test_01_*"]}), tmp_path)


def test_missing_raw_folder(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="kdgat fetch"):
        resolve(entry(), tmp_path / "absent")


def test_two_files_with_one_capture_name_are_an_error_naming_both(tmp_path: Path) -> None:
    files = ["train_01_a__x-1.parquet", "train_01_a__x-1.v2.parquet"]  # a second version beside it
    for name in [*files, "test_01_b__z-1.parquet"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).touch()
    with pytest.raises(CatalogError) as err:
        resolve(entry(train=["*train_01_*"], test={"k": ["test_01_*"]}), tmp_path)
    message = str(err.value)
    assert all(str(tmp_path / f) in message for f in files)
    assert "both give the capture name 'train_01_a__x-1'" in message


def test_folders_are_part_of_the_capture_name(tmp_path: Path) -> None:
    """One file name in two sets' folders stays two captures (a cross-vehicle dataset)."""
    for name in ["set_01/train_01_a__x-1.parquet", "set_02/train_01_a__x-1.parquet"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).touch()
    (tmp_path / "set_03").mkdir()
    (tmp_path / "set_03" / "test_01_b__z-1.parquet").touch()
    captures = resolve(entry(train=["set_0[12]/*"], test={"k": ["set_03/*"]}), tmp_path)
    assert [c.name for c in captures] == [
        "set_01__train_01_a__x-1",
        "set_02__train_01_a__x-1",
        "set_03__test_01_b__z-1",
    ]
    assert captures[0].attack_type == "x"


def test_validation_captures_are_their_own_split_and_cannot_leak(tmp_path: Path) -> None:
    for name in ["train_01_a__x-1.parquet", "test_04_b__v-1.parquet", "test_01_b__z-1.parquet"]:
        (tmp_path / name).touch()
    resolved = resolve(entry(validation=["test_04_*"], test={"k": ["test_01_*"]}), tmp_path)
    assert {c.name: c.split for c in resolved}["test_04_b__v-1"] == "val"
    with pytest.raises(CatalogError, match="matched by both 'val' and 'k'"):
        resolve(entry(validation=["test_0*"], test={"k": ["test_01_*"]}), tmp_path)


@pytest.mark.parametrize("name", ["train", "val"])
def test_a_scenario_cannot_take_a_split_name(name: str) -> None:
    with pytest.raises(ValueError, match=f"test scenario '{name}' is a reserved split name"):
        entry(test={name: ["test_01_*"]})
