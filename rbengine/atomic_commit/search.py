"""The certified search: a depth-first search over machines, complete (if a
correct machine of K unnamed states and R rounds exists it is found).

It fills the table lazily: the built-in verifier runs on the partial machine
until it needs an input the table lacks, and the search branches on that
entry's next state. A violation found with a partial table holds for every
completion, so the subtree is pruned; a partial table the verifier accepts is
correct whatever its remaining (unreachable) entries are. Unnamed states are
interchangeable, so an entry may use U(j+1) only once U1..Uj are in use (the
first-use order is canonical): each machine is met once up to renaming.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from . import checker
from .machine import ABORT, Key, Machine, actions, keys
from .model import Model

if TYPE_CHECKING:
    from .episode import LearnResult


@dataclass
class SearchResult:
    n: int
    k: int
    rounds: int
    machine: Machine | None
    nodes: int
    seconds: float
    complete: bool = True  # False when stopped by the node limit

    @property
    def exists(self) -> bool | None:
        return True if self.machine is not None else (False if self.complete else None)


def _complete(n: int, k: int, table: dict[Key, int]) -> Machine:
    """Fill the unreachable entries: stay in a named or unnamed state, abort from a vote."""
    full = dict(table)
    acts = set(actions(k))
    for s, c in keys(n, k):
        full.setdefault((s, c), s if s in acts else ABORT)
    return Machine(n, k, full)


def solutions(model: Model, k: int, stats: dict[str, Any] | None = None,
              node_limit: int | None = None) -> Iterator[Machine]:
    """Every correct machine up to renaming of unnamed states and unreachable entries."""
    stats = stats if stats is not None else {}
    stats.setdefault("nodes", 0)
    table: dict[Key, int] = {}
    order = actions(k)

    def dfs(used: int) -> Iterator[Machine]:
        if node_limit is not None and stats["nodes"] >= node_limit:
            stats["stopped"] = True
            return
        stats["nodes"] += 1
        r = checker.check(Machine(model.n, k, table), model, want_counterexample=False)
        if r.missing is None:
            if r.correct:
                yield _complete(model.n, k, table)
            return
        key = r.missing
        for t in order:
            if t >= 4 and t - 3 > used + 1:
                break
            table[key] = t
            yield from dfs(max(used, t - 3) if t >= 4 else used)
            del table[key]
            if stats.get("stopped"):
                return

    yield from dfs(0)


def find(n: int, k: int, rounds: int, properties: str | tuple[str, ...] = "classical",
         partial: bool = True, f: int | None = None,
         require_fail: str | tuple[str, ...] | None = None,
         node_limit: int | None = None) -> SearchResult:
    """The first correct machine, or a certificate (the exhausted search) that none exists.

    require_fail: a property set the machine must violate (for instance "classical"
    with properties="paper": a machine correct for one set and not the other).
    """
    t0 = time.perf_counter()
    model = Model(n, rounds, f=f, partial=partial, properties=properties)
    other = Model(n, rounds, f=f, partial=partial, properties=require_fail) if require_fail else None
    stats: dict[str, Any] = {}
    found = None
    for m in solutions(model, k, stats, node_limit):
        if other is None or not checker.check(m, other, want_counterexample=False).correct:
            found = m
            break
    return SearchResult(n, k, rounds, found, stats["nodes"], time.perf_counter() - t0,
                        complete=found is not None or not stats.get("stopped"))


@dataclass
class Growth:
    n: int
    results: list[SearchResult] = field(default_factory=list)

    @property
    def smallest(self) -> list[tuple[int, int]]:
        """The (K, R) that admit a correct machine and have no smaller one that does."""
        ok = [(r.k, r.rounds) for r in self.results if r.exists]
        return sorted(p for p in ok
                      if not any(q != p and q[0] <= p[0] and q[1] <= p[1] for q in ok))


def grow(n: int, properties: str | tuple[str, ...] = "classical", partial: bool = True,
         max_k: int = 2, max_rounds: int = 3, node_limit: int | None = None) -> Growth:
    """From few states and rounds upwards (the paper's strategy): every (K, R) in
    order of K + R, skipping pairs above one already known to admit a machine
    (a machine for (K, R) is one for larger K or R: unused states, staying put)."""
    g = Growth(n)
    pairs = sorted(((k, r) for k in range(max_k + 1) for r in range(1, max_rounds + 1)),
                   key=lambda p: (p[0] + p[1], p[0]))
    for k, r in pairs:
        if any(res.exists and res.k <= k and res.rounds <= r for res in g.results):
            continue
        g.results.append(find(n, k, r, properties, partial, node_limit=node_limit))
    return g


@dataclass
class LearnedGrowth:
    """A learner's growth of (K, R) next to the certified answer for each pair tried."""

    n: int
    # (k, rounds, LearnResult, certified exists)
    tried: list[tuple[int, int, LearnResult, bool | None]] = field(default_factory=list)

    @property
    def first(self) -> tuple[int, int] | None:
        return next(((k, r) for k, r, res, _ in self.tried if res.found), None)


class _Learner(Protocol):
    """What grow_learning asks of a learner (DQNLearner, TabularLearner)."""

    def learn(self, episodes: int = ..., seconds: float | None = None) -> LearnResult: ...


def grow_learning(learner_cls: Callable[..., _Learner], n: int,
                  properties: str | tuple[str, ...] = "classical", max_k: int = 2,
                  max_rounds: int = 3, episodes: int = 3000, seed: int = 0,
                  certify: bool = True) -> LearnedGrowth:
    """The paper's strategy with a learner: try (K, R) from small (order of K + R,
    then K) and grow while the learner finds no correct machine within its budget.
    A learner's failure proves nothing, so each pair tried is also settled by the
    certified search when `certify` is set."""
    out = LearnedGrowth(n)
    pairs = sorted(((k, r) for k in range(max_k + 1) for r in range(1, max_rounds + 1)),
                   key=lambda p: (p[0] + p[1], p[0]))
    for k, r in pairs:
        model = Model(n, r, properties=properties)
        res = learner_cls(model, k=k, seed=seed).learn(episodes)
        exists = find(n, k, r, properties).exists if certify else None
        out.tried.append((k, r, res, exists))
        if res.found:
            break
    return out
