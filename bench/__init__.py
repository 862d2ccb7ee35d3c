"""Benchmarks against what a user would do instead; run with `make bench`."""
