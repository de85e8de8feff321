"""The RB-Oracle: one entry point, several interchangeable backends.

``verify`` checks a candidate in every scenario of every mode up to the target
(or of a single mode), at one size or at a list of sizes, and returns a
Verdict; backends differ only in how they search, never in what they answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .. import size as size_mod
from ..candidate import Candidate
from ..errors import OracleError
from ..scenario import MODES, PAPER_N, Scenario, modes_for_target, scenarios
from ..size import Size
from ..verdict import Check, Verdict
from . import backend as _registry

#: Bumped whenever a verdict could change: part of every cache key.
ORACLE_VERSION = "1"
#: Every registered backend (rbengine.oracle.backend is the one registry).
BACKENDS = _registry.names()


def _backend(name: str) -> _registry.Backend:
    return _registry.get(name)


def default_backend() -> str:
    """spin when it is installed (the paper's tool), else the built-in checker."""
    return _registry.preferred()


def _modes(target: str | None, only: str | None) -> tuple[str, ...]:
    if only is not None:
        if only not in MODES:
            raise OracleError(f"unknown mode {only!r} (known: {', '.join(MODES)})")
        return (only,)
    return modes_for_target(target or "byzantine")


def resolve_sizes(target: str | None = "byzantine", only: str | None = None,
                  n: int | None = None, f: int | None = None, sizes: object = None) -> list[Size]:
    """The sizes a verification covers, cheapest first: `sizes` (a list or
    ``"4,7:2"``), else the single size (n, f) with the paper's N by default."""
    modes = _modes(target, only)
    if sizes is None:
        return [Size(PAPER_N[modes[-1]] if n is None else n, f)]
    if n is not None or f is not None:
        raise OracleError("give sizes or N/F, not both")
    return size_mod.ordered(size_mod.parse(sizes), modes[-1])


def plan_sizes(target: str | None = "byzantine", only: str | None = None,
               n: int | None = None, f: int | None = None, attacker: str = "full",
               sizes: object = None) -> list[tuple[Size, list[Scenario]]]:
    """Per size (cheapest first), the scenarios checked, in checking order."""
    modes = _modes(target, only)
    out = []
    for s in resolve_sizes(target, only, n, f, sizes):
        scs: list[Scenario] = []
        for mode in modes:
            scs.extend(scenarios(mode, s.n, s.f, attacker))
        out.append((s, scs))
    return out


def plan(target: str | None = "byzantine", only: str | None = None, n: int | None = None,
         f: int | None = None, attacker: str = "full", sizes: object = None) -> list[Scenario]:
    """The scenarios a verification covers, in checking order."""
    return [sc for _, scs in plan_sizes(target, only, n, f, attacker, sizes) for sc in scs]


def notes(target: str | None = "byzantine", only: str | None = None, n: int | None = None,
          f: int | None = None, sizes: object = None) -> list[size_mod.Note]:
    """What the output must say about these sizes: vacuous modes (F=0) and F
    beyond a mode's resilience bound."""
    return size_mod.notes(resolve_sizes(target, only, n, f, sizes), _modes(target, only))


def check(candidate: Candidate, scenario: Scenario, backend: str = "builtin",
          types: int | None = None, **options: Any) -> Check:
    """One scenario with one backend."""
    t0 = time.perf_counter()
    prop, states, cx = _backend(backend).check(candidate, scenario, types=types, **options)
    return Check(scenario.mode, scenario.n, scenario.f, scenario.name, scenario.attacker,
                 prop is None, prop, states, time.perf_counter() - t0, cx)


def verify(candidate: Candidate, target: str | None = "byzantine", only: str | None = None,
           n: int | None = None, f: int | None = None, attacker: str = "full",
           backend: str | None = None, stop_early: bool = False,
           types: int | None = None, cancel: Callable[[], bool] | None = None,
           sizes: object = None, **options: Any) -> Verdict:
    """Verify `candidate` against a target (cumulative) or a single mode, at
    one size (n, f) or at every size of `sizes` (cheapest first).

    stop_early: stop at the first failing scenario (the learner needs only
    correct/incorrect); sizes after a failing one are then not checked.
    cancel: a callable returning True to abandon the verification; backends
    poll it inside a scenario too (raises OracleError). options: backend
    options such as timeout (seconds per scenario).
    """
    backend = backend or default_backend()
    planned = plan_sizes(target, only, n, f, attacker, sizes)
    checks: list[Check] = []
    correct = True
    for s, scs in planned:
        for sc in scs:
            if cancel is not None and cancel():
                raise OracleError("verification cancelled")
            c = check(candidate, sc, backend, types=types, cancel=cancel, **options)
            c.size = s.text()
            checks.append(c)
            if not c.correct:
                correct = False
                if stop_early:
                    break
        if not correct and stop_early:
            break
    sz = [s for s, _ in planned]
    return Verdict(correct, checks, backend, candidate.content_hash(),
                   sizes=[s.text() for s in sz],
                   notes=[nt.text() for nt in size_mod.notes(sz, _modes(target, only))])
