"""Sufficient statistics: what the warehouse returns instead of rows (gbstats style)."""

from __future__ import annotations

from dataclasses import dataclass

from impact.errors import NotEstimable


@dataclass(frozen=True)
class SampleStats:
    """n, Σy and Σy² of one arm (or segment). Adding two merges them."""

    n: int
    sum: float
    sum_squares: float

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

    def __add__(self, other: SampleStats) -> SampleStats:
        return SampleStats(
            self.n + other.n, self.sum + other.sum, self.sum_squares + other.sum_squares
        )


@dataclass(frozen=True)
class CovariateStats:
    """Outcome y and pre-period covariate x of one arm: Σy, Σy², Σx, Σx², Σxy."""

    y: SampleStats
    x_sum: float
    x_sum_squares: float
    cross: float  # Σ x·y

    @property
    def n(self) -> int:
        return self.y.n

    @property
    def x(self) -> SampleStats:
        return SampleStats(self.y.n, self.x_sum, self.x_sum_squares)

    @property
    def centred_cross(self) -> float:
        """Σ (x − x̄)(y − ȳ) within the arm."""
        return self.cross - self.x_sum * self.y.sum / self.n

    @property
    def centred_x_squares(self) -> float:
        return self.x_sum_squares - self.x_sum**2 / self.n

    @property
    def centred_y_squares(self) -> float:
        return self.y.sum_squares - self.y.sum**2 / self.n

    def __add__(self, other: CovariateStats) -> CovariateStats:
        return CovariateStats(
            self.y + other.y,
            self.x_sum + other.x_sum,
            self.x_sum_squares + other.x_sum_squares,
            self.cross + other.cross,
        )


@dataclass(frozen=True)
class RatioStats:
    """Numerator N and denominator D per unit of one arm, for Σnum / Σden metrics."""

    numerator: SampleStats
    denominator_sum: float
    denominator_sum_squares: float
    cross: float  # Σ N·D

    @property
    def n(self) -> int:
        return self.numerator.n

    @property
    def denominator(self) -> SampleStats:
        return SampleStats(self.n, self.denominator_sum, self.denominator_sum_squares)

    @property
    def covariance(self) -> float:
        n = self.n
        if n < 2:
            raise NotEstimable(f"An arm has {n} unit(s); a covariance needs at least 2.")
        return (self.cross - self.numerator.sum * self.denominator_sum / n) / (n - 1)

    def __add__(self, other: RatioStats) -> RatioStats:
        return RatioStats(
            self.numerator + other.numerator,
            self.denominator_sum + other.denominator_sum,
            self.denominator_sum_squares + other.denominator_sum_squares,
            self.cross + other.cross,
        )
