"""Money from effects. Pure: numbers in, numbers out, intervals carried through.

A metric's catalog definition says how one unit of it converts to money: `value_per_unit`
(e.g. 1/60 hours per minute) times an optional rate assumption (e.g. the loaded hourly
rate), signed by direction so that a benefit is positive (fewer minutes or less cost is a
gain). Count metrics convert only through an explicit rate assumption.

An assumption may carry a standard error (how unsure the rate or the yearly volume is).
Money is then a product of independent uncertain factors, the effect among them. Its
interval (at the effect's own level) comes from the delta method, Var(Π xᵢ) ≈ Σ (Π/xᵢ)²
Var(xᵢ), while at most one factor has a coefficient of variation above CV_LIMIT; beyond
that the delta method under-covers (0.92 at CV 0.3 and 0.3, 0.91 at 0.5 and 0.5,
simulated), so the interval is the percentile interval of SIMULATION_DRAWS seeded normal
draws of every factor, which covers 0.95 there. The method used is in `method` and
`details["money_interval"]`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from impact.errors import NotEstimable
from impact.stats.estimate import Estimate
from impact.stats.multiple import interval_level

CV_LIMIT = 0.25
SIMULATION_DRAWS = 200_000
_SEED = 20261201  # fixed, so a figure is the same on every page and every run


@dataclass(frozen=True)
class Assumption:
    name: str
    value: float
    unit: str = ""
    version: int = 1
    scope: str = ""
    se: float = 0.0  # standard error of the value; 0 = taken as known

    def describe(self) -> str:
        """E.g. "yearly_volume (churn-model) = 240,000 ± 60,000 units v3"."""
        scope = f" ({self.scope})" if self.scope else ""
        spread = f" ± {_number(self.se)}" if self.se else ""
        return f"{self.name}{scope} = {_number(self.value)}{spread} {self.unit} v{self.version}"


def _number(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


@dataclass(frozen=True)
class Factor:
    """One multiplier of an effect: known (se 0) or uncertain."""

    name: str
    value: float
    se: float = 0.0

    @property
    def cv(self) -> float:
        if self.se == 0:
            return 0.0
        return self.se / abs(self.value) if self.value else math.inf


@dataclass(frozen=True)
class MoneyRate:
    """Money per one unit of the metric, signed so that a benefit is positive."""

    per_unit: float
    currency: str
    explanation: str
    uses: tuple[Assumption, ...] = ()
    se: float = 0.0  # from the rate assumption's standard error

    @property
    def factor(self) -> Factor:
        return Factor(self.uses[0].name if self.uses else "conversion", self.per_unit, self.se)


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
        spread = f" ± {rate.se:,.2f}" if rate.se else ""
        parts.append(f"× {rate.name} {rate.value:,.2f}{spread} {rate.unit} (v{rate.version})")
    if sign < 0:
        parts.append("× −1 (lower is better)")
    se = abs(value_per_unit) * rate.se if rate else 0.0
    return MoneyRate(per_unit, currency, " ".join(parts), (rate,) if rate else (), se)


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


def money_product(effect: Estimate, factors: list[Factor], *, label: str, method: str) -> Estimate:
    """effect × Π factors, with an interval at the effect's own level that carries the
    factors' uncertainty (delta method or simulation, see the module's docstring)."""
    known = math.prod(f.value for f in factors if f.se == 0)
    base = scaled(effect, known, label=label, method=method)
    uncertain = [f for f in factors if f.se > 0]
    if not uncertain:
        return replace(base, details={**base.details, "money_interval": "exact (known factors)"})
    level = interval_level(effect)
    z = Estimate.critical_value(1 - level)
    # The effect enters with the spread of its own interval (corrected, sequential or
    # bootstrap), read as a normal standard error at that interval's level.
    effect_se = (base.ci_high - base.ci_low) / (2 * z)
    spread = [Factor("effect", base.effect, effect_se), *uncertain]
    value = math.prod(f.value for f in spread)
    wide = [f.name for f in spread if f.cv > CV_LIMIT]
    if len(wide) >= 2:
        low, high, se = _simulated(spread, level)
        how = "simulation"
        said = (
            f"simulation interval, {SIMULATION_DRAWS:,} draws ({' and '.join(wide)} each "
            f"uncertain by more than {CV_LIMIT:.0%}, where the delta method under-covers)"
        )
    else:
        se = math.sqrt(sum((_others(spread, i) * f.se) ** 2 for i, f in enumerate(spread)))
        low, high = value - z * se, value + z * se
        how = "delta method"
        said = "delta method over " + " × ".join(f.name for f in spread)
    return replace(
        base,
        effect=value,
        se=se,
        ci_low=low,
        ci_high=high,
        method=f"{method}; {said}",
        details={**base.details, "money_interval": how},
    )


def _others(factors: list[Factor], skip: int) -> float:
    return math.prod(f.value for i, f in enumerate(factors) if i != skip)


def _simulated(factors: list[Factor], level: float) -> tuple[float, float, float]:
    rng = np.random.default_rng(_SEED)
    draws = np.ones(SIMULATION_DRAWS)
    for f in factors:
        draws *= rng.normal(f.value, f.se, SIMULATION_DRAWS)
    tail = (1 - level) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    return float(low), float(high), float(draws.std(ddof=1))


def per_unit_value(effect: Estimate, rate: MoneyRate, *, label: str) -> Estimate:
    """Money per affected unit: the effect times the conversion (and its uncertainty)."""
    return money_product(
        effect, [rate.factor], label=label, method=f"{effect.method} × {rate.explanation}"
    )


def annual_value(
    effect: Estimate, rate: MoneyRate, yearly_volume: float, volume_se: float = 0.0
) -> Estimate:
    """Money per year: effect per unit × money per metric unit × affected units per year."""
    volume = Factor("yearly_volume", yearly_volume, volume_se)
    how = f"{yearly_volume:,.0f} units/year" + (f" ± {volume_se:,.0f}" if volume_se else "")
    return money_product(
        effect,
        [rate.factor, volume],
        label=f"{effect.label}: value per year",
        method=f"{effect.method} × {how}",
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
