"""The built-in verifier: every vote vector, every crash pattern, every round.

A breadth-first search over the global configurations after each round. Since
the machine reads a multiset, the processes are interchangeable: configurations
equal up to a permutation of the processes have the same futures, so each is
explored once (from the first concrete configuration that reached it, which
keeps the counterexample concrete). `check_unreduced` plays every scenario one
by one and is the reference the reduction is tested against.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations, product
from typing import Any, cast

from ..errors import OracleError
from .machine import ABORT, COMMIT, Key, Machine
from .model import Crashes, Model, Run, simulate
from .properties import violated, violated_liveness, violated_safety

#: A process in a configuration: (state, flags, vote, alive: 1 or 0).
_Proc = tuple[int, int, int, int]
#: A global configuration after a round, one _Proc per process.
_Config = tuple[_Proc, ...]


@dataclass
class CheckResult:
    correct: bool
    property: str | None = None
    counterexample: Run | None = None
    configs: int = 0
    seconds: float = 0.0
    missing: Key | None = None  # a partial machine: the first input it lacks
    backend: str = "builtin"


def _subsets(items: Sequence[int]) -> Iterator[tuple[int, ...]]:
    for size in range(len(items) + 1):
        yield from combinations(items, size)


def _rebuild(machine: Machine, model: Model, parents: list[dict[_Config, Any]], level: int,
             key: _Config, prop: str) -> Run:
    """The concrete run of a configuration found at `level`, replayed."""
    crashes: Crashes = {}
    rep = None
    for r in range(level, 0, -1):
        parent, event = parents[r][key]
        for c, to in event.items():
            crashes[c] = (r, to)
        key = parent
    rep = parents[0][key]
    votes = tuple(p[2] for p in rep)
    rounds = model.rounds if machine.complete() else level
    run = simulate(machine, dataclasses.replace(model, rounds=rounds), votes, crashes)
    if run.violation is None:
        raise OracleError(f"internal error: the counterexample to {prop} does not reproduce")
    return run


def check(machine: Machine, model: Model, want_counterexample: bool = True,
          cancel: Callable[[], bool] | None = None) -> CheckResult:
    """Verify `machine` against `model`; a partial machine may stop at a missing input.

    cancel: a callable returning True to abandon the check (polled once per
    configuration explored, so an interactive caller stops within milliseconds);
    abandoning raises OracleError."""
    t0 = time.perf_counter()
    n, k, f, props = model.n, machine.k, cast(int, model.f), model.props  # f: set by Model
    lost_sym = 4 + k
    table = machine.table
    safety = tuple(p for p in props if p in ("P1", "P2", "V", "P3"))
    # per round: configuration key -> (parent key, crashes of the round); round 0:
    # key -> the first concrete configuration of the votes
    parents: list[dict[_Config, Any]] = [{}]
    frontier: dict[_Config, _Config] = {}
    for votes in product((0, 1), repeat=n):
        config = tuple((v, 0, v, 1) for v in votes)
        key = tuple(sorted(config))
        if key not in frontier:
            frontier[key] = config
            parents[0][key] = config
    configs = len(frontier)

    def result(**kw: Any) -> CheckResult:
        return CheckResult(configs=configs, seconds=time.perf_counter() - t0, **kw)

    for r in range(1, model.rounds + 1):
        level: dict[_Config, tuple[_Config, dict[int, frozenset[int]]]] = {}
        new_frontier: dict[_Config, _Config] = {}
        for pkey, config in frontier.items():
            if cancel is not None and cancel():
                raise OracleError("verification cancelled")
            alive = [i for i in range(n) if config[i][3]]
            budget = f - (n - len(alive))
            for size in range(0, min(budget, len(alive)) + 1):
                for crashers in combinations(alive, size):
                    receivers = [i for i in alive if i not in crashers]
                    # per receiver: base counts from the other receivers
                    base: dict[int, list[int]] = {}
                    for i in receivers:
                        counts = [0] * (5 + k)
                        for j in receivers:
                            if j != i:
                                counts[config[j][0]] += 1
                        counts[lost_sym] = n - 1 - (len(receivers) - 1)
                        base[i] = counts
                    choices: Iterable[tuple[tuple[int, ...], ...]]
                    if model.partial:
                        # each receiver sees any subset of the crashers' last messages
                        options: dict[int, list[tuple[int, ...]]] = {}
                        for i in receivers:
                            seen: set[tuple[int, ...]]
                            opts: list[tuple[int, ...]]
                            seen, opts = set(), []
                            for sub in _subsets(crashers):
                                sig = tuple(sorted(config[c][0] for c in sub))
                                if sig not in seen:
                                    seen.add(sig)
                                    opts.append(sub)
                            options[i] = opts
                        choices = product(*(options[i] for i in receivers))
                    else:
                        choices = (tuple(reached for _ in receivers)
                                   for reached in _subsets(crashers))
                    for choice in choices:
                        new: list[_Proc] | _Config
                        new = list(config)
                        for i, sub in zip(receivers, choice):
                            counts = list(base[i])
                            for c in sub:
                                counts[config[c][0]] += 1
                                counts[lost_sym] -= 1
                            s, fl, v, _ = config[i]
                            t = table.get((s, tuple(counts)))
                            if t is None:
                                return result(correct=False, missing=(s, tuple(counts)))
                            if t == COMMIT:
                                fl |= 1
                            elif t == ABORT:
                                fl |= 2
                            new[i] = (t, fl, v, 1)
                        for c in crashers:
                            s, fl, v, _ = config[c]
                            new[c] = (s, fl, v, 0)
                        new = tuple(new)
                        key = tuple(sorted(new))
                        if key in level:
                            continue
                        event = {c: frozenset(i for i, sub in zip(receivers, choice) if c in sub)
                                 for c in crashers}
                        level[key] = (pkey, event)
                        new_frontier[key] = new
                        votes = tuple(p[2] for p in new)
                        flags = tuple(p[1] for p in new)
                        prop = violated_safety(votes, flags, safety)
                        if prop is None and r == model.rounds:
                            prop = violated_liveness(votes, flags, not all(p[3] for p in new),
                                                     props)
                        if prop is not None:
                            parents.append(level)
                            configs += len(level)
                            cx = (_rebuild(machine, model, parents, r, key, prop)
                                  if want_counterexample else None)
                            return result(correct=False, property=prop, counterexample=cx)
        parents.append(level)
        configs += len(level)
        frontier = new_frontier
    return result(correct=True)


def crash_patterns(model: Model) -> Iterator[Crashes]:
    """Every allowed crash pattern, one by one (the unreduced enumeration)."""
    n = model.n
    per: list[list[tuple[int, frozenset[int]] | None]] = []
    for p in range(n):
        others = [q for q in range(n) if q != p]
        opts: list[tuple[int, frozenset[int]] | None] = [None]
        for r in range(1, model.rounds + 1):
            if model.partial:
                opts += [(r, frozenset(s)) for s in _subsets(others)]
            else:
                opts += [(r, frozenset()), (r, frozenset(others))]
        per.append(opts)
    for combo in product(*per):
        if sum(c is not None for c in combo) <= cast(int, model.f):
            yield {p: c for p, c in enumerate(combo) if c is not None}


def check_unreduced(machine: Machine, model: Model) -> CheckResult:
    """Every vote vector x every crash pattern, simulated without any reduction."""
    t0 = time.perf_counter()
    runs = 0
    patterns = list(crash_patterns(model))
    for votes in product((0, 1), repeat=model.n):
        for crashes in patterns:
            run = simulate(machine, model, votes, crashes)
            runs += 1
            if run.violation:
                return CheckResult(False, run.violation, run, runs,
                                   time.perf_counter() - t0, backend="reference")
    return CheckResult(True, configs=runs, seconds=time.perf_counter() - t0, backend="reference")


def replay(machine: Machine, model: Model, run: Run) -> Run:
    """The run a counterexample describes, recomputed by the simulator."""
    return simulate(machine, model, run.votes, run.crashes)


__all__ = ["CheckResult", "check", "check_unreduced", "crash_patterns", "replay", "violated"]
