"""The rollout panel: one object that owns the unit × period panel of an open session and
every relation derived from it.

`Panel.open` builds it from a stored study (impact.queries.did.stored), `Panel.from_file`
from a file of unit-period rows in a staging database (impact.queries.did.file); either
way two tables hold it:
    panel        unit_id, period, y, d: one row per cell
    panel_units  unit_id, adopted, cluster: one row per unit
`adopted` is the adoption period (NULL: never, or unknown when only a 0/1 treatment was
given); `cluster` groups units for the standard errors: the unit itself, or a coarser
grouping (a unit segment such as region) that must hold each unit whole. Scores are summed
per unit over the panel, then per cluster over the small unit table: clustering by unit
and by region share one code path, and the big table carries no extra columns.

Each method returns what one estimator needs (impact.stats.did) and names the relations it
creates; none is overwritten by another, and a method that needs another's relation asks
for it itself, so the methods can be called in any order. Results are kept for the life
of the session, so asking twice costs nothing.
    facts()          size and shape of the panel
    within()         within, TWFE's demeaned y and D                (queries.did.within)
    cells()          did_2x2, cells with their group-half residuals
    cluster_cross()  within_ct, cluster × period totals of within
    cohorts()        cs_units, cs_means, cs, cs_wide, cs_clusters   (queries.did.cohorts)
    event(l, l)      es, es_x, es_w                                 (queries.did.event)
    placebo(shift)   placebo (its cells), placebo_within
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from impact.errors import InvalidInput, NotEstimable
from impact.queries.did import file, stored
from impact.queries.did.cohorts import WIDE_PERIODS, cohort_moments
from impact.queries.did.event import event_moments, placebo_cells
from impact.queries.did.file import PanelFile
from impact.queries.did.stored import PanelSource
from impact.queries.did.within import ClusterCross, cell_sums, cross_products, within_moments
from impact.stats.did.cs import CohortMoments
from impact.stats.did.event import EventMoments
from impact.stats.did.twfe import ClusterScores, GroupCells, WithinMoments
from impact.warehouse import Staging, Transaction, Warehouse, results


@dataclass(frozen=True)
class PanelFacts:
    """Size and shape of the panel: what the readout's caveats depend on."""

    units: int
    periods: int
    cells: int
    treated_units: int
    never_treated: int
    cohorts: int  # distinct adoption periods
    clusters: int
    treated_clusters: int


class Panel:
    def __init__(
        self,
        session: Transaction | Staging,
        source: PanelSource | None = None,
        prepare: Callable[[], None] | None = None,
        version: Path | None = None,
    ):
        self.session = session
        self.source = source  # None for a file's panel
        self._results: dict[tuple, Any] = {}
        self._built: set[tuple] = set()  # results computed here, so their tables exist
        self._prepare = prepare  # builds the panel's tables; run at the first result needed
        self._keeps = version is not None  # results are kept beside the session's version

    @classmethod
    @contextmanager
    def open(cls, warehouse: Warehouse, source: PanelSource) -> Iterator[Panel]:
        """A stored study's panel, for as long as the block runs. Its tables are built
        only if a result is not already kept beside the version (impact.warehouse.results):
        a readout opened again in a fresh process costs no scan."""
        with warehouse.session() as s:

            def prepare() -> None:
                stored.create_tables(s, source)
                if source.cluster is not None:
                    _check_clusters(s, source.cluster)

            version = getattr(s, "version", None)
            if version is None:
                prepare()
            panel = cls(s, source, prepare if version is not None else None, version)
            panel._once(("checked",), lambda: True)  # its clusters are checked on opening
            yield panel

    @classmethod
    @contextmanager
    def from_file(cls, source: PanelFile, cluster: str | None = None) -> Iterator[Panel]:
        """The panel of a file's rows (see impact.queries.did.file): the adoption period in
        column `treated_at`, or a 0/1 treatment per row in `treat`; `cluster` a column that
        holds whole units, or None for the unit."""
        with Staging() as staging:
            file.create_tables(staging, source, cluster)
            if cluster is not None:
                _check_clusters(staging, cluster)
            yield cls(staging)

    def _once(self, key: tuple, compute: Callable[[], Any], build: bool = False) -> Any:
        """`compute()` once per session, and once per version if its result is kept;
        `build` computes it here even so, for the tables it leaves."""
        if key in self._results and (not build or key in self._built):
            return self._results[key]
        kept = results.MISSING
        if self._keeps and not build:
            kept = results.get(self.session.version, "panel", repr(self.source), key)
        if kept is results.MISSING:
            if self._prepare is not None:
                prepare, self._prepare = self._prepare, None
                prepare()
            kept = compute()
            self._built.add(key)
            if self._keeps:  # the version read, should a writer have published meanwhile
                results.put(self.session.version, "panel", repr(self.source), key, kept)
        self._results[key] = kept
        return kept

    def facts(self) -> PanelFacts:
        return self._once(("facts",), lambda: _facts(self.session))

    def within(self) -> WithinMoments:
        """TWFE's within moments, scores summed by cluster."""
        return self._once(("within",), lambda: within_moments(self.session, "panel", "within"))

    def cells(self) -> tuple[GroupCells, GroupCells, ClusterScores]:
        """The 2×2's treated and control cells and its cluster scores."""
        return self._once(("cells",), lambda: cell_sums(self.session))

    def cluster_cross(self) -> ClusterCross:
        """The wild cluster bootstrap's cluster cross-products of TWFE's within table."""
        if not self.within().balanced:
            raise NotEstimable("The wild cluster bootstrap here needs a balanced panel.")

        def compute() -> ClusterCross:
            # within() may have come kept: its table must be built here
            self._once(("within",), lambda: within_moments(self.session, "panel", "within"), True)
            return cross_products(self.session, "within")

        return self._once(("cross",), compute)

    def cohorts(self, wide_periods: int = WIDE_PERIODS) -> CohortMoments:
        """Callaway–Sant'Anna's per-cohort moments (and per-cluster sums)."""
        return self._once(
            ("cohorts", wide_periods), lambda: cohort_moments(self.session, wide_periods)
        )

    def event(self, leads: int = 4, lags: int = 4) -> tuple[EventMoments, np.ndarray]:
        """Event-study moments and cluster score cross-products, binned at −leads, +lags."""
        return self._once(("event", leads, lags), lambda: event_moments(self.session, leads, lags))

    def placebo(self, shift: int = 2) -> WithinMoments:
        """TWFE's within moments on the cells before adoption, adopted `shift` periods early."""

        def compute() -> WithinMoments:
            placebo_cells(self.session, shift)
            return within_moments(self.session, "placebo", "placebo_within")

        return self._once(("placebo", shift), compute)

    def adoption_outside(self) -> dict[str, int]:
        """A stored study's units adopting before the first or after the last period."""
        if self.source is None:
            raise ValueError("Only a stored study's panel knows its units' adoption dates.")
        return self._once(("outside",), lambda: stored.adoption_outside(self.session, self.source))


def _facts(s: Transaction | Staging) -> PanelFacts:
    row = s.execute("""
        WITH u AS (SELECT unit_id, min(CASE WHEN d > 0 THEN period END) AS g FROM panel
                   GROUP BY unit_id)
        SELECT (SELECT count(*) FROM u), (SELECT count(DISTINCT period) FROM panel),
               (SELECT count(*) FROM panel), count(g), count(*) - count(g), count(DISTINCT g),
               (SELECT count(DISTINCT cluster) FROM panel_units),
               count(DISTINCT k.cluster) FILTER (WHERE g IS NOT NULL)
        FROM u JOIN panel_units k USING (unit_id)""").rows[0]
    return PanelFacts(*(int(v) for v in row))


def _check_clusters(s: Transaction | Staging, name: str) -> None:
    """Every unit of table `panel_units` must sit in exactly one cluster `name`."""
    missing = [
        r[0]
        for r in s.execute(
            "SELECT DISTINCT unit_id FROM panel_units WHERE cluster IS NULL ORDER BY 1 LIMIT 4"
        ).rows
    ]
    if missing:
        raise InvalidInput(
            f"Unit(s) {_examples(missing)} lack a {name!r} value (on some or all of their "
            f"rows): give every unit one (as a unit segment or column {name!r}), or cluster "
            "by unit."
        )
    split = [
        r[0]
        for r in s.execute("""SELECT unit_id FROM panel_units GROUP BY unit_id
        HAVING count(DISTINCT cluster) > 1 ORDER BY 1 LIMIT 4""").rows
    ]
    if split:
        raise InvalidInput(
            f"Unit(s) {_examples(split)} have more than one {name!r} value: a cluster must "
            f"hold whole units, so give each unit a single {name!r}."
        )


def _examples(values: list) -> str:
    shown = ", ".join(repr(str(v)) for v in values[:3])
    return shown + (" …" if len(values) > 3 else "")
