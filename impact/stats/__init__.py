"""Pure statistics on sufficient statistics: no I/O, no Streamlit."""

from impact.stats.estimate import Caveat, Estimate
from impact.stats.summary import PairedStats, SampleStats

__all__ = ["Caveat", "Estimate", "PairedStats", "SampleStats"]
