"""The SQL a lakehouse connection offers: tables without duplicates, and analysis views.

A run exported twice (in two exports that overlap) is kept once: ``runs`` holds the
latest export of every run id, and the other tables keep only rows of that export.
"""

from __future__ import annotations

from kdgat.lakehouse.tables import SCHEMAS

# Metrics of the evaluate stage shown side by side (one row per run and scenario).
SCORE_METRICS = (
    "f1",
    "auroc",
    "auprc",
    "mcc",
    "precision",
    "recall",
    "accuracy",
    "fpr",
    "dr_at_1pct_fpr",
    "latency_ms",
    "params",
)


def columns(table: str) -> str:
    """The table's column names, quoted and comma-separated, for a SELECT list."""
    return ", ".join(f'"{name}"' for name in SCHEMAS[table].names)


def dedup_sql(table: str) -> str:
    """``CREATE VIEW <table>`` over ``_raw_<table>``, one export per run (the latest)."""
    cols = columns(table)
    if table == "runs":
        return (
            f"CREATE VIEW runs AS SELECT {cols} FROM _raw_runs QUALIFY row_number() OVER "
            "(PARTITION BY run_id ORDER BY exported_at DESC, export_id DESC) = 1"
        )
    if table == "datasets":
        return (
            f"CREATE VIEW datasets AS SELECT {cols} FROM _raw_datasets QUALIFY row_number() "
            "OVER (PARTITION BY dataset, data_hash ORDER BY exported_at DESC, export_id DESC) = 1"
        )
    return (
        f"CREATE VIEW {table} AS SELECT {cols} FROM _raw_{table} t SEMI JOIN runs r "
        "ON t.run_id = r.run_id AND t.export_id = r.export_id"
    )


def _pivot(metric: str) -> str:
    return f"max(value) FILTER (WHERE metric = '{metric}') AS \"{metric}\""


SCORES = f"""
CREATE VIEW scores AS
SELECT dataset, model, scenario, run_id, {", ".join(_pivot(m) for m in SCORE_METRICS)}
FROM metrics GROUP BY ALL
"""

LEADERBOARD = """
CREATE VIEW leaderboard AS
WITH best AS (
  SELECT * FROM scores WHERE f1 IS NOT NULL
  QUALIFY row_number() OVER (
    PARTITION BY dataset, model, scenario ORDER BY f1 DESC, auroc DESC NULLS LAST, run_id) = 1
)
SELECT b.dataset, b.scenario,
       rank() OVER (PARTITION BY b.dataset, b.scenario ORDER BY b.f1 DESC) AS rank,
       b.model, r.family, r.size, r.kd, b.f1, b.auroc, b.auprc, b.mcc, b."precision", b.recall,
       b.fpr, coalesce(m.parameters, CAST(b.params AS BIGINT)) AS parameters, b.latency_ms,
       b.run_id, r.git_revision, r.dvc_experiment, r.exported_at
FROM best b
JOIN runs r ON r.run_id = b.run_id
LEFT JOIN models m ON m.run_id = b.run_id
ORDER BY b.dataset, b.scenario, rank, b.model
"""

KD_GAP = """
CREATE VIEW kd_gap AS
SELECT t.dataset, t.scenario, t.model AS teacher, s.model AS student,
       t.f1 AS teacher_f1, s.f1 AS student_f1, t.f1 - s.f1 AS f1_gap,
       t.auroc AS teacher_auroc, s.auroc AS student_auroc, t.auroc - s.auroc AS auroc_gap,
       t.parameters AS teacher_parameters, s.parameters AS student_parameters,
       round(t.parameters / nullif(s.parameters, 0), 1) AS compression
FROM leaderboard t
JOIN leaderboard s
  ON s.dataset = t.dataset AND s.scenario = t.scenario AND s.model = t.model || '_small'
ORDER BY t.dataset, t.scenario, teacher
"""

FUSION_GAIN = """
CREATE VIEW fusion_gain AS
WITH single AS (
  SELECT dataset, scenario, size, arg_max(model, f1) AS best_single, max(f1) AS best_single_f1
  FROM leaderboard WHERE family IN ('gat', 'vgae') GROUP BY ALL
), baseline AS (
  SELECT dataset, scenario, max(f1) AS baseline_f1
  FROM leaderboard WHERE family = 'baseline' GROUP BY ALL
)
SELECT f.dataset, f.scenario, f.model AS fusion, f.size, f.f1 AS fusion_f1,
       s.best_single, s.best_single_f1, f.f1 - s.best_single_f1 AS gain,
       b.baseline_f1, f.f1 - b.baseline_f1 AS gain_over_baseline
FROM leaderboard f
LEFT JOIN single s ON s.dataset = f.dataset AND s.scenario = f.scenario AND s.size = f.size
LEFT JOIN baseline b ON b.dataset = f.dataset AND b.scenario = f.scenario
WHERE f.family = 'fusion'
ORDER BY f.dataset, f.scenario, fusion
"""

ANALYSIS = (SCORES, LEADERBOARD, KD_GAP, FUSION_GAIN)

# The tables each table or view reads (deduplicated tables read ``runs`` for the latest export).
_RANKED = frozenset({"metrics", "runs", "models"})
DEPENDS: dict[str, frozenset[str]] = {
    "runs": frozenset({"runs"}),
    "datasets": frozenset({"datasets"}),
    "metrics": frozenset({"metrics", "runs"}),
    "epoch_metrics": frozenset({"epoch_metrics", "runs"}),
    "models": frozenset({"models", "runs"}),
    "scores": frozenset({"metrics", "runs"}),
    "leaderboard": _RANKED,
    "kd_gap": _RANKED,
    "fusion_gain": _RANKED,
}
VIEWS = ("scores", "leaderboard", "kd_gap", "fusion_gain")
