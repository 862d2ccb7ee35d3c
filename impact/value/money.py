"""Money from effects. Pure: numbers in, numbers out, intervals carried through.

A metric's catalog definition says how one unit of it converts to money: `value_per_unit`
(e.g. 1/60 hours per minute) times an optional rate assumption (e.g. the loaded hourly
rate), signed by direction so that a benefit is positive (fewer minutes or less cost is a
gain). Count metrics convert only through an explicit rate assumption.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from scipy import stats as sps

from impact.errors import NotEstimable
from impact.stats.estimate import Estimate


@dataclass(frozen=True)
class Assumption:
    name: str
    value: float
    unit: str = ""
    version: int = 1
    scope: str = ""


@dataclass(frozen=True)
class MoneyRate:
    """Money per one unit of the metric, signed so that a benefit is positive."""

    per_unit: float
    currency: str
    explanation: str
    uses: tuple[Assumption, ...] = ()


def money_rate(
    *,
    direction: str,
    value_kind: str,
    unit: str,
    value_per_unit: float,
    rate: Assumption | None,
    currency: str,
) -> MoneyRate:
    if value_kind == "count" and rate is None:
        raise NotEstimable(
            "A count metric has no money value unless a value per event is "
            "set as an assumption (rate_assumption on the metric)."
        )
    sign = 1.0 if direction == "higher" else -1.0
    per_unit = sign * value_per_unit * (rate.value if rate else 1.0)
    if unit == "currency":
        parts = (
            [f"already in {currency}"]
            if value_per_unit == 1
            else [f"{value_per_unit:g} {currency} per {currency}"]
        )
    else:
        parts = [f"{value_per_unit:g} per {unit.rstrip('s') or 'unit'}"]
    if rate:
        parts.append(f"× {rate.name} {rate.value:,.2f} {rate.unit} (v{rate.version})")
    if sign < 0:
        parts.append("× −1 (lower is better)")
    return MoneyRate(per_unit, currency, " ".join(parts), (rate,) if rate else ())


def scaled(estimate: Estimate, factor: float, *, label: str, method: str) -> Estimate:
    """A known constant times an estimate: the interval scales with it (and flips if < 0)."""
    low, high = sorted((estimate.ci_low * factor, estimate.ci_high * factor))
    return replace(
        estimate,
        effect=estimate.effect * factor,
        se=abs(factor) * estimate.se,
        ci_low=low,
        ci_high=high,
        label=label,
        method=method,
        relative=False,
        baseline=None,
    )


def product(a: float, se_a: float, b: float, se_b: float) -> tuple[float, float]:
    """a·b and its delta-method standard error, for independent estimates a and b:
    Var(ab) ≈ b²Var(a) + a²Var(b)."""
    return a * b, math.sqrt(b**2 * se_a**2 + a**2 * se_b**2)


def annual_value(
    effect: Estimate, rate: MoneyRate, yearly_volume: float, volume_se: float = 0.0
) -> Estimate:
    """Money per year: effect per unit × money per metric unit × affected units per year."""
    per_unit = scaled(effect, rate.per_unit, label=effect.label, method=effect.method)
    if volume_se == 0:
        return scaled(
            per_unit,
            yearly_volume,
            label=f"{effect.label}: value per year",
            method=f"{effect.method} × {yearly_volume:,.0f} units/year",
        )
    value, se = product(per_unit.effect, per_unit.se, yearly_volume, volume_se)
    z = sps.norm.ppf(1 - effect.alpha / 2)
    return replace(
        per_unit,
        effect=value,
        se=se,
        ci_low=value - z * se,
        ci_high=value + z * se,
        label=f"{effect.label}: value per year",
        method=f"{effect.method} × estimated volume (delta method)",
    )


@dataclass(frozen=True)
class Return:
    roi: float
    roi_low: float
    roi_high: float
    payback_months: float  # inf when the value does not cover the cost
    payback_low: float  # fastest payback within the interval
    payback_high: float  # slowest (inf if the interval allows no gain)


def return_on_cost(annual: Estimate, running_cost: float) -> Return:
    """ROI = (value − cost) / cost and payback = cost / monthly value, at the estimate and
    at both ends of its interval (both are monotone in the value, so the ends map over)."""
    if running_cost <= 0:
        raise NotEstimable("ROI needs a positive running cost for the model.")

    def roi(v: float) -> float:
        return (v - running_cost) / running_cost

    def payback(v: float) -> float:
        return running_cost / (v / 12) if v > 0 else math.inf

    return Return(
        roi(annual.effect),
        roi(annual.ci_low),
        roi(annual.ci_high),
        payback(annual.effect),
        payback(annual.ci_high),
        payback(annual.ci_low),
    )
