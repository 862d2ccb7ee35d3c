"""A seeded demo portfolio with known true effects (see `impact.demo.truth`)."""

from impact.demo.generate import DemoFile, DemoFiles, Sizes, build, generate, sizes
from impact.demo.load import is_empty, load_demo
from impact.demo.resume import is_partial

__all__ = [
    "DemoFile",
    "DemoFiles",
    "Sizes",
    "build",
    "generate",
    "is_empty",
    "is_partial",
    "load_demo",
    "sizes",
]
