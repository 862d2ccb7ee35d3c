"""Sufficient statistics: what the warehouse returns instead of rows (gbstats style).

`SampleStats` holds one variable of one arm; `PairedStats` two (an outcome y and a second
variable x: the pre-period covariate for CUPED, or a ratio's denominator) and their cross
sum. Both merge with `+` (segments into the whole). A readout takes one metric's
statistics as `ArmStats`: arm name → statistics, every declared arm present (n = 0 when it
has no units yet).
"""

from __future__ import annotations

from dataclasses import dataclass

from impact.errors import NotEstimable


@dataclass(frozen=True)
class SampleStats:
    """n, Σy and Σy² of one arm (or segment)."""

    n: int = 0
    sum: float = 0.0
    sum_squares: float = 0.0

    @property
    def mean(self) -> float:
        if self.n == 0:
            raise NotEstimable("An arm has no units, so it has no mean.")
        return self.sum / self.n

    @property
    def variance(self) -> float:
        """Sample variance (n − 1 denominator), floored at 0 against rounding."""
        if self.n < 2:
            raise NotEstimable(f"An arm has {self.n} unit(s); a variance needs at least 2.")
        return max((self.sum_squares - self.sum**2 / self.n) / (self.n - 1), 0.0)

    @property
    def centred_squares(self) -> float:
        """Σ (y − ȳ)²."""
        return self.sum_squares - self.sum**2 / self.n if self.n else 0.0

    def __add__(self, other: SampleStats) -> SampleStats:
        return SampleStats(
            self.n + other.n, self.sum + other.sum, self.sum_squares + other.sum_squares
        )


@dataclass(frozen=True)
class PairedStats:
    """y and x of one arm's units with Σxy: CUPED (x = pre-period value of the metric) and
    ratio metrics (y = numerator, x = denominator) alike."""

    y: SampleStats
    x: SampleStats
    cross: float  # Σ x·y

    def __post_init__(self) -> None:
        if self.x.n != self.y.n:
            raise ValueError("y and x of a PairedStats must count the same units.")

    @property
    def n(self) -> int:
        return self.y.n

    @property
    def centred_cross(self) -> float:
        """Σ (x − x̄)(y − ȳ) within the arm."""
        return self.cross - self.x.sum * self.y.sum / self.n if self.n else 0.0

    @property
    def covariance(self) -> float:
        if self.n < 2:
            raise NotEstimable(f"An arm has {self.n} unit(s); a covariance needs at least 2.")
        return self.centred_cross / (self.n - 1)

    def __add__(self, other: PairedStats) -> PairedStats:
        return PairedStats(self.y + other.y, self.x + other.x, self.cross + other.cross)


ArmStats = dict[str, SampleStats | PairedStats]  # one metric: arm → its statistics


def outcome(stats: SampleStats | PairedStats) -> SampleStats:
    """The outcome's own statistics, whatever else was summed with it."""
    return stats.y if isinstance(stats, PairedStats) else stats
