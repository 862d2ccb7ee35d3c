"""Model health: predictions joined to their labels, reduced per model version and period.

Every function returns a small summary (one row per version × period, or per bin, category
or distinct score) and takes `db`, a Warehouse or an open warehouse session, so an analysis
can run all of them on one connection. `period` is "day", "week" or "all" (one row per
version). Time windows are half-open, [start, end). `feature=None` means the model's score;
a name means that feature from the long table prediction_features (a bound value, never an
identifier). Labels: `actual` = 1 is the positive class; a prediction is positive when
score >= threshold.

The SQL is DuckDB's, close to the standard: `$name` parameters, date_trunc, greatest and
GROUP BY 1, 2 are common to most engines though not standard; date_diff is DuckDB's only
(see operations).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from impact.contract import AFTER_LATEST_TIME, EARLIEST_TIME
from impact.vocabulary import check_choice

Window = tuple[datetime, datetime | None] | None  # [start, end); end None: open-ended

# Closed set of expressions (never user text): "all" gives one row per version.
_PERIODS = {
    "day": "date_trunc('day', p.predicted_at)",
    "week": "date_trunc('week', p.predicted_at)",
    "all": "CAST(NULL AS TIMESTAMP WITH TIME ZONE)",
}
_LABEL = "CASE WHEN p.actual = 1 THEN 1 ELSE 0 END"


def _base(model: str, window: Window, params: dict[str, Any]) -> str:
    """WHERE clause and parameters shared by every reduction; fills `params`."""
    params["model"] = model
    where = "p.model = $model"
    if window is not None:
        params["start"] = window[0]
        where += " AND p.predicted_at >= $start"
        if window[1] is not None:
            params["end"] = window[1]
            where += " AND p.predicted_at < $end"
    return where


def _period(period: str) -> str:
    return _PERIODS[check_choice("period", period, _PERIODS)]


def operations(
    db, model: str, period: str = "day", *, min_confidence: float | None = None
) -> pd.DataFrame:
    """Volume, latency percentiles, fallback share, label coverage and mean label delay.

    A prediction fell back when it was not served, or when its score is below
    `min_confidence` (if given).
    """
    params: dict[str, Any] = {
        "confidence": float("-inf") if min_confidence is None else float(min_confidence)
    }
    where = _base(model, None, params)
    # date_diff('second', …) counts whole-second boundaries; extract(epoch FROM b - a) keeps
    # fractions of a second, so it would change the delay of sub-second timestamps: kept.
    return db.frame(
        f"""
        SELECT p.model_version AS version, {_period(period)} AS period, count(*) AS n,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY p.latency_ms) AS latency_p50,
               percentile_cont(0.95) WITHIN GROUP (ORDER BY p.latency_ms) AS latency_p95,
               percentile_cont(0.99) WITHIN GROUP (ORDER BY p.latency_ms) AS latency_p99,
               avg(CASE WHEN p.served = false OR p.score < $confidence THEN 1.0 ELSE 0.0 END)
                   AS fallback_share,
               count(p.actual) AS labeled,
               avg(CASE WHEN p.actual IS NOT NULL THEN 1.0 ELSE 0.0 END) AS label_coverage,
               avg(date_diff('second', p.predicted_at, p.labeled_at)) / 86400.0
                   AS label_delay_days
        FROM predictions p WHERE {where}
        GROUP BY 1, 2 ORDER BY 1, 2""",
        params,
    )


def confusion_counts(
    db, model: str, threshold: float, period: str = "day", window: Window = None
) -> pd.DataFrame:
    """TP, FP, TN, FN of the labelled predictions at the decision threshold."""
    params: dict[str, Any] = {"threshold": float(threshold)}
    where = _base(model, window, params)
    return db.frame(
        f"""
        SELECT p.model_version AS version, {_period(period)} AS period,
               count(CASE WHEN p.score >= $threshold AND p.actual = 1 THEN 1 END) AS tp,
               count(CASE WHEN p.score >= $threshold AND p.actual <> 1 THEN 1 END) AS fp,
               count(CASE WHEN p.score < $threshold AND p.actual <> 1 THEN 1 END) AS tn,
               count(CASE WHEN p.score < $threshold AND p.actual = 1 THEN 1 END) AS fn
        FROM predictions p WHERE {where} AND p.actual IS NOT NULL
        GROUP BY 1, 2 ORDER BY 1, 2""",
        params,
    )


def score_label_counts(
    db, model: str, period: str = "day", window: Window = None, score_decimals: int | None = None
) -> pd.DataFrame:
    """Positives and negatives per distinct score: enough for ROC AUC, average precision and
    log loss. Exact for the stored scores when `score_decimals` is None (scores are stored at
    finite precision, so ties are real ties); with `score_decimals` the scores are rounded
    first, and the metrics are exact for the rounded scores (fewer rows on big tables)."""
    params: dict[str, Any] = {}
    where = _base(model, window, params)
    score = "p.score"
    if score_decimals is not None:
        params["decimals"] = int(score_decimals)
        score = "round(p.score, $decimals)"
    return db.frame(
        f"""
        SELECT p.model_version AS version, {_period(period)} AS period, {score} AS score,
               count(CASE WHEN p.actual = 1 THEN 1 END) AS positives,
               count(CASE WHEN p.actual <> 1 THEN 1 END) AS negatives
        FROM predictions p WHERE {where} AND p.actual IS NOT NULL
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
        params,
    )


def calibration_bins(
    db, model: str, period: str = "day", window: Window = None, bins: int = 10
) -> pd.DataFrame:
    """Per equal-width score bin: count, mean score, mean label, Σ(score − label)².

    Bin m holds (m−1)/M < score ≤ m/M (the first also holds 0), as in Guo et al. 2017 and
    sklearn.calibration.calibration_curve."""
    params: dict[str, Any] = {}
    where = _base(model, window, params)
    edges = [k / bins for k in range(1, bins)]
    bin_expr = _bin_expression("p.score", edges, params)
    return db.frame(
        f"""
        SELECT p.model_version AS version, {_period(period)} AS period, {bin_expr} AS bin,
               count(*) AS n, avg(p.score) AS mean_score, avg({_LABEL}) AS mean_label,
               sum((p.score - {_LABEL}) * (p.score - {_LABEL})) AS sum_squared_error
        FROM predictions p WHERE {where} AND p.actual IS NOT NULL
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
        params,
    )


def regression_sums(db, model: str, period: str = "day", window: Window = None) -> pd.DataFrame:
    """n, Σ|e|, Σe² and Σ|e|/|y| (over rows with y ≠ 0) with e = y − ŷ; ŷ is `prediction`,
    else the score."""
    params: dict[str, Any] = {}
    where = _base(model, window, params)
    error = "(p.actual - coalesce(p.prediction, p.score))"
    return db.frame(
        f"""
        SELECT p.model_version AS version, {_period(period)} AS period, count(*) AS n,
               sum(abs({error})) AS sum_abs_error, sum({error} * {error}) AS sum_squared_error,
               sum(CASE WHEN p.actual <> 0 THEN abs({error}) / abs(p.actual) END)
                   AS sum_abs_pct_error,
               count(CASE WHEN p.actual <> 0 THEN 1 END) AS n_pct
        FROM predictions p WHERE {where} AND p.actual IS NOT NULL
        GROUP BY 1, 2 ORDER BY 1, 2""",
        params,
    )


def features(db, model: str) -> pd.DataFrame:
    """The model's feature names and whether each holds numbers or text."""
    return db.frame(
        """
        SELECT f.feature, CASE WHEN count(f.number_value) > 0 THEN 'number' ELSE 'text' END
               AS kind
        FROM prediction_features f
        WHERE f.dataset_id IN (SELECT DISTINCT dataset_id FROM predictions WHERE model = ?)
        GROUP BY f.feature ORDER BY f.feature""",
        [model],
    )


def _values(feature: str | None, kind: str, params: dict[str, Any]) -> tuple[str, str]:
    """FROM clause and value expression for the score or one feature."""
    if feature is None:
        return "predictions p", "p.score"
    params["feature"] = feature
    column = "f.number_value" if kind == "number" else "f.text_value"
    source = (
        "predictions p JOIN prediction_features f ON f.dataset_id = p.dataset_id "
        f"AND f.prediction_id = p.prediction_id AND f.feature = $feature AND {column} IS NOT NULL"
    )
    return source, column


def decile_edges(db, model: str, feature: str | None, window: Window, bins: int = 10) -> list:
    """Inner bin edges at the reference window's quantiles (deciles by default)."""
    params: dict[str, Any] = {}
    where = _base(model, window, params)
    source, value = _values(feature, "number", params)
    quantiles = ", ".join(
        f"percentile_cont({k / bins!r}) WITHIN GROUP (ORDER BY {value})" for k in range(1, bins)
    )
    row = db.execute(f"SELECT {quantiles} FROM {source} WHERE {where}", params).rows[0]
    return [] if row[0] is None else sorted(set(row))


def bin_counts(
    db, model: str, feature: str | None, edges: Sequence[float], period: str, window: Window
) -> pd.DataFrame:
    """Rows per version × period × bin, bin k holding edges[k−1] < value ≤ edges[k]."""
    return _counts(db, model, feature, "number", period, window, "bin", edges)


def category_counts(
    db, model: str, feature: str, period: str, window: Window = None
) -> pd.DataFrame:
    """Rows per version × period × category of a text feature (for chi-square and PSI)."""
    return _counts(db, model, feature, "text", period, window, "category")


def _counts(
    db,
    model: str,
    feature: str | None,
    kind: str,
    period: str,
    window: Window,
    key: str,
    edges: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Rows per version × period × `key`: the value's bin when `edges` are given, else the
    value itself."""
    params: dict[str, Any] = {}
    where = _base(model, window, params)
    source, value = _values(feature, kind, params)
    if edges is not None:
        value = _bin_expression(value, edges, params)
    return db.frame(
        f"""
        SELECT p.model_version AS version, {_period(period)} AS period, {value} AS {key},
               count(*) AS n
        FROM {source} WHERE {where} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
        params,
    )


def ks_statistics(
    db,
    model: str,
    feature: str | None,
    reference: tuple[datetime, datetime],
    period: str,
    monitored_from: datetime | None = None,
) -> pd.DataFrame:
    """Two-sample Kolmogorov–Smirnov D of every version × period (of the rows from
    `monitored_from` on, if given) against the reference window, exactly as
    scipy.stats.ks_2samp computes it on the raw values.

    Between two consecutive values of a period's sample its CDF is flat while the
    reference CDF rises, so sup |F_ref − F_cur| is reached at a value x of the period's
    sample, either at x or just before it. The reference CDF is therefore needed only at
    those values (and its left limits), which one running sum over all distinct values
    gives: the cost grows with the rows, not with periods × reference values."""
    params: dict[str, Any] = {"ref_start": reference[0], "ref_end": reference[1]}
    where = _base(model, None, params)
    monitored = ""
    if monitored_from is not None:
        params["monitored_from"] = monitored_from
        monitored = "WHERE ts >= $monitored_from"
    source, value = _values(feature, "number", params)
    return db.frame(
        f"""
        WITH v AS (
            SELECT p.model_version AS version, {_period(period)} AS period,
                   p.predicted_at AS ts, {value} AS value
            FROM {source} WHERE {where}),
        ref AS (SELECT value, count(*) AS c FROM v
                WHERE ts >= $ref_start AND ts < $ref_end GROUP BY value),
        cur AS (SELECT version, period, value, count(*) AS c FROM v {monitored}
                GROUP BY 1, 2, 3),
        grid AS (SELECT value, sum(c) AS rc
                 FROM (SELECT value, c FROM ref UNION ALL SELECT DISTINCT value, 0 FROM cur) AS u
                 GROUP BY value),
        ref_cdf AS (SELECT value, rc, sum(rc) OVER (ORDER BY value ROWS BETWEEN UNBOUNDED
                                                    PRECEDING AND CURRENT ROW) AS r_cum,
                           sum(rc) OVER () AS n_ref
                    FROM grid),
        cdf AS (
            SELECT c.version, c.period, c.c, r.rc, r.r_cum, r.n_ref,
                   sum(c.c) OVER (PARTITION BY c.version, c.period ORDER BY c.value
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS c_cum,
                   sum(c.c) OVER (PARTITION BY c.version, c.period) AS n
            FROM cur c JOIN ref_cdf r ON r.value = c.value)
        SELECT version, period, max(n) AS n, max(n_ref) AS n_reference,
               max(greatest(
                   abs(CAST(r_cum AS DOUBLE) / n_ref - CAST(c_cum AS DOUBLE) / n),
                   abs(CAST(r_cum - rc AS DOUBLE) / n_ref - CAST(c_cum - c AS DOUBLE) / n)
               )) AS ks_d
        FROM cdf GROUP BY 1, 2 ORDER BY 1, 2""",
        params,
    )


def model_span(db, model: str) -> tuple[Any, Any]:
    row = db.execute(
        "SELECT min(predicted_at), max(predicted_at) FROM predictions WHERE model = ? "
        "AND predicted_at >= ? AND predicted_at < ?",
        [model, EARLIEST_TIME, AFTER_LATEST_TIME],
    ).rows[0]
    return row[0], row[1]


def _bin_expression(value: str, edges: Sequence[float], params: dict[str, Any]) -> str:
    """Number of edges strictly below the value: bins are (edge[k−1], edge[k]]."""
    if not edges:
        return "0"
    terms = []
    for k, edge in enumerate(edges):
        params[f"edge{k}"] = float(edge)
        terms.append(f"CASE WHEN {value} > $edge{k} THEN 1 ELSE 0 END")
    return "(" + " + ".join(terms) + ")"
