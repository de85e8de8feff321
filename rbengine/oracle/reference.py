"""Backend ``reference``: the unreduced search of semantics.py.

Exponentially slow; it exists so that every reduction elsewhere can be tested
against it on small instances.
"""

from __future__ import annotations

from .semantics import explore

LIMIT = 3_000_000


def check(candidate, scenario, types=None, limit: int = LIMIT, **_):
    return explore(candidate, scenario, types=types, limit=limit)
