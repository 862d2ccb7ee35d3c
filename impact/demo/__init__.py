"""A seeded demo portfolio with known true effects (see `impact.demo.truth`)."""

from impact.demo.generate import DemoFile, DemoFiles, Sizes, build, generate, sizes
from impact.demo.load import is_empty, load_demo

__all__ = [
    "DemoFile",
    "DemoFiles",
    "Sizes",
    "build",
    "generate",
    "is_empty",
    "load_demo",
    "sizes",
]
