"""Pydantic models of ``params.yaml`` and ``data/catalog.yaml``.

Validated once, at the edge: stage scripts load these and pass plain values
to the library. Every model is frozen and forbids unknown keys, so a typo in
params.yaml is an error naming the file, the key and the allowed keys instead
of a silently ignored setting.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from kdgat.errors import ConfigError
from kdgat.layout import Layout

PARAMS_FILE = Layout().params
CATALOG_FILE = Layout().catalog

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def dataset_name(name: str) -> str:
    """A dataset name goes into paths and dvc.yaml's shell commands: plain characters only."""
    if not _NAME.fullmatch(name) or ".." in name:
        raise ValueError(  # pydantic reports it; stage commands wrap it (pipeline.entry)
            f"dataset name {name!r} must start with a letter or digit and hold only letters, "
            "digits, '_', '.' and '-' (no '..'); rename it"
        )
    return name


DatasetName = Annotated[str, AfterValidator(dataset_name)]

MANUAL = "manual:"  # a source that only a person can fetch (form, licence click)

AttackKind = Literal["dos", "fuzzing", "spoofing", "replay", "suppression", "masquerade"]


class Frozen(BaseModel):
    """Base of every model: immutable, and an unknown key is an error, not ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """``epochs: true`` is a mistake, not 1 (pydantic's lax mode would take it)."""
        if isinstance(value, bool) and info.field_name is not None:
            annotation = cls.model_fields[info.field_name].annotation
            types = set(getattr(annotation, "__args__", ())) or {annotation}
            if types & {int, float} and bool not in types:
                raise ValueError("must be a number, not true/false")
        return value


class IngestParams(Frozen):
    """Stage ingest: the share of bad rows that fails a capture, and the Parquet row groups."""

    max_bad_fraction: float = Field(0.001, ge=0, le=1)
    row_group_size: int = Field(262_144, ge=1024)


class SynthParams(Frozen):
    """The simulated vehicle bus of the default dataset."""

    ecus: int = Field(12, ge=2, le=64)
    unknown_vehicle_ecus: int = Field(
        18, ge=2, le=64, description="ECUs of the unknown-vehicle scenarios' vehicle (other maker)"
    )
    duration_s: float = Field(60.0, gt=0)
    attack_free_captures: int = Field(2, ge=1)
    train_attacks: list[AttackKind] = ["dos", "fuzzing", "spoofing", "replay", "suppression"]
    validation_attacks: list[AttackKind] = Field(
        [],
        description="captures val_01_other_vehicle__* on a third maker's vehicle; name them in "
        "the catalog's `validation` to choose thresholds and fusion under a vehicle shift",
    )
    test_scenarios: dict[str, list[AttackKind]] = {
        "known_vehicle_known_attack": ["dos", "fuzzing", "spoofing"],
        "unknown_vehicle_unknown_attack": ["masquerade"],
    }


class GraphParams(Frozen):
    """Sliding-window graphs (stage graphs@<dataset>)."""

    window: int = Field(100, ge=2, description="frames per window (CAN)")
    stride: int = Field(100, ge=1, description="frames between window starts")
    window_seconds: float = Field(60.0, gt=0, description="window length for flow datasets")
    min_attack_frames: int = Field(1, ge=1, description="attack frames making a window an attack")
    id_encoding: Literal["lookup", "hash"] = "lookup"
    hash_buckets: int = Field(4096, ge=2)
    scaler: Literal["zscore", "robust"] = "zscore"
    val_fraction: float = Field(0.2, ge=0, lt=1)
    val_blocks: int = Field(5, ge=1, description="time blocks whose tails are validation")


class GATSize(Frozen):
    """Architecture of one GAT classifier (the large teacher or the small student)."""

    hidden_channels: int = Field(ge=1)
    num_layers: int = Field(ge=1)
    heads: int = Field(ge=1)
    embedding_dim: int = Field(ge=1)
    jk: Literal["cat", "max", "lstm"] = "cat"
    dropout: float = Field(0.2, ge=0, lt=1)


class VGAESize(Frozen):
    """Architecture of one VGAE autoencoder (the large teacher or the small student)."""

    hidden_channels: int = Field(ge=1)
    latent_channels: int = Field(ge=1)
    num_layers: int = Field(ge=1)
    heads: int = Field(ge=1)
    embedding_dim: int = Field(ge=1)
    dropout: float = Field(0.0, ge=0, lt=1)


class GINSize(Frozen):
    """Architecture of the GIN classifier (``kdgat.models.gin``)."""

    hidden_channels: int = Field(ge=1)
    num_layers: int = Field(ge=1)
    embedding_dim: int = Field(ge=1)
    dropout: float = Field(0.2, ge=0, lt=1)


class Overrides(Frozen):
    """Training settings a model section may override (None: the top-level default)."""

    lr: float | None = Field(None, gt=0)
    epochs: int | None = Field(None, ge=1)
    batch_size: int | None = Field(None, ge=1)


class ClassifierParams(Overrides):
    """What every supervised window classifier's section holds besides its sizes."""

    loss: Literal["ce", "weighted_ce", "focal"] = "focal"
    focal_gamma: float = Field(2.0, ge=0)
    curriculum: bool = True  # benign graphs weighted by the VGAE's score (needs train_vgae)


class GATParams(ClassifierParams):
    """The GAT teacher (``large``) and its distilled student (``small``)."""

    large: GATSize
    small: GATSize


class GINParams(ClassifierParams):
    """The GIN classifier: one size, no student."""

    large: GINSize


class VGAEParams(Overrides):
    """The VGAE: sizes, and the weights of its loss terms and of its anomaly score."""

    large: VGAESize
    small: VGAESize
    loss_weights: dict[str, float]  # features, ids, neighbours, kl
    score_weights: dict[str, float]  # features, ids, neighbours

    @field_validator("loss_weights", "score_weights")
    @classmethod
    def _known_terms(cls, value: dict[str, float], info: Any) -> dict[str, float]:
        allowed = {"features", "ids", "neighbours"} | (
            {"kl"} if info.field_name == "loss_weights" else set()
        )
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise ValueError(f"unknown term(s) {unknown}; allowed: {sorted(allowed)}")
        return value


class KDParams(Overrides):
    """Distillation of both students: Hinton et al. (2015) temperature and mix, VGAE matching."""

    temperature: float = Field(4.0, gt=0)
    alpha: float = Field(0.7, ge=0, le=1)
    latent_weight: float = Field(1.0, ge=0, description="student VGAE: projected-latent MSE")
    recon_weight: float = Field(1.0, ge=0, description="student VGAE: match teacher outputs")


class DQNParams(Frozen):
    """The fusion agent (a contextual bandit when ``gamma`` is 0: windows are independent)."""

    alphas: int = Field(11, ge=2, description="levels per expert weight: 0, 1/(K-1), ..., 1")
    gamma: float = Field(0.0, ge=0, lt=1)
    hidden: int = Field(64, ge=1)
    lr: float = Field(1e-3, gt=0)
    steps: int = Field(3000, ge=1)
    batch_size: int = Field(256, ge=1)
    buffer_size: int = Field(50_000, ge=1)
    epsilon_start: float = Field(1.0, ge=0, le=1)
    epsilon_end: float = Field(0.05, ge=0, le=1)
    epsilon_decay_steps: int = Field(2000, ge=1)
    target_update: int = Field(100, ge=1, description="steps between target-network syncs")
    eval_every: int = Field(100, ge=1, description="steps between validation checks")
    deviation_margin: float = Field(
        0.5, ge=0, description="reward the agent must expect to gain to leave the average's weights"
    )


Expert = Literal["gat", "vgae", "window_gbt"]


class FusionParams(Frozen):
    """The fusion state (``kdgat.fusion.capture_reference``), what is fused, and on what."""

    reference_quantile: float | None = Field(
        0.1, gt=0, lt=1, description="VGAE outputs relative to this running quantile; null: off"
    )
    gat_reference_quantile: float | None = Field(
        0.02, gt=0, lt=1, description="GAT log-odds relative to this running quantile; null: off"
    )
    experts: list[Expert] = Field(["gat", "vgae", "window_gbt"], min_length=2)
    fit_on: Literal["val", "train", "train+val"] = "val"
    novelty_alarm: bool = Field(True, description="the VGAE's own alarm beside every fusion")

    @field_validator("experts")
    @classmethod
    def _distinct(cls, experts: list[str]) -> list[str]:
        if len(set(experts)) < len(experts):
            raise ValueError(f"an expert is listed twice: {experts}")
        return experts


class BaselineParams(Frozen):
    """The non-graph baseline: gradient-boosted trees on per-window statistics."""

    max_iter: int = Field(200, ge=1)
    learning_rate: float = Field(0.1, gt=0)
    max_leaf_nodes: int = Field(31, ge=2)
    # Names from kdgat.baselines.window_stats.FEATURES, checked by the stage (the list lives
    # beside the code that computes them); None: its DEFAULT, the capture-relative ones.
    features: list[str] | None = Field(None, min_length=1)
    reference_quantile: float | None = Field(
        None, gt=0, lt=1, description="scores relative to this running quantile; null: off"
    )


class ThresholdParams(Frozen):
    """How a model's decision threshold is chosen on the validation split."""

    method: Literal["youden", "max_f1"] = "max_f1"


class TrackingParams(Frozen):
    """Experiment tracking beyond dvclive: whether to log to W&B, and its project."""

    wandb: bool = False
    project: str = "kdgat"


class LakehouseParams(Frozen):
    """Where stage export uploads the lakehouse (credentials only from the environment)."""

    uri: str = Field("", description="s3://bucket[/prefix]; empty: the local lakehouse/ only")
    endpoint_url: str = Field("", description="S3-compatible endpoint (R2, local server)")
    region: str = Field("", description="empty: AWS_REGION / AWS_DEFAULT_REGION")
    attempts: int = Field(5, ge=1, description="tries per file before an upload fails")
    backoff_s: float = Field(0.5, ge=0, description="wait after the first failure, doubling")

    @field_validator("uri")
    @classmethod
    def _s3_uri(cls, value: str) -> str:
        if value and (not value.startswith("s3://") or len(value) <= len("s3://")):
            raise ValueError("must be empty (local only) or s3://bucket[/prefix]")
        return value


class SearchDimension(Frozen):
    """One hyperparameter of an Optuna search: a range (low, high; log or step) or choices.

    A range whose low and high are both integers is searched over integers.
    """

    low: int | float | None = None
    high: int | float | None = None
    log: bool = False
    step: int | float | None = Field(None, gt=0)
    choices: list[bool | int | float | str] | None = None

    @model_validator(mode="after")
    def _range_or_choices(self) -> SearchDimension:
        ranged = self.low is not None or self.high is not None or self.step is not None or self.log
        if self.choices is not None:
            if ranged or not self.choices:
                raise ValueError("give a non-empty `choices` list, or low/high, not both")
        elif self.low is None or self.high is None:
            raise ValueError("give low and high (a range) or choices (a list)")
        elif self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        elif self.log and (self.low <= 0 or self.step is not None):
            raise ValueError("log: true needs low > 0 and no step")
        return self


class HPOParams(Frozen):
    """Optuna studies (`kdgat hpo run`): what a trial optimises, how, and where studies live."""

    metric: Literal["val/loss", "val/f1", "val/auroc"] = "val/loss"
    sampler: Literal["tpe", "cmaes"] = "tpe"
    pruner: Literal["median", "halving", "none"] = "median"
    storage: str = Field(
        ".kdgat/hpo/journal.log", description="journal file on shared storage, or an RDB URL"
    )
    startup_trials: int = Field(5, ge=0, description="random trials before TPE and pruning")
    warmup_epochs: int = Field(1, ge=0, description="epochs before a trial may be pruned")
    space: dict[str, dict[str, SearchDimension]] = {}  # model -> key -> dimension (hpo checks)


class Params(Frozen):
    """Everything in params.yaml. Top-level keys are shared training defaults."""

    datasets: list[DatasetName] = Field(min_length=1)
    seed: int = 42
    seeds: list[int] = Field(default_factory=lambda: [42], min_length=1)
    lr: float = Field(1e-3, gt=0)
    epochs: int = Field(20, ge=1)
    batch_size: int = Field(64, ge=1)
    weight_decay: float = Field(1e-4, ge=0)
    patience: int = Field(5, ge=1, description="epochs without validation gain before stopping")
    precision: Literal["32", "16-mixed", "bf16-mixed"] = "32"
    accumulate_grad_batches: int = Field(1, ge=1)
    accelerator: Literal["auto", "cpu", "gpu"] = "auto"
    threads: int = Field(1, ge=0, description="torch intra-op CPU threads; 0: torch's default")
    ingest: IngestParams = IngestParams()
    synth: SynthParams = SynthParams()
    graphs: GraphParams = GraphParams()
    gat: GATParams
    gin: GINParams
    vgae: VGAEParams
    kd: KDParams = KDParams()
    fusion: FusionParams = FusionParams()
    dqn: DQNParams = DQNParams()
    baseline: BaselineParams = BaselineParams()
    threshold: ThresholdParams = ThresholdParams()
    tracking: TrackingParams = TrackingParams()
    lakehouse: LakehouseParams = LakehouseParams()
    hpo: HPOParams = HPOParams()

    @field_validator("datasets", "seeds")
    @classmethod
    def _distinct(cls, values: list[Any]) -> list[Any]:
        # dvc.yaml's matrix would make two identical stages of a repeated entry.
        repeated = sorted({str(v) for v in values if values.count(v) > 1})
        if repeated:
            raise ValueError(f"listed more than once: {', '.join(repeated)}")
        return values


class DatasetEntry(Frozen):
    """One dataset of data/catalog.yaml."""

    domain: Literal["can", "netflow"]
    format: Literal[
        "can_csv",
        "parquet",
        "hcrl_car_hacking",
        "candump",
        "asc",
        "blf",
        "netflow_cicids",
        "netflow_unsw",
        "road",
        "can_mirgu",
    ]
    source: str = Field(
        description="folder or glob (relative to the repo root), https URL, hf://<repo>, synth, "
        "or `manual: <steps>` where the publisher needs a form or a licence click"
    )
    # What `kdgat datasets` shows; none of it changes how the data is read.
    licence: str | None = None
    citation: str | None = Field(None, description="BibTeX key and DOI or URL")
    size: str | int | None = Field(None, description="human text ('17 GB') or bytes")
    page: str | None = Field(None, description="the publisher's page of the dataset")
    sha256: dict[str, str] = {}
    train: list[str] = Field(min_length=1)
    validation: list[str] = Field(
        [],
        description="captures that validate instead of the training captures' tails, e.g. "
        "another vehicle, so that model selection, thresholds and fusion see a shift",
    )
    test: dict[str, list[str]] = Field(min_length=1)
    exclude: list[str] = []

    @field_validator("test")
    @classmethod
    def _scenario_names(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        # "train" and "val" name the graph stores of those splits: a scenario named so would
        # overwrite one of them.
        clash = sorted(set(value) & {"train", "val"})
        if clash:
            raise ValueError(f"test scenario {clash[0]!r} is a reserved split name; rename it")
        return value

    @field_validator("sha256")
    @classmethod
    def _hex_digests(cls, value: dict[str, str]) -> dict[str, str]:
        for name, digest in value.items():
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest.lower()):
                raise ValueError(f"sha256 of {name!r} must be 64 hex characters")
        return value

    @field_validator("source")
    @classmethod
    def _manual_steps(cls, value: str) -> str:
        # `kdgat fetch` prints these steps instead of fetching: empty steps would help nobody.
        if value.startswith(MANUAL) and not value.removeprefix(MANUAL).strip():
            raise ValueError("a `manual:` source must say the page and the steps after it")
        return value

    @property
    def manual(self) -> str | None:
        """The manual download steps of a ``manual:`` source, else None."""
        if not self.source.startswith(MANUAL):
            return None
        return self.source.removeprefix(MANUAL).strip()


class Catalog(Frozen):
    """Everything in data/catalog.yaml: the datasets by name."""

    datasets: dict[DatasetName, DatasetEntry] = Field(min_length=1)

    def entry(self, name: str, file: Path = CATALOG_FILE) -> DatasetEntry:
        """The dataset ``name``, or an error listing the known ones (``file`` names the catalog)."""
        if name not in self.datasets:
            raise ConfigError(
                f"{file}: no dataset {name!r}; known datasets: {', '.join(sorted(self.datasets))}"
            )
        return self.datasets[name]


Model = TypeVar("Model", bound=BaseModel)


def load_params(path: Path = PARAMS_FILE) -> Params:
    """Load and validate params.yaml."""
    return _load(path, Params)


def load_catalog(path: Path = CATALOG_FILE) -> Catalog:
    """Load and validate the dataset catalog."""
    return _load(path, Catalog)


def load(params: Path = PARAMS_FILE, catalog: Path = CATALOG_FILE) -> tuple[Params, Catalog]:
    """Load both files and check that every dataset in params is in the catalog."""
    p, c = load_params(params), load_catalog(catalog)
    for name in p.datasets:
        c.entry(name, catalog)
    return p, c


class _UniqueKeys(yaml.SafeLoader):
    """YAML's safe loader, except that a key given twice is an error, not the last one wins."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        lines: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if key in lines:
                raise DuplicateKeyError(
                    f"key {key!r} is given twice, on lines {lines[key]} and {line}"
                )
            lines[key] = line
        return super().construct_mapping(node, deep)


class DuplicateKeyError(yaml.YAMLError):
    """A mapping names the same key twice."""


def read_yaml(path: Path, error: type[Exception] = ConfigError) -> Any:
    """A settings file's YAML; a missing, unreadable or invalid file raises ``error`` naming it."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeys)
    except FileNotFoundError:
        raise error(f"{path}: file not found; run from the repository root") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder; give the path of the YAML file") from None
    except UnicodeDecodeError as err:
        raise error(f"{path}: not UTF-8 text (byte {err.start}); save it as UTF-8") from None
    except DuplicateKeyError as err:
        raise error(f"{path}: {err}; keep one of them") from None
    except yaml.YAMLError as err:
        raise error(f"{path}: not valid YAML ({err}); fix it where the message points") from None
    except OSError as err:
        raise error(f"{path}: cannot be read ({err.strerror}); give a readable file") from None


def _load(path: Path, model: type[Model]) -> Model:
    raw = read_yaml(path)
    try:
        return model.model_validate(raw if raw is not None else {})
    except ValidationError as err:
        raise ConfigError(describe(err, path, model)) from None


def describe(err: ValidationError, path: Path, model: type[BaseModel]) -> str:
    """Turn a Pydantic error into lines naming file, key, problem and allowed values."""
    lines = [f"{path}: {err.error_count()} invalid setting(s)"]
    for error in err.errors():
        key = ".".join(str(part) for part in error["loc"]) or "<top level>"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            allowed = _allowed_keys(model, error["loc"][:-1])
            message = f"unknown key; allowed keys here: {', '.join(allowed)}"
        elif error["type"] == "missing":
            message = "required key is missing; add it"
        lines.append(f"  {key}: {message}")
    return "\n".join(lines)


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the (nested) model that ``loc`` points into."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or not (
            isinstance(current, type) and issubclass(current, BaseModel)
        ):
            continue
        field = current.model_fields.get(str(part))
        if field is None:  # a dict key (e.g. a dataset name): descend into the value type
            continue
        current = _model_of(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(current.model_fields)
    return []


def _model_of(annotation: Any) -> Any:
    """The BaseModel inside ``X``, ``dict[str, X]`` or ``list[X]``, else the annotation."""
    for arg in reversed(getattr(annotation, "__args__", ())):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return annotation
