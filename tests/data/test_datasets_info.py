"""`kdgat datasets`: the public benchmarks in the catalog, their local state, manual sources."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kdgat import config
from kdgat.cli import app
from kdgat.data.catalog import resolve
from kdgat.data.datasets_info import FETCHED, GRAPHS, INGESTED, NOT_FETCHED, state
from kdgat.errors import ConfigError
from kdgat.layout import Layout

REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "data" / "catalog.yaml"
SHARED = REPO.parent / "shared" / "data"
BENCHMARKS = ["can_train_test_set_01", "can_train_test_set_04", "hcrl_car_hacking", "hcrl_sa",
              "hcrl_ch", "road", "can_mirgu", "cicids2017", "unsw_nb15"]  # fmt: skip


def test_catalog_validates_with_every_public_benchmark() -> None:
    catalog = config.load_catalog(CATALOG)
    assert len(catalog.datasets) >= 10
    for name in BENCHMARKS:
        entry = catalog.datasets[name]
        assert entry.licence, name
        assert entry.citation, name
        assert entry.manual or entry.source.startswith("https://"), name


@pytest.mark.parametrize(
    ("name", "splits"),
    [
        ("set_02_sample", {"train": 5, "known_vehicle_known_attack": 1,
                           "unknown_vehicle_unknown_attack": 2, "suppress": 1}),
        ("set_03_sample", {"train": 5, "known_vehicle_known_attack": 1,
                           "known_vehicle_unknown_attack": 4, "unknown_vehicle_unknown_attack": 5}),
    ],
)  # fmt: skip
def test_shared_samples_resolve_to_their_splits(name: str, splits: dict[str, int]) -> None:
    folder = SHARED / f"can-train-and-test-{name.removesuffix('_sample')}"
    if not folder.is_dir():
        pytest.skip(f"{folder} absent: the shared real-data samples are not on this machine")
    captures = resolve(config.load_catalog(CATALOG).datasets[name], folder)
    counts: dict[str, int] = {}
    for capture in captures:
        counts[capture.split] = counts.get(capture.split, 0) + 1
    assert counts == splits
    assert len({c.path for c in captures}) == len(captures)  # no file in two splits


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "--catalog", str(CATALOG)])
    return result.exit_code, result.output + (str(result.exception) if result.exception else "")


def test_list_names_every_entry_with_licence_and_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = run("datasets")
    assert code == 0, out
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert set(lines) == set(config.load_catalog(CATALOG).datasets)
    assert "CC BY-NC-SA 4.0" in lines["set_02_sample"]
    assert all(line.endswith(NOT_FETCHED) for line in lines.values())


def test_state_follows_the_folders_the_stages_write(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    assert state("hcrl_sa", layout) == NOT_FETCHED
    layout.raw("hcrl_sa").mkdir(parents=True)
    assert state("hcrl_sa", layout) == NOT_FETCHED  # an empty folder holds nothing
    (layout.raw("hcrl_sa") / "Sonata_flooding.csv").touch()
    assert state("hcrl_sa", layout) == FETCHED
    layout.processed("hcrl_sa").dir.mkdir(parents=True)
    layout.processed("hcrl_sa").manifest.write_text("{}")
    assert state("hcrl_sa", layout) == INGESTED
    layout.graphs("hcrl_sa").dir.mkdir(parents=True)
    layout.graphs("hcrl_sa").meta.write_text("{}")
    assert state("hcrl_sa", layout) == GRAPHS


def test_show_of_a_manual_entry_prints_its_steps_and_citation() -> None:
    code, out = run("datasets", "show", "hcrl_sa")
    assert code == 0, out
    assert "ocslab.hksecurity.net/Datasets/survival-ids" in out
    assert "10.1016/j.vehcom.2018.09.004" in out
    assert "data/raw/hcrl_sa/" in out


def test_fetch_of_a_manual_entry_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = run("fetch", "hcrl_car_hacking")
    assert code != 0
    assert "manual download" in out
    assert "car-hacking-dataset" in out
    assert "data/raw/hcrl_car_hacking/" in out
    assert not (tmp_path / "data").exists()  # nothing half-made


ENTRY = "    domain: can\n    format: can_csv\n    source: x\n    train: [a]\n    test: {t: [b]}\n"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("    licence: [a, b]\n", "datasets.d.licence"),
        ("    licence_name: MIT\n", "datasets.d.licence_name: unknown key"),
        ("    size: true\n", "datasets.d.size"),
    ],
)
def test_malformed_entries_name_the_field(tmp_path: Path, extra: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("datasets:\n  d:\n" + ENTRY + extra)
    with pytest.raises(ConfigError, match=message):
        config.load_catalog(path)


def test_a_manual_source_needs_its_steps(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("datasets:\n  d:\n" + ENTRY.replace("source: x", 'source: "manual: "'))
    with pytest.raises(ConfigError, match=r"datasets\.d\.source"):
        config.load_catalog(path)
