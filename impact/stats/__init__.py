"""Pure statistics on sufficient statistics: no I/O, no Streamlit."""

from impact.stats.estimate import Estimate, to_frame
from impact.stats.summary import CovariateStats, RatioStats, SampleStats

__all__ = ["CovariateStats", "Estimate", "RatioStats", "SampleStats", "to_frame"]
