"""Read what the Overview and the Data page show once, right after data is written, so the
results are kept beside the new warehouse version (impact.warehouse.results) and the first
visitor gets them without waiting for the scans."""

from __future__ import annotations

import time

from impact.store import Store


def warm(store: Store) -> float:
    """Compute the portfolio, the model cards (readouts, evidence, health) and every
    dataset's readiness; the seconds it took. Nothing is written but kept results."""
    from impact.analysis.model_cards import model_cards
    from impact.analysis.portfolio import portfolio
    from impact.analysis.readiness import readiness

    start = time.perf_counter()
    if not portfolio(store).empty:
        model_cards(store)
    readiness(store)
    return time.perf_counter() - start
