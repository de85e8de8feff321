"""The Z3 verifier (paper 002, §2.3): the runs of N processes over R rounds as
constraints, the machine as the asserted graph of its transition function, and
the negation of the properties; satisfiable means a counterexample.

The run structure depends only on (N, R, f, K, crash model, properties), so it
is built once and each machine is checked inside push/pop.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

from ..errors import OracleError
from .checker import CheckResult
from .machine import Machine, keys
from .model import Crashes, Model, simulate


def _z3() -> Any:
    """The z3 module (Any: z3 has no type information)."""
    try:
        import z3
    except ImportError as exc:  # pragma: no cover - z3-solver is a dependency
        raise OracleError(f"the z3 verifier needs z3-solver ({exc})") from None
    return z3


class Encoding:
    """The solver with the runs asserted, for one (model, K)."""

    def __init__(self, model: Model, k: int):
        z3 = _z3()
        self.model, self.k = model, k
        n, R, S = model.n, model.rounds, 4 + k
        self.solver = z3.SolverFor("QF_UFLIA")
        s = self.solver
        self.delta = z3.Function("delta", *([z3.IntSort()] * (S + 2)), z3.IntSort())
        self.abort_vote = [z3.Bool(f"abort_vote_{i}") for i in range(n)]
        self.crash = [z3.Int(f"crash_{i}") for i in range(n)]  # R + 1: never
        self.deliver = {(j, i): z3.Bool(f"deliver_{j}_{i}")
                        for j in range(n) for i in range(n) if i != j}
        for c in self.crash:
            s.add(c >= 1, c <= R + 1)
        s.add(z3.Sum([z3.If(c <= R, 1, 0) for c in self.crash]) <= model.f)
        if not model.partial:
            for j in range(n):
                others = [self.deliver[j, i] for i in range(n) if i != j]
                s.add(*[d == others[0] for d in others[1:]])
        st = [[z3.If(self.abort_vote[i], 1, 0)] for i in range(n)]
        for r in range(1, R + 1):
            for i in range(n):
                counts: list[list[Any]] = [[] for _ in range(S + 1)]  # z3 terms
                for j in range(n):
                    if j == i:
                        continue
                    got = z3.Or(r < self.crash[j], z3.And(self.crash[j] == r, self.deliver[j, i]))
                    for x in range(S):
                        counts[x].append(z3.If(z3.And(got, st[j][r - 1] == x), 1, 0))
                    counts[S].append(z3.If(got, 0, 1))
                nxt = z3.Int(f"next_{i}_{r}")
                s.add(nxt == self.delta(st[i][r - 1], *[z3.Sum(c) for c in counts]))
                cur = z3.Int(f"state_{i}_{r}")
                s.add(cur == z3.If(r < self.crash[i], nxt, st[i][r - 1]))
                st[i].append(cur)
        self.states = st
        commit = [z3.Or([st[i][r] == 2 for r in range(1, R + 1)]) for i in range(n)]
        abort = [z3.Or([st[i][r] == 3 for r in range(1, R + 1)]) for i in range(n)]
        lost = z3.Or([c <= R for c in self.crash])
        some_abort_vote = z3.Or(self.abort_vote)
        final_commit = [z3.And(commit[i], z3.Not(abort[i])) for i in range(n)]
        final_abort = [z3.And(abort[i], z3.Not(commit[i])) for i in range(n)]
        self.props = {
            "P1": z3.Not(z3.Or([z3.And(commit[i], abort[i]) for i in range(n)])),
            "P2": z3.And([z3.Implies(self.abort_vote[i], z3.Not(commit[i])) for i in range(n)]),
            "V": z3.And([z3.Implies(commit[i], z3.Not(some_abort_vote)) for i in range(n)]),
            "P3": z3.Not(z3.And(z3.Or(commit), z3.Or(abort))),
            "P4": z3.Implies(z3.And(z3.Not(lost), some_abort_vote), z3.And(final_abort)),
            "P5": z3.Implies(z3.And(z3.Not(lost), z3.Not(some_abort_vote)), z3.And(final_commit)),
        }
        s.add(z3.Not(z3.And([self.props[p] for p in model.props])))

    def check(self, machine: Machine) -> CheckResult:
        z3 = _z3()
        t0 = time.perf_counter()
        if machine.k != self.k or machine.n != self.model.n:
            raise OracleError("the machine's N or K differs from the encoding's")
        s = self.solver
        s.push()
        try:
            for (own, counts), t in machine.table.items():
                s.add(self.delta(own, *counts) == t)
            answer = s.check()
            if answer == z3.unknown:
                raise OracleError(f"z3 gave no answer: {s.reason_unknown()}")
            if answer == z3.unsat:
                return CheckResult(True, seconds=time.perf_counter() - t0, backend="z3")
            m = s.model()
            n, R = self.model.n, self.model.rounds
            votes = tuple(1 if z3.is_true(m.eval(v, model_completion=True)) else 0
                          for v in self.abort_vote)
            crashes: Crashes = {}
            for j in range(n):
                r = m.eval(self.crash[j], model_completion=True).as_long()
                if r <= R:
                    to = frozenset(i for i in range(n) if i != j and
                                   z3.is_true(m.eval(self.deliver[j, i], model_completion=True)))
                    crashes[j] = (r, to)
        finally:
            s.pop()
        run = simulate(machine, self.model, votes, crashes)
        if run.violation is None:
            raise OracleError("internal error: the z3 counterexample does not reproduce")
        return CheckResult(False, run.violation, run, seconds=time.perf_counter() - t0,
                           backend="z3")


@lru_cache(maxsize=32)
def encoding(model: Model, k: int) -> Encoding:
    return Encoding(model, k)


def check(machine: Machine, model: Model) -> CheckResult:
    """Verify a complete machine with Z3."""
    missing = [key for key in keys(machine.n, machine.k) if key not in machine.table]
    if missing:
        raise OracleError(f"the z3 verifier needs a complete machine ({len(missing)} inputs missing)")
    return encoding(model, machine.k).check(machine)
