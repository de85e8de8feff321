"""Backend ``reference``: the unreduced search of semantics.py.

Exponentially slow; it exists so that every reduction elsewhere can be tested
against it on small instances.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..candidate import Candidate
from ..scenario import Scenario
from .backend import ScenarioResult
from .semantics import explore

LIMIT = 3_000_000


def check(candidate: Candidate, scenario: Scenario, types: int | None = None, limit: int = LIMIT,
          cancel: Callable[[], bool] | None = None, timeout: float | None = None,
          **_: object) -> ScenarioResult:
    """As every backend: cancellation, a time limit and the state limit end the
    search with an OracleError (StateLimitError for the state limit)."""
    from ..errors import StateLimitError
    from .builtin import _Guard
    guard = _Guard(cancel, timeout, max_states=limit, name="reference")
    try:
        return ScenarioResult(*explore(candidate, scenario, types=types, limit=limit,
                                       guard=guard))
    except OverflowError as exc:
        raise StateLimitError(f"reference search exceeded {limit:,} states; "
                              "try a smaller N or the built-in backend") from exc


class ReferenceBackend:
    """The unreduced search of the semantics, one interleaving at a time."""

    name = "reference"
    description = "unreduced reference search (slow; the yardstick of every reduction)"

    def unavailable(self) -> str | None:
        return None

    def check(self, candidate: Candidate, scenario: Scenario, *, types: int | None = None,
              cancel: Callable[[], bool] | None = None, timeout: float | None = None,
              **options: Any) -> ScenarioResult:
        return check(candidate, scenario, types=types, cancel=cancel, timeout=timeout,
                     **options)


BACKEND = ReferenceBackend()
