"""Which values a graph may hold: plain JSON data that a graph file can store and read back.

Checked by Graph.set_param before anything is stored, so an edit from code (a script, a test,
a plugin) cannot leave a graph that no longer saves: NaN, infinities, integers too long for a
file, the internal MISSING marker and Python objects are refused.
"""

from __future__ import annotations

import math
from typing import Any

MAX_INT_BITS = 14_000  # about 4,200 decimal digits: under Python's int/str conversion limit
_MAX_DEPTH = 8


def plain_value_problem(value: Any, depth: int = 0) -> str | None:
    """Why value cannot be a parameter value in a graph file, or None when it can."""
    if value is None or isinstance(value, (bool, str)):
        return None
    if isinstance(value, int):
        return None if value.bit_length() <= MAX_INT_BITS else \
            "is a whole number with more than 4,000 digits"
    if isinstance(value, float):
        return None if math.isfinite(value) else f"must be a finite number; got {value!r}"
    if isinstance(value, (list, tuple)):
        if depth >= _MAX_DEPTH:
            return "is nested too deeply"
        for item in value:
            problem = plain_value_problem(item, depth + 1)
            if problem:
                return problem
        return None
    return f"must be plain data (number, text, true/false or a list); got {type(value).__name__}"
