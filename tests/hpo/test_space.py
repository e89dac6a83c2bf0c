"""Search spaces from params.yaml: parsing, suggestions, and the errors a user can act on."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
import yaml

from kdgat.config import SearchDimension, load_params
from kdgat.errors import ConfigError, HPOError
from kdgat.hpo import space

from ..conftest import REPO

PARAMS = REPO / "params.yaml"


def raw() -> dict:
    return yaml.safe_load(PARAMS.read_text())


def test_the_repository_spaces_validate_for_every_model() -> None:
    hpo = load_params(PARAMS).hpo
    assert set(hpo.space) == {"gat", "vgae"}
    for model, dims in hpo.space.items():
        space.check_space(raw(), model, dims, PARAMS)


def test_suggestions_follow_each_dimension_kind() -> None:
    dims = {
        "gat.lr": SearchDimension(low=1e-4, high=1e-2, log=True),
        "gat.large.heads": SearchDimension(low=1, high=8, step=1),
        "gat.large.dropout": SearchDimension(low=0, high=0.5),
        "gat.loss": SearchDimension(choices=["ce", "focal"]),
    }
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(20):
        values = space.suggest(study.ask(), dims)
        assert 1e-4 <= values["gat.lr"] <= 1e-2
        assert isinstance(values["gat.large.heads"], int)
        assert 1 <= values["gat.large.heads"] <= 8
        assert isinstance(values["gat.large.dropout"], float)
        assert values["gat.loss"] in {"ce", "focal"}
        p = space.validated(raw(), values, PARAMS)
        assert p.gat.large.heads == values["gat.large.heads"]
        assert p.gat.lr == values["gat.lr"]


def test_overrides_reach_nested_keys_and_leave_the_original_alone() -> None:
    original = raw()
    values = {"gat.large.dropout": 0.4, "vgae.loss_weights.kl": 0.1}
    changed = space.with_overrides(original, values)
    assert changed["gat"]["large"]["dropout"] == 0.4
    assert changed["vgae"]["loss_weights"]["kl"] == 0.1
    assert original == raw()


@pytest.mark.parametrize(
    ("dimension", "message"),
    [
        ("{low: 0.5, high: 0.1}", "low (0.5) must be below high (0.1)"),
        ("{low: 0.0, high: 1.0, log: true}", "log: true needs low > 0"),
        ("{choices: [1, 2], low: 1, high: 2}", "not both"),
        ("{choices: []}", "non-empty"),
        ("{low: 1}", "give low and high"),
    ],
)
def test_a_malformed_dimension_names_its_key(tmp_path: Path, dimension: str, message: str) -> None:
    text = PARAMS.read_text().replace(
        "gat.large.dropout: {low: 0.0, high: 0.5}", f"gat.large.dropout: {dimension}"
    )
    (tmp_path / "params.yaml").write_text(text)
    with pytest.raises(ConfigError) as err:
        load_params(tmp_path / "params.yaml")
    assert "hpo.space.gat.gat.large.dropout" in str(err.value)
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("key", "dimension", "message"),
    [
        ("gat.large.hiden", SearchDimension(choices=[8, 16]), "gat.large.hiden: unknown key"),
        ("nope.lr", SearchDimension(low=0.1, high=0.2), "no section 'nope'"),
        ("gat.large.dropout", SearchDimension(low=0.1, high=1.5), "gat.large.dropout"),
        ("gat.loss", SearchDimension(choices=["focal", "hinge"]), "gat.loss"),
    ],
)
def test_bad_space_keys_and_bounds_are_refused_before_any_trial(
    key: str, dimension: SearchDimension, message: str
) -> None:
    with pytest.raises(HPOError) as err:
        space.check_space(raw(), "gat", {key: dimension}, PARAMS)
    assert message in str(err.value)


def test_a_shadowed_key_and_an_empty_space_are_refused() -> None:
    params = raw()
    params["gat"]["lr"] = 0.01  # the GAT's own lr wins over the top-level one
    with pytest.raises(HPOError, match=r"tune gat\.lr instead"):
        space.check_space(params, "gat", {"lr": SearchDimension(low=1e-4, high=1e-2)}, PARAMS)
    with pytest.raises(HPOError, match=r"hpo\.space\.vgae is empty"):
        space.check_space(raw(), "vgae", {}, PARAMS)
