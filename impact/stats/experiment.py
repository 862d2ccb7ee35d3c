"""An experiment readout from per-arm statistics: every arm against control on every metric.

Pure: takes each metric's `ArmStats` (arm → SampleStats or PairedStats), as the warehouse
and the file readers return them, and gives estimates, checks and power as plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from impact.errors import InvalidInput, NotEstimable
from impact.options import ReadoutOptions
from impact.stats.ab import (
    cuped_difference,
    mean_difference,
    proportion_difference,
    ratio_difference,
)
from impact.stats.checks import SampleRatioCheck, guardrail, sample_ratio
from impact.stats.estimate import Caveat, Estimate
from impact.stats.multiple import correct
from impact.stats.power import minimum_detectable_effect, per_unit_sd, sample_size
from impact.stats.sequential import always_valid
from impact.stats.summary import ArmStats, PairedStats, SampleStats, outcome
from impact.vocabulary import Direction, MetricAggregation


@dataclass(frozen=True)
class MetricInput:
    """One metric's per-arm statistics and how to read them."""

    name: str
    arms: ArmStats  # ratio metrics: PairedStats with x the denominator
    aggregation: MetricAggregation = "sum"
    direction: Direction = "higher"
    guardrail_tolerance: float | None = None  # set for guardrail metrics
    target_effect: float | None = None  # absolute effect the study should detect
    family: str = ""  # metrics of one family are corrected together; "" = this metric alone


@dataclass(frozen=True)
class PowerRow:
    """Power of one comparison on the readout's own scale and variance: a relative
    readout's MDE and target are lifts (0.05 = +5%), a CUPED one's use the adjusted
    variance, a ratio's the delta method's."""

    metric: str
    comparison: str
    sd: float  # per unit, of what the readout tests: se = sd·sqrt(1/n_c + 1/n_t)
    mde: float
    target_effect: float | None  # on the readout's scale (a lift when relative)
    units_needed: int | None
    days_needed: float | None
    power: float = 0.8
    alpha: float = 0.05
    relative: bool = False
    variance: str = "observed"  # whose variance: observed, CUPED-adjusted, delta method …
    sequential: bool = False  # detected by the always-valid interval


@dataclass(frozen=True)
class NotEstimated:
    """A comparison the data cannot support, and why."""

    metric: str
    comparison: str
    reason: str


@dataclass
class Readout:
    control: str
    counts: dict[str, int]
    srm: SampleRatioCheck | None
    estimates: list[Estimate] = field(default_factory=list)
    guardrails: list[Estimate] = field(default_factory=list)
    power: list[PowerRow] = field(default_factory=list)
    not_estimable: list[NotEstimated] = field(default_factory=list)
    warnings: list[Caveat] = field(default_factory=list)  # about the whole readout
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
    counts = {arm: stats.n for arm, stats in metrics[0].arms.items()}
    if control not in counts:
        raise InvalidInput(
            f"Control arm {control!r} is not among the arms: "
            f"{', '.join(counts)}. Choose it with --control NAME."
        )
    readout = Readout(control, counts, _srm(counts, planned_split))
    if readout.srm is not None and readout.srm.mismatch:
        readout.warnings.append(Caveat("srm", readout.srm.message()))
    pairs = _pairs(list(counts), control, options.pairwise)
    primary: list[Estimate] = []
    for metric in metrics:
        for base, arm in pairs:
            label = f"{arm} vs {base}"
            try:
                estimate = _estimate(metric, base, arm, options, label)
            except NotEstimable as exc:
                readout.not_estimable.append(NotEstimated(metric.name, label, str(exc)))
                continue
            if metric.guardrail_tolerance is not None:
                tuning = options.tuning_n if options.sequential else None
                readout.guardrails.append(
                    guardrail(
                        estimate, metric.guardrail_tolerance, metric.direction, tuning_n=tuning
                    )
                )
            else:
                primary.append(estimate)
                readout.power.append(_power(estimate, metric, options, units_per_day))
    readout.estimates, readout.family = _corrected(primary, metrics, options)
    return readout


def _corrected(
    estimates: list[Estimate], metrics: list[MetricInput], options: ReadoutOptions
) -> tuple[list[Estimate], str]:
    """Correct each family (the metrics sharing `MetricInput.family`) on its own; the
    estimates keep their order. Returns them and a description of the families."""
    family_of = {m.name: m.family or m.name for m in metrics}
    groups: dict[str, list[Estimate]] = {}
    for e in estimates:
        groups.setdefault(family_of[e.metric], []).append(e)
    corrected: dict[int, Estimate] = {}
    described = []
    for family, members in groups.items():
        n_metrics = len({e.metric for e in members})
        described.append(f"{family}: {len(members)} comparison(s) on {n_metrics} metric(s)")
        for e, c in zip(members, correct(members, options.correction, described[-1]), strict=True):
            corrected[id(e)] = c
    return [corrected[id(e)] for e in estimates], "; ".join(described)


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


def _arm(metric: MetricInput, arm: str) -> SampleStats | PairedStats:
    stats = metric.arms.get(arm)
    if stats is None:
        raise NotEstimable(f"Arm {arm!r} has no units for this metric.")
    return stats


def _estimate(
    metric: MetricInput, base: str, arm: str, options: ReadoutOptions, label: str
) -> Estimate:
    c, t = _arm(metric, base), _arm(metric, arm)
    common = {
        "relative": options.relative,
        "alpha": options.alpha,
        "label": label,
        "metric": metric.name,
        "treatment_arm": arm,
        "control_arm": base,
    }
    # CUPED's θ and x̄ pool the same arms: every arm with a variance (OLS on their rows).
    others = [
        a
        for name, a in metric.arms.items()
        if name not in (base, arm) and isinstance(a, PairedStats) and a.n > 1
    ]
    if metric.aggregation == "ratio":
        if not (isinstance(c, PairedStats) and isinstance(t, PairedStats)):
            raise InvalidInput(
                f"Ratio metric {metric.name} needs the columns "
                "denominator_sum, denominator_sum_squares, denominator_cross."
            )
        estimate = ratio_difference(c, t, **common)
    elif (
        options.cuped
        and isinstance(c, PairedStats)
        and isinstance(t, PairedStats)
        and sum(a.x.centred_squares for a in (c, t, *others)) > 0
    ):
        estimate = cuped_difference(c, t, others=others, **common)
    elif metric.aggregation == "proportion":
        estimate = proportion_difference(outcome(c), outcome(t), **common)
    else:
        estimate = mean_difference(outcome(c), outcome(t), **common)
    if options.sequential:
        estimate = always_valid(estimate, options.tuning_n)
    return estimate


def _power(
    estimate: Estimate, metric: MetricInput, options: ReadoutOptions, units_per_day: float | None
) -> PowerRow:
    """MDE and sample size from the standard error the readout itself uses."""
    n_c, n_t = estimate.n["control"], estimate.n["treatment"]
    sd = per_unit_sd(estimate.se, n_c, n_t)
    tuning = options.tuning_n if options.sequential else None
    common = {"alpha": options.alpha, "power": options.power, "normal": estimate.df is None}
    mde = minimum_detectable_effect(sd, n_c, n_t, tuning_n=tuning, **common)
    target = metric.target_effect  # stored in metric units; a lift of the control mean
    if target and options.relative:
        target = target / estimate.baseline if estimate.baseline else None
    needed = days = None
    if target:
        size = _sample_size(
            sd,
            target,
            ratio=n_t / n_c,
            arms=len(metric.arms),
            units_per_day=units_per_day,
            tuning_n=tuning,
            **common,
        )
        if size is not None:  # None: no sample detects it; the readout goes on
            needed, days = size.total, size.days
    return PowerRow(
        metric.name,
        estimate.label,
        sd,
        mde,
        target or None,
        needed,
        days,
        power=options.power,
        alpha=options.alpha,
        relative=options.relative,
        variance=_variance_basis(estimate, metric),
        sequential=options.sequential,
    )


def _sample_size(*args, **kwargs):
    try:
        return sample_size(*args, **kwargs)
    except NotEstimable:
        return None


def _variance_basis(estimate: Estimate, metric: MetricInput) -> str:
    if "variance_reduction" in estimate.details:
        basis = "CUPED-adjusted"
    elif metric.aggregation == "ratio":
        basis = "ratio, delta method"
    elif metric.aggregation == "proportion":
        basis = "Bernoulli p(1 − p)"
    else:
        basis = "observed"
    return basis + (", relative lift" if estimate.relative else "")
