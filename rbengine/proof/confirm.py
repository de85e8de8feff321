"""Concrete violations for what a proof could not establish.

The counter abstraction over-approximates: a violation it reaches may be
spurious. So a reported violation is searched for with the built-in backend at
concrete sizes, restricted to the kind of violation in question (two values
delivered, m' delivered...), so a higher-priority property (validity) cannot
hide it. A violation found there is a real one: its counterexample is
concretized and replayed on the model of docs/semantics.md like every other.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

from ..candidate import Candidate
from ..counterexample import Counterexample
from ..errors import OracleError
from ..oracle.semantics import M2, M
from ..scenario import Scenario, scenarios
from ..size import MAX_N, max_f

#: How many sizes past the witness's N a violation is looked for.
SPAN = 3


def _values(sc: Scenario, delivered: Sequence[int | None]) -> set[int | None]:
    return {delivered[p] for p in sc.correct}


def _integrity(sc: Scenario, delivered: Sequence[int | None]) -> bool:
    return sc.broadcaster_correct and M2 in _values(sc, delivered)


def _consistency(sc: Scenario, delivered: Sequence[int | None]) -> bool:
    return {M, M2} <= _values(sc, delivered)


def _agreement(sc: Scenario, delivered: Sequence[int | None]) -> bool:
    return len(_values(sc, delivered)) > 1


def _validity(sc: Scenario, delivered: Sequence[int | None]) -> bool:
    return sc.broadcaster_correct and delivered[0] != M


#: (scenario, delivered value per process) -> is this the violation looked for?
Goal = Callable[[Scenario, Sequence[int | None]], bool]

GOALS: dict[str, Goal] = {"integrity": _integrity, "consistency": _consistency,
                          "agreement": _agreement, "validity": _validity}
#: what each goal means, as the output says it
MEANING = {"integrity": "a correct process delivers m' while the broadcaster is correct",
           "consistency": "two correct processes deliver different values",
           "agreement": "correct processes end with different outcomes (two values, or one "
                        "delivers and another does not)",
           "validity": "the correct broadcaster does not deliver m"}


def sizes_from(n: int, f: int | None, mode: str = "byzantine") -> list[tuple[int, int]]:
    """(N, F) to try: the witness's size, then N..N+SPAN at their largest F."""
    out: list[tuple[int, int]] = []
    if f is not None and 1 <= f < n <= MAX_N:
        out.append((n, f))
    for k in range(max(n, 2), min(MAX_N, n + SPAN) + 1):
        fk = max_f(mode, k)
        if fk >= 1 and (k, fk) not in out:
            out.append((k, fk))
    return out


def find(cand: Candidate, prop: str, sizes: Iterable[tuple[int, int]], mode: str = "byzantine",
         attacker: str = "full", scenario: str | None = None,
         seconds: float | None = 30.0) -> dict[str, Any]:
    """The first (N, F) of `sizes` where the built-in backend reaches a
    quiescent state with the violation `prop` names; `scenario`: that family
    first. Returns {found, n, f, scenario, steps, delivered, tried, message}."""
    from ..oracle import builtin
    goal = GOALS[prop]
    tried: list[list[int | str]]
    message: str | None
    tried, message = [], None
    for n, f in sizes:
        scs = scenarios(mode, n, f, attacker)
        scs.sort(key=lambda s: s.name != scenario)
        for sc in scs:
            if prop in ("integrity", "validity") and not sc.broadcaster_correct:
                continue
            tried.append([n, f, sc.name])
            try:
                got, _states, cx = builtin.check(cand, sc, timeout=seconds, goal=goal)
            except OracleError as exc:
                message = " ".join(str(exc).split())
                continue
            if got is not None:
                cx = cast(Counterexample, cx)  # a violation has its counterexample
                return {"found": True, "n": n, "f": f, "scenario": sc.name,
                        "reported_as": got, "steps": len(cx.steps),
                        "delivered": {str(p): v for p, v in cx.delivered.items()},
                        "counterexample": cx.to_json(), "tried": tried, "message": message}
    return {"found": False, "tried": tried, "message": message}


def timed(fn: Callable[..., dict[str, Any]], *a: Any, **kw: Any) -> dict[str, Any]:
    t0 = time.perf_counter()
    out = fn(*a, **kw)
    out["seconds"] = round(time.perf_counter() - t0, 3)
    return out
