"""An experiment readout from per-arm summaries: every arm against control on every metric.

Pure: takes the summary frames the warehouse returns (or a user's summary file) and
returns estimates, checks and power, all as plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from impact.errors import InvalidInput, NotEstimable
from impact.stats.ab import (
    cuped_difference,
    mean_difference,
    pooled_theta,
    proportion_difference,
    ratio_difference,
)
from impact.stats.checks import SampleRatioCheck, guardrail, sample_ratio
from impact.stats.estimate import Estimate
from impact.stats.multiple import Correction, correct
from impact.stats.power import minimum_detectable_effect, sample_size
from impact.stats.sequential import DEFAULT_TUNING_N, always_valid
from impact.stats.summary import CovariateStats, RatioStats, SampleStats

Aggregation = Literal["sum", "mean", "proportion", "ratio"]
SUMMARY_COLUMNS = ("arm", "n", "sum", "sum_squares")
COVARIATE_COLUMNS = ("covariate_sum", "covariate_sum_squares", "covariate_cross")
RATIO_COLUMNS = ("denominator_sum", "denominator_sum_squares", "denominator_cross")


@dataclass(frozen=True)
class ReadoutOptions:
    relative: bool = False
    cuped: bool = True
    correction: Correction = "holm"
    sequential: bool = False
    tuning_n: int = DEFAULT_TUNING_N
    alpha: float = 0.05
    power: float = 0.8
    pairwise: bool = False


@dataclass(frozen=True)
class MetricInput:
    """One metric's per-arm summary frame and how to read it."""

    name: str
    summaries: pd.DataFrame  # columns SUMMARY_COLUMNS (+ covariate / ratio columns)
    aggregation: Aggregation = "sum"
    direction: str = "higher"
    guardrail_tolerance: float | None = None  # set for guardrail metrics
    target_effect: float | None = None  # absolute effect the study should detect


@dataclass(frozen=True)
class PowerRow:
    metric: str
    comparison: str
    sd: float
    mde: float
    target_effect: float | None
    units_needed: int | None
    days_needed: float | None


@dataclass
class Readout:
    control: str
    counts: dict[str, int]
    srm: SampleRatioCheck | None
    estimates: list[Estimate] = field(default_factory=list)
    guardrails: list[Estimate] = field(default_factory=list)
    power: list[PowerRow] = field(default_factory=list)
    not_estimable: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    family: str = ""

    @property
    def trustworthy(self) -> bool:
        return self.srm is None or not self.srm.mismatch


def read_experiment(
    metrics: list[MetricInput],
    control: str,
    options: ReadoutOptions,
    *,
    planned_split: dict[str, float] | None = None,
    units_per_day: float | None = None,
) -> Readout:
    if not metrics:
        raise InvalidInput("The readout needs at least one metric.")
    first = metrics[0].summaries
    counts = {str(r.arm): int(r.n) for r in first.itertuples()}
    if control not in counts:
        raise InvalidInput(
            f"Control arm {control!r} is not among the arms: "
            f"{', '.join(counts)}. Choose it with --control NAME."
        )
    readout = Readout(control, counts, _srm(counts, planned_split))
    if readout.srm is not None and readout.srm.mismatch:
        readout.warnings.append(readout.srm.message())
    pairs = _pairs(list(counts), control, options.pairwise)
    primary: list[Estimate] = []
    for metric in metrics:
        for base, arm in pairs:
            label = f"{arm} vs {base}"
            try:
                estimate = _estimate(metric, base, arm, options, label)
            except NotEstimable as exc:
                readout.not_estimable.append(
                    {"metric": metric.name, "comparison": label, "reason": str(exc)}
                )
                continue
            if metric.guardrail_tolerance is not None:
                readout.guardrails.append(
                    guardrail(estimate, metric.guardrail_tolerance, metric.direction)
                )
            else:
                primary.append(estimate)
                readout.power.append(_power(metric, base, arm, options, label, units_per_day))
    n_metrics = len({e.metric for e in primary})
    readout.family = f"{len(pairs)} comparison(s) × {n_metrics} metric(s)"
    readout.estimates = correct(primary, options.correction, readout.family)
    return readout


def _srm(counts: dict[str, int], planned: dict[str, float] | None) -> SampleRatioCheck | None:
    if not planned or len(counts) < 2:
        return None
    return sample_ratio(counts, planned)


def _pairs(arms: list[str], control: str, pairwise: bool) -> list[tuple[str, str]]:
    others = [a for a in arms if a != control]
    pairs = [(control, a) for a in others]
    if pairwise:
        pairs += [(a, b) for i, a in enumerate(others) for b in others[i + 1 :]]
    return pairs


def _row(frame: pd.DataFrame, arm: str) -> pd.Series:
    rows = frame[frame["arm"].astype(str) == arm]
    if rows.empty:
        raise NotEstimable(f"Arm {arm!r} has no units for this metric.")
    return rows.iloc[0]


def _stats(row: pd.Series) -> SampleStats:
    return SampleStats(int(row["n"]), float(row["sum"]), float(row["sum_squares"]))


def _covariate(row: pd.Series) -> CovariateStats:
    return CovariateStats(
        _stats(row),
        float(row["covariate_sum"]),
        float(row["covariate_sum_squares"]),
        float(row["covariate_cross"]),
    )


def _has(frame: pd.DataFrame, columns: tuple[str, ...]) -> bool:
    return all(c in frame.columns for c in columns)


def _estimate(
    metric: MetricInput, base: str, arm: str, options: ReadoutOptions, label: str
) -> Estimate:
    frame = metric.summaries
    c_row, t_row = _row(frame, base), _row(frame, arm)
    common = {
        "relative": options.relative,
        "alpha": options.alpha,
        "label": label,
        "metric": metric.name,
    }
    if metric.aggregation == "ratio":
        if not _has(frame, RATIO_COLUMNS):
            raise InvalidInput(
                f"Ratio metric {metric.name} needs the columns {', '.join(RATIO_COLUMNS)}."
            )
        c, t = (
            RatioStats(
                _stats(r),
                float(r["denominator_sum"]),
                float(r["denominator_sum_squares"]),
                float(r["denominator_cross"]),
            )
            for r in (c_row, t_row)
        )
        estimate = ratio_difference(c, t, **common)
    elif options.cuped and _has(frame, COVARIATE_COLUMNS) and _covariate_varies(frame):
        all_arms = [_covariate(r) for _, r in frame.iterrows() if int(r["n"]) > 0]
        estimate = cuped_difference(
            _covariate(c_row), _covariate(t_row), theta=pooled_theta(all_arms), **common
        )
    elif metric.aggregation == "proportion":
        estimate = proportion_difference(_stats(c_row), _stats(t_row), **common)
    else:
        estimate = mean_difference(_stats(c_row), _stats(t_row), **common)
    if options.sequential:
        estimate = always_valid(estimate, options.tuning_n)
    return estimate


def _covariate_varies(frame: pd.DataFrame) -> bool:
    arms = [_covariate(r) for _, r in frame.iterrows() if int(r["n"]) > 0]
    return sum(a.centred_x_squares for a in arms) > 0


def _power(
    metric: MetricInput,
    base: str,
    arm: str,
    options: ReadoutOptions,
    label: str,
    units_per_day: float | None,
) -> PowerRow:
    frame = metric.summaries
    c = _stats(_row(frame, base))
    t = _stats(_row(frame, arm))
    pooled = c + t
    sd = pooled.variance**0.5
    mde = minimum_detectable_effect(sd, c.n, t.n, alpha=options.alpha, power=options.power)
    needed = days = None
    if metric.target_effect:
        size = sample_size(
            sd,
            metric.target_effect,
            alpha=options.alpha,
            power=options.power,
            ratio=t.n / c.n,
            arms=len(frame),
            units_per_day=units_per_day,
        )
        needed, days = size.total, size.days
    return PowerRow(metric.name, label, sd, mde, metric.target_effect, needed, days)
