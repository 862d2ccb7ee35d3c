"""The portfolio's one answer: value per year of every study and every decision-valued
model, split into revenue, cost avoided and time saved (hours and money), with realised
value to date beside the projection, and only what the evidence supports counted as sure.

Lines are independent (different models, units and periods), so the total's standard error
is √Σ seᵢ², each line's se read from its interval (half-width over the critical value of
its level, so corrected intervals widen the total too); the total's interval is at 95%.
A harmful or unreliable verdict's money is listed apart, with the reason, never added.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from impact.analysis.value import (
    ValueLine,
    current_assumptions,
    lookup_assumption,
    portfolio_value,
)
from impact.analysis.verdict import Headline, headlines, rollout_headlines
from impact.errors import ImpactError
from impact.stats.estimate import Estimate
from impact.stats.multiple import interval_level
from impact.store import Store
from impact.value.money import Factor, money_product

TOTAL_LEVEL = 0.95


@dataclass(frozen=True)
class PortfolioLine:
    name: str  # study name, or the model valued through its decisions
    model: str
    source: str  # "A/B test", "rollout", "decisions"
    value_kind: str  # revenue, cost, time, count
    annual: Estimate  # money per year
    realised: float | None  # money delivered so far
    hours: Estimate | None  # time saved per year, for time metrics
    strength: str
    reasons: tuple[str, ...] = ()
    version: str = ""  # decisions: the version whose labelled decisions are valued

    @property
    def sure(self) -> bool:
        return self.strength not in ("harmful", "unreliable")


@dataclass(frozen=True)
class PortfolioTotal:
    lines: list[PortfolioLine]
    currency: str
    total: Estimate | None  # sure lines only
    by_kind: dict[str, Estimate] = field(default_factory=dict)  # sure lines, per value kind
    hours: Estimate | None = None
    realised: float = 0.0
    problems: list[ValueLine] = field(default_factory=list)  # studies not valued, and why
    verdicts: list[Headline] = field(default_factory=list)  # every study's, graded
    values: list[ValueLine] = field(default_factory=list)  # every study's money, or why not

    @property
    def unsure(self) -> list[PortfolioLine]:
        return [line for line in self.lines if not line.sure]


def portfolio_total(store: Store) -> PortfolioTotal:
    graded = headlines(store) + rollout_headlines(store)
    verdicts: dict[str, Headline] = {h.study: h for h in graded if h.study}
    lines, problems = [], []
    currency = "USD"
    values = portfolio_value(store)
    for v in values:
        if v.value is None:
            problems.append(v)
            continue
        value = v.value
        currency = value.rate.currency
        verdict = verdicts.get(value.study)
        metric = store.catalog.metric(value.metric)
        lines.append(
            PortfolioLine(
                value.study,
                value.model,
                "rollout" if value.arm == "rollout" else "A/B test",
                metric.value_kind,
                value.annual,
                float(value.realised["value"].iloc[-1]) if len(value.realised) else None,
                _hours(store, value, metric),
                verdict.strength if verdict else "inconclusive",
                verdict.evidence.reasons if verdict and verdict.evidence else (),
            )
        )
    lines += decision_lines(store)
    return PortfolioTotal(lines, currency, *totals(lines), problems, graded, values)


def totals(
    lines: list[PortfolioLine],
) -> tuple[Estimate | None, dict[str, Estimate], Estimate | None, float]:
    """Total, split by value kind, hours and realised money of the sure lines among `lines`
    (the whole portfolio, or the Overview's filtered part of it)."""
    sure = [line for line in lines if line.sure]
    kinds = sorted({line.value_kind for line in sure})
    hours = [line.hours for line in sure if line.hours is not None]
    return (
        _sum([line.annual for line in sure], "portfolio: value per year"),
        {k: _sum([x.annual for x in sure if x.value_kind == k], k) for k in kinds},
        _sum(hours, "time saved: hours per year") if hours else None,
        sum(line.realised or 0.0 for line in sure),
    )


def decision_lines(store: Store) -> list[PortfolioLine]:
    """Models valued through their labelled decisions (value matrix × confusion matrix of
    the latest version), per year at the model's yearly volume."""
    from impact.analysis.value import decision_value_estimate

    out = []
    for model in store.catalog.models():
        try:
            per, n_version = decision_value_estimate(store, model.name)
        except ImpactError:
            continue
        if per is None:
            continue
        table = current_assumptions(store)
        volume = lookup_assumption(table, "yearly_volume", model.name)
        if volume is None:
            continue
        annual = money_product(
            per,
            [Factor("yearly_volume", volume.value, volume.se)],
            label=f"{model.name}: value per year",
            method=f"{per.method} × {volume.value:,.0f} predictions/year",
        )
        out.append(
            PortfolioLine(
                model.name,
                model.name,
                "decisions",
                "cost",
                annual,
                per.effect * sum(per.n.values()),
                None,
                "conclusive" if annual.ci_low > 0 else "inconclusive",
                (),
                n_version,
            )
        )
    return out


def _hours(store: Store, value, metric) -> Estimate | None:
    """Hours saved per year: the effect in minutes × hours per minute × yearly volume."""
    if metric.value_kind != "time":
        return None
    table = current_assumptions(store)
    volume = lookup_assumption(table, "yearly_volume", value.model)
    if volume is None:
        return None
    sign = 1.0 if metric.direction == "higher" else -1.0
    return money_product(
        value.effect,
        [
            Factor("hours per unit", sign * metric.value_per_unit),
            Factor("yearly_volume", volume.value, volume.se),
        ],
        label=f"{value.study}: hours saved per year",
        method="effect × hours per unit × yearly volume",
    )


def _sum(estimates: list[Estimate], label: str) -> Estimate | None:
    if not estimates:
        return None
    total = sum(e.effect for e in estimates)
    se = math.sqrt(sum(_se(e) ** 2 for e in estimates))
    return Estimate.from_se(
        total,
        se,
        alpha=1 - TOTAL_LEVEL,
        n={},
        method=f"sum of {len(estimates)} independent figures (√Σ se²)",
        label=label,
    )


def _se(e: Estimate) -> float:
    z = Estimate.critical_value(1 - interval_level(e))
    return (e.ci_high - e.ci_low) / (2 * z)
