"""Config: the real files validate, and every mistake names file, key and the allowed values."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kdgat import config
from kdgat.errors import ConfigError

from .conftest import REPO


def test_repository_files_validate() -> None:
    params, catalog = config.load(REPO / "params.yaml", REPO / "data/catalog.yaml")
    assert params.datasets == ["synth"]
    assert catalog.datasets["can_sample"].format == "parquet"


def test_models_are_frozen() -> None:
    params = config.load_params(REPO / "params.yaml")
    with pytest.raises(Exception, match="frozen"):
        params.seed = 1  # type: ignore[misc]


def params_with(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load((REPO / "params.yaml").read_text())
    for dotted, value in changes.items():
        *parents, key = dotted.split("__")
        node = data
        for part in parents:
            node = node[part]
        node[key] = value
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_unknown_key_lists_the_allowed_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        config.load_params(params_with(tmp_path, ingest__max_bad_fraktion=0.1))
    message = str(err.value)
    assert str(tmp_path / "params.yaml") in message
    assert "ingest.max_bad_fraktion: unknown key" in message
    assert "max_bad_fraction, row_group_size" in message


def test_wrong_value_names_key_and_allowed_values(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        config.load_params(params_with(tmp_path, synth__train_attacks=["dos", "teleport"]))
    assert "synth.train_attacks.1" in str(err.value)
    assert "'dos', 'fuzzing', 'spoofing', 'replay', 'suppression' or 'masquerade'" in str(err.value)
    with pytest.raises(ConfigError, match=r"ingest.max_bad_fraction: Input should be less than"):
        config.load_params(params_with(tmp_path, ingest__max_bad_fraction=2))


def test_missing_required_key_and_bad_yaml(tmp_path: Path, write) -> None:
    with pytest.raises(ConfigError, match="datasets: required key is missing"):
        config.load_params(write("p.yaml", "seed: 1\n"))
    with pytest.raises(ConfigError, match="not valid YAML"):
        config.load_params(write("q.yaml", "seed: [1\n"))
    with pytest.raises(ConfigError, match="file not found"):
        config.load_params(tmp_path / "absent.yaml")


def test_catalog_errors(write) -> None:
    entry = (
        "domain: can\n    format: {fmt}\n    source: x\n    train: ['a']\n    test: {{t: ['b']}}\n"
    )
    bad_format = write("c.yaml", "datasets:\n  d:\n    " + entry.format(fmt="pcap"))
    with pytest.raises(ConfigError) as err:
        config.load_catalog(bad_format)
    assert "datasets.d.format" in str(err.value)
    assert "'can_csv'" in str(err.value)
    typo = write("t.yaml", "datasets:\n  d:\n    " + entry.format(fmt="can_csv") + "    sha: {}\n")
    with pytest.raises(
        ConfigError,
        match=r"datasets.d.sha: unknown key; allowed keys here: citation, domain, exclude",
    ):
        config.load_catalog(typo)
    digest = write(
        "s.yaml", "datasets:\n  d:\n    " + entry.format(fmt="can_csv") + "    sha256: {a: xyz}\n"
    )
    with pytest.raises(ConfigError, match="sha256 of 'a' must be 64 hex characters"):
        config.load_catalog(digest)


def test_params_dataset_must_be_in_catalog(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match="no dataset 'nope'; known datasets: can_mirgu, can_sample, "
    ):
        config.load(params_with(tmp_path, datasets=["nope"]), REPO / "data/catalog.yaml")


def _dvc_params_keys() -> set[str]:
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    keys = set()
    for stage in stages.values():
        for item in stage.get("do", stage).get("params", []):
            if isinstance(item, str):
                keys.add(item)
            else:  # {params_file: [keys]}
                keys.update(k for listed in item.values() for k in listed)
    return keys


def test_every_params_key_in_dvc_yaml_exists_in_the_schema() -> None:
    keys = _dvc_params_keys()
    assert keys, "dvc.yaml declares no params"
    for key in keys:
        model: object = config.Params
        for part in key.split("."):
            fields = model.model_fields  # type: ignore[attr-defined]
            assert part in fields, f"dvc.yaml params key {key!r} is not in config.Params"
            model = fields[part].annotation
