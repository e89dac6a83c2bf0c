"""Where every artifact lives: the only module that spells a pipeline path or file name.

``Layout(root)`` is rooted at a workspace (the repository root by default), so a
test passes ``tmp_path`` instead of changing directory. Everything trained is per
seed (``<seed>`` = ``seed_42``: dvc.yaml's matrix over datasets x seeds); a
``Layout`` with ``seed=None`` is one unseeded run (an HPO trial's folder). Each folder of artifacts
is a small typed object built from a path, so a stage writing into a temporary
folder (``kdgat.io.replace_dir``) names its files the same way as a reader of
the final folder: ``ModelFiles(tmp).thresholds``.

    data/raw/<ds>/                         raw captures (fetched, or written by synth)
    data/processed/<ds>/manifest.json      validated Parquet per capture (ingest)
    data/graphs/<ds>/<split>/              one graph store per split (graphs)
    data/graphs/<ds>/{meta,vocab,scaler}.json
    metrics/<ds>/                          ingest_report.json, graphs.json
    data/fusion/<ds>/<seed>/<pair>/<split>.parquet  fusion state of every graph (fusion_state)
    models/<ds>/<seed>/<model>/            weights, thresholds.json, model_card.json
    models/<ds>/<seed>/fusion/<pair>/      dqn.pt, stacker.json, fusion.json (train_dqn)
    metrics/<ds>/<seed>/                   evaluation.json, plots/
    dvclive/<model>/<ds>/<seed>/           training curves
    lakehouse/                             exported Parquet tables (export)
    reports/headline.json                  the main models' F1, AUROC, MCC over seeds (export)
    reports/figures/, reports/tables/      the paper's figures and tables (figures)
    .kdgat/                                run checkpoints, HPO trials: never a DVC output
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kdgat.errors import KdgatError

TRAIN, VAL = "train", "val"  # the two splits every graph dataset has; the rest are scenarios
CARD = "model_card.json"


@dataclass(frozen=True)
class ProcessedFiles:
    """``data/processed/<ds>/``: one Parquet file per capture and the manifest listing them."""

    dir: Path

    @property
    def manifest(self) -> Path:
        """``manifest.json``: the captures ingest wrote, with split, file, rows and hash."""
        return self.dir / "manifest.json"


@dataclass(frozen=True)
class GraphFiles:
    """``data/graphs/<ds>/``: a store per split, the vocabulary, the scalers, the metadata."""

    dir: Path

    @property
    def meta(self) -> Path:
        """``meta.json``: features, window, attack types and source hash of the build."""
        return self.dir / "meta.json"

    @property
    def vocab(self) -> Path:
        """``vocab.json``: the node vocabulary (CAN ids or endpoint keys) fitted on train."""
        return self.dir / "vocab.json"

    @property
    def scaler(self) -> Path:
        """``scaler.json``: node and edge feature scalers fitted on train."""
        return self.dir / "scaler.json"

    def store(self, split: str) -> Path:
        """The graph store of one split (a folder, complete once its ``meta.json`` exists)."""
        return self.dir / split

    def splits(self) -> list[str]:
        """The split stores present: train, val, then the test scenarios (sorted)."""
        # A split store holds its own meta.json, written last: a store without it is incomplete.
        found = sorted(p.parent.name for p in self.dir.glob(f"*/{self.meta.name}"))
        if TRAIN not in found or VAL not in found:
            name = self.dir.name
            raise KdgatError(
                f"{self.dir}: no train/val graph stores; run `dvc repro graphs@{name}`"
            )
        return [TRAIN, VAL, *(s for s in found if s not in (TRAIN, VAL))]

    def scenarios(self) -> list[str]:
        """The test scenarios: every split but train and val."""
        return self.splits()[2:]


@dataclass(frozen=True)
class ModelFiles:
    """``models/<ds>/<model>/``: one trained model and what the evaluation reads of it."""

    dir: Path

    @property
    def weights(self) -> Path:
        """A network's weights and constructor arguments (``torch.save``, tensors only)."""
        return self.dir / "model.pt"

    @property
    def estimator(self) -> Path:
        """Boosted trees as plain arrays (the non-graph baseline, ``.npz`` without pickle)."""
        return self.dir / "model.npz"

    @property
    def thresholds(self) -> Path:
        """``thresholds.json``: the decision threshold chosen on val, and how."""
        return self.dir / "thresholds.json"

    @property
    def card(self) -> Path:
        """``model_card.json``: architecture, parameters, revision and validation results."""
        return self.dir / CARD

    @property
    def scores(self) -> Path:
        """Scores of every split, for a model that scores windows without a graph store."""
        return self.dir / "scores.parquet"


@dataclass(frozen=True)
class FusionFiles:
    """``models/<ds>/fusion/<pair>/``: the three fusion variants of one model pair."""

    dir: Path

    @property
    def dqn(self) -> Path:
        """``dqn.pt``: the Q-network that picks a per-graph fusion weight."""
        return self.dir / "dqn.pt"

    @property
    def stacker(self) -> Path:
        """``stacker.json``: the stacking regression's coefficients over the pair's state."""
        return self.dir / "stacker.json"

    @property
    def info(self) -> Path:
        """``fusion.json``: the average alpha and every variant's threshold."""
        return self.dir / "fusion.json"


@dataclass(frozen=True)
class MetricsFiles:
    """``metrics/<ds>/``: what the data stages report about one dataset."""

    dir: Path

    @property
    def ingest_report(self) -> Path:
        """``ingest_report.json``: captures found, duplicates, rows and bad rows."""
        return self.dir / "ingest_report.json"

    @property
    def graphs(self) -> Path:
        """``graphs.json``: vocabulary size and per-split graph statistics."""
        return self.dir / "graphs.json"


@dataclass(frozen=True)
class EvaluationFiles:
    """``metrics/<ds>/<seed>/``: every model of one seed on every test scenario."""

    dir: Path

    @property
    def evaluation(self) -> Path:
        """``evaluation.json``: the headline metrics (a DVC metric: ``dvc exp show``)."""
        return self.dir / "evaluation.json"

    @property
    def attacks(self) -> Path:
        """``attacks.json``: per model, scenario and attack type: recall, delays."""
        return self.dir / "attacks.json"

    @property
    def predictions(self) -> Path:
        """``predictions.parquet``: every window's score and decision (paired comparisons)."""
        return self.dir / "predictions.parquet"

    @property
    def roc(self) -> Path:
        """``plots/roc/``: a ROC curve per scenario and model (a DVC plot folder)."""
        return self.dir / "plots" / "roc"

    @property
    def pr(self) -> Path:
        """``plots/pr/``: a precision-recall curve per scenario and model."""
        return self.dir / "plots" / "pr"

    @property
    def confusion(self) -> Path:
        """``plots/confusion/``: a confusion-matrix figure per model."""
        return self.dir / "plots" / "confusion"


@dataclass(frozen=True)
class Layout:
    """Every artifact path of one workspace, for one training seed (``None``: unseeded)."""

    root: Path = Path()
    seed: int | None = None

    def seeded(self, seed: int | None) -> Layout:
        """The same workspace seen from another seed's runs."""
        return Layout(self.root, seed)

    def key(self, dataset: str) -> str:
        """The suffix of this seed's dvc.yaml stages of ``dataset``: ``synth-42``."""
        return dataset if self.seed is None else f"{dataset}-{self.seed}"

    def _per_seed(self, folder: Path) -> Path:
        return folder if self.seed is None else folder / f"seed_{self.seed}"

    @property
    def params(self) -> Path:
        """``params.yaml``: every stage's parameters (DVC tracks them)."""
        return self.root / "params.yaml"

    @property
    def catalog(self) -> Path:
        """``data/catalog.yaml``: where each dataset comes from and how to read it."""
        return self.root / "data" / "catalog.yaml"

    @property
    def sources_lock(self) -> Path:
        """``data/sources.lock``: sha256 of remote sources recorded at their first fetch."""
        return self.root / "data" / "sources.lock"

    def raw(self, dataset: str) -> Path:
        """``data/raw/<dataset>/``: raw captures, fetched or written by synth."""
        return self.root / "data" / "raw" / dataset

    def processed(self, dataset: str) -> ProcessedFiles:
        """``data/processed/<dataset>/``: the ingest stage's output."""
        return ProcessedFiles(self.root / "data" / "processed" / dataset)

    def graphs(self, dataset: str) -> GraphFiles:
        """``data/graphs/<dataset>/``: the graphs stage's output."""
        return GraphFiles(self.root / "data" / "graphs" / dataset)

    def store(self, dataset: str, split: str) -> Path:
        """The graph store of one split of a dataset."""
        return self.graphs(dataset).store(split)

    def fusion_state(self, dataset: str) -> Path:
        """The fusion_state stage's output folder."""
        return self._per_seed(self.root / "data" / "fusion" / dataset)

    def state(self, dataset: str, pair: str, split: str) -> Path:
        """A split's fusion state in the final fusion_state output folder."""
        return state_file(self.fusion_state(dataset), pair, split)

    @property
    def models(self) -> Path:
        """``models/``: every trained model, by dataset then name."""
        return self.root / "models"

    def model(self, dataset: str, name: str) -> ModelFiles:
        """``models/<dataset>/<seed>/<name>/``: one trained model."""
        return ModelFiles(self._per_seed(self.models / dataset) / name)

    def model_cards(self, dataset: str) -> list[Path]:
        """Every model card of this seed under ``models/<dataset>/`` (any depth), sorted."""
        return sorted(self._per_seed(self.models / dataset).glob(f"**/{CARD}"))

    def fusion_models(self, dataset: str) -> Path:
        """The train_dqn stage's output folder (one subfolder per pair)."""
        return self._per_seed(self.models / dataset) / "fusion"

    def fusion(self, dataset: str, pair: str) -> FusionFiles:
        """``models/<dataset>/fusion/<pair>/``: the fusion variants of one model pair."""
        return FusionFiles(self.fusion_models(dataset) / pair)

    @property
    def metrics_root(self) -> Path:
        """``metrics/``: git-tracked results, one folder per dataset."""
        return self.root / "metrics"

    def metrics(self, dataset: str) -> MetricsFiles:
        """``metrics/<dataset>/``: what the data stages report about a dataset."""
        return MetricsFiles(self.metrics_root / dataset)

    def evaluation(self, dataset: str) -> EvaluationFiles:
        """``metrics/<dataset>/<seed>/``: the evaluate stage's results of this seed."""
        return EvaluationFiles(self._per_seed(self.metrics_root / dataset))

    @property
    def dvclive_root(self) -> Path:
        """``dvclive/``: training curves of every run."""
        return self.root / "dvclive"

    def dvclive(self, model: str, dataset: str) -> Path:
        """``dvclive/<model>/<dataset>/<seed>/``: one training run's curves."""
        return self._per_seed(self.dvclive_root / model / dataset)

    @property
    def headline(self) -> Path:
        """``reports/headline.json``: the main models' means, the pipeline's only DVC metric."""
        return self.root / "reports" / "headline.json"

    @property
    def figures(self) -> Path:
        """``reports/figures/``: the paper's figures, PDF and SVG (figures)."""
        return self.root / "reports" / "figures"

    @property
    def tables(self) -> Path:
        """``reports/tables/``: the paper's tables, LaTeX and Markdown (figures)."""
        return self.root / "reports" / "tables"

    @property
    def lakehouse(self) -> Path:
        """``lakehouse/``: the Parquet tables the export stage writes."""
        return self.root / "lakehouse"

    @property
    def scratch(self) -> Path:
        """Working files that are never a DVC output (checkpoints, HPO trials)."""
        return self.root / ".kdgat"

    def run(self, run_name: str) -> Path:
        """Checkpoints of one training run, kept until its outputs are written."""
        return self.scratch / "runs" / run_name.replace("@", "_")

    def hpo(self, study: str) -> Path:
        """Trial folders and W&B files of one HPO study (scratch, never a DVC output)."""
        return self.scratch / "hpo" / study


def state_file(folder: Path, pair: str, split: str) -> Path:
    """A split's fusion state inside a fusion_state output folder (final or temporary)."""
    return folder / pair / f"{split}.parquet"
