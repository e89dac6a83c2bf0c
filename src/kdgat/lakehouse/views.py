"""The SQL a lakehouse connection offers: tables without duplicates, and analysis views.

A run exported twice (in two exports that overlap) is kept once: ``runs`` holds the
latest export of every run id, and the other tables keep only rows of that export.
"""

from __future__ import annotations

from kdgat.lakehouse.tables import SCHEMAS

# Tables the export derives from all of its runs (over seeds), not one row set per run.
DERIVED = frozenset({"summary", "attack_summary", "comparisons", "scenarios"})

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
    "false_alarms_per_hour",
    "detected_share",
    "median_delay_s",
    "latency_ms",
    "latency_ms_single",
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
    if table in DERIVED:  # a summary of one export's runs: the latest export of each dataset
        return (
            f"CREATE VIEW {table} AS SELECT {cols} FROM _raw_{table} QUALIFY export_id = "
            "first_value(export_id) OVER "
            "(PARTITION BY dataset ORDER BY exported_at DESC, export_id DESC)"
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


def _over_seeds(metric: str) -> str:
    """mean, ci_low, ci_high of ``metric`` from the summary, as three columns."""
    where = f"FILTER (WHERE metric = '{metric}')"
    return ", ".join(
        f'max({stat}) {where} AS "{metric}{suffix}"'
        for stat, suffix in (("mean", ""), ("ci_low", "_low"), ("ci_high", "_high"))
    )


# Ranked by the mean over seeds; every row carries its interval and the scenario's
# references (prevalence, flag-everything F1), and ``chance`` marks what is not above them.
LEADERBOARD = f"""
CREATE VIEW leaderboard AS
WITH wide AS (
  SELECT dataset, scenario, model, family, size, kd, max(seeds) AS seeds, bool_or(chance) AS chance,
         {_over_seeds("f1")}, {_over_seeds("auroc")}, {_over_seeds("mcc")},
         max(mean) FILTER (WHERE metric = 'auprc') AS auprc,
         max(mean) FILTER (WHERE metric = 'precision') AS "precision",
         max(mean) FILTER (WHERE metric = 'recall') AS recall,
         max(mean) FILTER (WHERE metric = 'fpr') AS fpr,
         max(mean) FILTER (WHERE metric = 'params') AS parameters
  FROM summary GROUP BY ALL
)
SELECT p.dataset, p.scenario,
       rank() OVER (PARTITION BY p.dataset, p.scenario ORDER BY p.f1 DESC NULLS LAST) AS rank,
       p.model, p.family, p.size, p.kd, p.seeds, p.f1, p.f1_low, p.f1_high,
       p.auroc, p.auroc_low, p.auroc_high, p.mcc, p.mcc_low, p.mcc_high, p.auprc,
       p."precision", p.recall, p.fpr, CAST(p.parameters AS BIGINT) AS parameters,
       s.prevalence, s.flag_all_f1, CASE WHEN p.chance THEN '~chance' ELSE '' END AS mark
FROM wide p
LEFT JOIN scenarios s ON s.dataset = p.dataset AND s.scenario = p.scenario
WHERE s.scorable IS DISTINCT FROM false
ORDER BY p.dataset, p.scenario, rank, p.model
"""

# The single best seed of every model: optimistic by construction (a maximum over seeds),
# kept for looking up a run, never for comparing models.
BEST_OF_SEEDS = """
CREATE VIEW best_of_seeds AS
WITH best AS (
  SELECT * FROM scores WHERE f1 IS NOT NULL
  QUALIFY row_number() OVER (
    PARTITION BY dataset, model, scenario ORDER BY f1 DESC, auroc DESC NULLS LAST, run_id) = 1
)
SELECT b.dataset, b.scenario, b.model, r.seed, b.f1, b.auroc, b.mcc, b.run_id, r.git_revision,
       r.dvc_experiment, r.exported_at
FROM best b JOIN runs r ON r.run_id = b.run_id
ORDER BY b.dataset, b.scenario, b.f1 DESC, b.model
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

# Per attack type: how many windows, how many caught, how soon (means over seeds).
ATTACKS = f"""
CREATE VIEW attacks AS
SELECT dataset, scenario, attack, model, max(seeds) AS seeds,
       CAST(max(mean) FILTER (WHERE metric = 'windows') AS BIGINT) AS windows,
       {_over_seeds("recall")},
       max(mean) FILTER (WHERE metric = 'dr_at_1pct_fpr') AS dr_at_1pct_fpr,
       max(mean) FILTER (WHERE metric = 'attacks') AS attacks,
       max(mean) FILTER (WHERE metric = 'detected_share') AS detected_share,
       max(mean) FILTER (WHERE metric = 'median_delay_s') AS median_delay_s,
       max(mean) FILTER (WHERE metric = 'median_delay_frames') AS median_delay_frames
FROM attack_summary GROUP BY ALL
ORDER BY dataset, scenario, attack, recall DESC NULLS LAST, model
"""

# Per model and scenario: what an operator sees at the chosen threshold.
TIME_TO_DETECT = f"""
CREATE VIEW time_to_detect AS
SELECT dataset, scenario, model, max(seeds) AS seeds,
       max(mean) FILTER (WHERE metric = 'attacks') AS attacks,
       {_over_seeds("detected_share")},
       max(mean) FILTER (WHERE metric = 'median_delay_s') AS median_delay_s,
       max(mean) FILTER (WHERE metric = 'median_delay_frames') AS median_delay_frames,
       max(mean) FILTER (WHERE metric = 'max_delay_s') AS max_delay_s,
       {_over_seeds("false_alarms_per_hour")}
FROM summary GROUP BY ALL
HAVING max(mean) FILTER (WHERE metric = 'attacks') IS NOT NULL
ORDER BY dataset, scenario, detected_share DESC NULLS LAST, model
"""

ANALYSIS = (SCORES, LEADERBOARD, BEST_OF_SEEDS, KD_GAP, FUSION_GAIN, ATTACKS, TIME_TO_DETECT)

# The tables each table or view reads (deduplicated tables read ``runs`` for the latest export).
_RANKED = frozenset({"summary", "scenarios"})
DEPENDS: dict[str, frozenset[str]] = {
    "runs": frozenset({"runs"}),
    "summary": frozenset({"summary"}),
    "attack_summary": frozenset({"attack_summary"}),
    "comparisons": frozenset({"comparisons"}),
    "scenarios": frozenset({"scenarios"}),
    "attack_metrics": frozenset({"attack_metrics", "runs"}),
    "curves": frozenset({"curves", "runs"}),
    "attacks": frozenset({"attack_summary"}),
    "time_to_detect": frozenset({"summary"}),
    "best_of_seeds": frozenset({"metrics", "runs"}),
    "datasets": frozenset({"datasets"}),
    "metrics": frozenset({"metrics", "runs"}),
    "epoch_metrics": frozenset({"epoch_metrics", "runs"}),
    "models": frozenset({"models", "runs"}),
    "scores": frozenset({"metrics", "runs"}),
    "leaderboard": _RANKED,
    "kd_gap": _RANKED,
    "fusion_gain": _RANKED,
}
VIEWS = (
    "scores",
    "leaderboard",
    "best_of_seeds",
    "kd_gap",
    "fusion_gain",
    "attacks",
    "time_to_detect",
)
