"""Impact: what a production ML model changed in the business, in money, and how sure we are."""

__version__ = "0.1.0"
