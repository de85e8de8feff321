"""The RB-Oracle: one entry point, several interchangeable backends.

``verify`` checks a candidate in every scenario of every mode up to the target
(or of a single mode) and returns a Verdict; backends differ only in how they
search, never in what they answer.
"""

from __future__ import annotations

import time

from ..candidate import Candidate
from ..errors import OracleError
from ..scenario import MODES, PAPER_N, Scenario, modes_for_target, scenarios
from ..verdict import Check, Verdict

#: Bumped whenever a verdict could change: part of every cache key.
ORACLE_VERSION = "1"
BACKENDS = ("spin", "builtin", "reference")


def _backend(name: str):
    if name not in BACKENDS:
        raise OracleError(f"unknown backend {name!r} (known: {', '.join(BACKENDS)})")
    import importlib
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ImportError as exc:  # a missing dependency, e.g. jinja2 for spin
        raise OracleError(f"backend {name!r} cannot be loaded: {exc}") from None


def default_backend() -> str:
    """spin when it is installed (the paper's tool), else the built-in checker."""
    import shutil
    return "spin" if shutil.which("spin") and shutil.which("gcc") else "builtin"


def plan(target: str | None = "byzantine", only: str | None = None, n: int | None = None,
         f: int | None = None, attacker: str = "full") -> list[Scenario]:
    """The scenarios a verification covers, in checking order."""
    if only is not None:
        modes: tuple[str, ...] = (only,)
        if only not in MODES:
            raise OracleError(f"unknown mode {only!r} (known: {', '.join(MODES)})")
    else:
        modes = modes_for_target(target or "byzantine")
    if n is None:
        n = PAPER_N[modes[-1]]
    out: list[Scenario] = []
    for mode in modes:
        out.extend(scenarios(mode, n, None if mode == "none" else f, attacker))
    return out


def check(candidate: Candidate, scenario: Scenario, backend: str = "builtin",
          types: int | None = None, **options) -> Check:
    """One scenario with one backend."""
    t0 = time.perf_counter()
    prop, states, cx = _backend(backend).check(candidate, scenario, types=types, **options)
    return Check(scenario.mode, scenario.n, scenario.f, scenario.name, scenario.attacker,
                 prop is None, prop, states, time.perf_counter() - t0, cx)


def verify(candidate: Candidate, target: str | None = "byzantine", only: str | None = None,
           n: int | None = None, f: int | None = None, attacker: str = "full",
           backend: str | None = None, stop_early: bool = False,
           types: int | None = None, cancel=None, **options) -> Verdict:
    """Verify `candidate` against a target (cumulative) or a single mode.

    stop_early: stop at the first failing scenario (the learner needs only
    correct/incorrect). cancel: a callable returning True to abandon the
    verification; backends poll it inside a scenario too (raises OracleError).
    options: backend options such as timeout (seconds per scenario).
    """
    backend = backend or default_backend()
    checks: list[Check] = []
    correct = True
    for sc in plan(target, only, n, f, attacker):
        if cancel is not None and cancel():
            raise OracleError("verification cancelled")
        c = check(candidate, sc, backend, types=types, cancel=cancel, **options)
        checks.append(c)
        if not c.correct:
            correct = False
            if stop_early:
                break
    return Verdict(correct, checks, backend, candidate.content_hash())
