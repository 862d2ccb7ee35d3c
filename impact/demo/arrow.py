"""Build Arrow columns from numpy arrays without Python loops over rows.

Ten million ids as Python strings would dominate the run time, so ids are written as
fixed-width ASCII bytes straight into an Arrow string buffer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pyarrow as pa

TIMESTAMP = pa.timestamp("us", tz="UTC")
DAY_US = 86_400 * 1_000_000


def id_width(count: int, minimum: int = 6) -> int:
    return max(minimum, len(str(max(count, 1))))


def ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """`prefix` + zero-padded `numbers`, e.g. cust-000001."""
    rest = np.array(numbers, dtype=np.uint64)
    if len(rest) and rest.max() < 2**32:
        rest = rest.astype(np.uint32)  # 32-bit division is about twice as fast
    digits = np.empty((len(rest), width), dtype=np.uint8)
    for position in range(width - 1, -1, -1):  # a loop over digits, not rows
        rest, digit = np.divmod(rest, 10)
        digits[:, position] = digit
    digits += ord("0")
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    chars = np.hstack([np.broadcast_to(head, (len(numbers), len(head))), digits])
    size = chars.shape[1]
    offsets = np.arange(len(numbers) + 1, dtype=np.int64) * size
    kind = pa.string() if offsets[-1] < 2**31 else pa.large_string()
    offsets = offsets.astype(np.int32 if kind == pa.string() else np.int64)
    return pa.Array.from_buffers(
        kind, len(numbers), [None, pa.py_buffer(offsets), pa.py_buffer(chars.tobytes())]
    )


def micros(moment: datetime) -> int:
    """Microseconds since the epoch (exact: no float rounding)."""
    return (moment - datetime(1970, 1, 1, tzinfo=moment.tzinfo)) // _ONE_US


_ONE_US = datetime(1970, 1, 1, 0, 0, 0, 1) - datetime(1970, 1, 1)


def timestamps(us: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """UTC timestamps from microseconds, floored to whole seconds (as logs usually are)."""
    us = np.asarray(us, dtype=np.int64)
    us = us - us % 1_000_000
    return pa.array(us, type=pa.int64(), mask=mask).cast(TIMESTAMP)


def labels(names: Sequence[str], codes: np.ndarray) -> pa.Array:
    """Text column from integer codes into `names`."""
    dictionary = pa.DictionaryArray.from_arrays(
        pa.array(np.asarray(codes, dtype=np.int32)), pa.array(list(names), pa.string())
    )
    return dictionary.dictionary_decode()


def constant(value: str, count: int) -> pa.Array:
    return labels([value], np.zeros(count, dtype=np.int32))


def numbers(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Float column; `mask` marks empty cells (nulls, never NaN, which uploads reject)."""
    return pa.array(np.asarray(values, dtype=np.float64), type=pa.float64(), mask=mask)


def booleans(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=bool), type=pa.bool_())


def spread(rng: np.random.Generator, counts: np.ndarray, low: float, high: float):
    """For rows repeated per entity by `counts`: owner index and a uniform draw each."""
    owner = np.repeat(np.arange(len(counts)), counts)
    return owner, rng.uniform(low, high, size=len(owner))
