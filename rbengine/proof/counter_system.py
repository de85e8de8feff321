"""The parameterized counter system of a candidate and its schema-bounded check.

Abstract state: x[i][v], the number of correct processes that have fired
receive action i bound to value v (m or m'). Shared counts are over-estimated
from it: at most S[t][v] = bc[t][v] + sum of x[j][v] over the SEND actions j
of type t correct processes have sent <t, v>, and at most f Byzantine
processes add to any count. An action i may fire with v once its guard holds
on those over-estimates; each correct process fires i at most once (so
x[i][m] + x[i][m'] <= the number of correct processes). Every concrete
execution maps onto an abstract one (docs/oracle.md, "What `rbtui prove`
proves", has the argument).

Guards only grow with x, and each of the G distinct guards is read for two
values, so along any run (concrete or abstract) the set of true (guard, value)
pairs changes at most 2G times. Every increment between two changes had its
guard true at the segment's first state, so the whole segment is one
accelerated step: 2G + 1 steps reach every reachable abstract state, and a
bounded check of that depth is complete.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..action import DELIVER, Action
from ..candidate import Candidate
from ..errors import RbError

#: What the method can prove; "agreement" (RB-Agreement of docs/semantics.md §5)
#: also needs totality, which it cannot, so it is never reported proved.
PROPERTIES = ("integrity", "consistency", "agreement")
MODES = ("byzantine", "crash")
M, M2 = 0, 1
#: A z3 expression, or a plain int where one stands for it (z3 has no type information).
Term = Any


class ProofError(RbError):
    """A request the prover cannot handle (unknown mode, property ...)."""


@dataclass
class Result:
    """One property in one scenario family."""
    property: str
    scenario: str
    proved: bool
    reason: str = ""
    witness: dict[str, Any] | None = None
    depth: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"property": self.property, "scenario": self.scenario, "proved": self.proved,
                "reason": self.reason, "witness": self.witness, "depth": self.depth,
                "seconds": round(self.seconds, 4)}


@dataclass
class Proof:
    """The answer for one candidate: proved only if every requested property is."""
    mode: str
    attacker: str | None
    resilience: str
    results: list[Result] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def proved(self) -> bool:
        return bool(self.results) and all(r.proved for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return {"proved": self.proved, "mode": self.mode, "attacker": self.attacker,
                "resilience": self.resilience, "results": [r.to_json() for r in self.results],
                "notes": self.notes}


def _need(tok: str, n: Term, f_bound: Term, h: Term) -> Term:
    """Distinct senders a count token requires, as a linear term (h = floor((N+F)/2))."""
    return {"1": 1, "F+1": f_bound + 1, "(N+F)/2": h + 1, "N-F": n - f_bound,
            "2F+1": 2 * f_bound + 1}[tok]


class CounterSystem:
    """The abstraction of one scenario family of one mode."""

    def __init__(self, cand: Candidate, mode: str, attacker: str | None, scenario: str):
        import z3
        self.z3 = z3
        self.cand = cand
        self.mode = mode
        self.attacker = attacker
        self.scenario = scenario  # "broadcaster-correct" | "broadcaster-faulty" | "crash"
        self.recv = list(cand.receive)
        self.types = max(cand.types(), 2)
        self.p0_byz = mode == "byzantine" and scenario == "broadcaster-faulty"
        # bc[t][v]: the broadcaster's own sends (threshold 0 only: its
        # broadcast handler sees an empty receive state).
        bcast = [a for a in cand.broadcast if a.threshold == "0"]
        self.bc = {(t, v): int(not self.p0_byz and v == M and any(
            a.is_send and a.send_type == t for a in bcast))
            for t in range(self.types) for v in (M, M2)}
        self.bc_deliver = not self.p0_byz and any(a.logic == DELIVER for a in bcast)
        self.guards = sorted({(a.cond_type, a.threshold) for a in self.recv})
        self.depth = 2 * len(self.guards) + 1
        n, F, f = z3.Ints("N F f")
        h = z3.Int("h")
        self.n, self.F, self.f, self.h = n, F, f, h
        s = self.params = [F >= 0, f >= 0, 2 * h <= n + F, n + F <= 2 * h + 1]
        if mode == "byzantine":
            s += [n > 3 * F, f <= F]
            if self.p0_byz:
                s.append(f >= 1)
            self.cap = n - f  # correct processes, the broadcaster among them if correct
        else:  # crash: every process runs the algorithm, nobody forges
            s += [n > 2 * F, f == 0, n >= 1]
            self.cap = n
        self.x = [[[z3.Int(f"x{k}_{i}_{v}") for v in (M, M2)] for i in range(len(self.recv))]
                  for k in range(self.depth + 1)]

    # ---- terms ---------------------------------------------------------------
    def byz(self, v: int) -> Term:
        if self.mode != "byzantine" or (self.attacker == "same-value" and v == M2):
            return 0
        return self.f

    def sent(self, k: int, t: int, v: int) -> Term:
        """Over-estimate of the correct senders of <t, v> after step k."""
        return self.bc[(t, v)] + sum(
            (self.x[k][j][v] for j, a in enumerate(self.recv) if a.is_send and a.send_type == t), 0)

    def guard(self, k: int, a: Action, v: int) -> Term:
        z3 = self.z3
        if a.threshold == "0":  # some message with value v has been received
            return sum((self.sent(k, t, v) for t in range(self.types)), 0) + self.byz(v) >= 1
        if a.threshold == "origin":
            if self.p0_byz:
                return z3.BoolVal(self.attacker != "same-value" or v == M)
            return self.sent(k, a.cond_type, v) >= 1  # the broadcaster is one of them
        need = _need(a.threshold, self.n, self.F, self.h)
        return self.sent(k, a.cond_type, v) + self.byz(v) >= need

    def delivered(self, v: int) -> Term:
        z3 = self.z3
        terms = [self.x[self.depth][i][v] >= 1 for i, a in enumerate(self.recv) if a.logic == DELIVER]
        if v == M and self.bc_deliver:
            terms.append(z3.BoolVal(True))
        return z3.Or(terms) if terms else z3.BoolVal(False)

    def runs(self) -> list[Term]:
        """Constraints: x is the end of a run of `depth` accelerated steps."""
        z3 = self.z3
        cs = list(self.params)
        cs += [self.x[0][i][v] == 0 for i in range(len(self.recv)) for v in (M, M2)]
        for k in range(self.depth):
            for i, a in enumerate(self.recv):
                for v in (M, M2):
                    cur, nxt = self.x[k][i][v], self.x[k + 1][i][v]
                    cs.append(nxt >= cur)
                    cs.append(z3.Implies(nxt > cur, self.guard(k, a, v)))
        last = self.x[self.depth]
        cs += [last[i][M] + last[i][M2] <= self.cap for i in range(len(self.recv))]
        return cs

    def bad(self, prop: str) -> Term:
        if prop == "integrity":
            return self.delivered(M2)
        return self.z3.And(self.delivered(M), self.delivered(M2))

    def check(self, prop: str) -> Result:
        z3 = self.z3
        t0 = time.perf_counter()
        opt = z3.Optimize()
        opt.add(*self.runs())
        opt.add(self.bad(prop))
        opt.minimize(self.n)
        opt.minimize(self.F - self.f)  # prefer the project's scenarios, f = F
        answer = opt.check()
        secs = time.perf_counter() - t0
        if answer == z3.unsat:
            return Result(prop, self.scenario, True, "no reachable abstract state violates it",
                          depth=self.depth, seconds=secs)
        if answer != z3.sat:
            return Result(prop, self.scenario, False, f"the solver answered {answer}",
                          depth=self.depth, seconds=secs)
        mdl = opt.model()
        val: Callable[[Term], int] = lambda e: mdl.eval(e, model_completion=True).as_long()  # noqa: E731
        steps: list[dict[str, int]] = []
        for k in range(1, self.depth + 1):
            fired: dict[str, int] = {}
            for i in range(len(self.recv)):
                for v, name in ((M, "m"), (M2, "m'")):
                    d = val(self.x[k][i][v]) - val(self.x[k - 1][i][v])
                    if d:
                        fired[f"{i}:{name}"] = d
            if fired:
                steps.append(fired)
        w = {"N": val(self.n), "F": val(self.F), "f": val(self.f), "steps": steps}
        return Result(prop, self.scenario, False,
                      f"the abstraction reaches a violation at N={w['N']} F={w['F']} f={w['f']} "
                      "(it over-approximates, so this may be spurious: check that size with "
                      "rbtui verify)", witness=w, depth=self.depth, seconds=secs)


def scenarios(mode: str) -> tuple[str, ...]:
    return ("broadcaster-correct", "broadcaster-faulty") if mode == "byzantine" else ("crash",)


def prove(cand: Candidate, properties: Sequence[str] = ("integrity", "consistency"),
          mode: str = "byzantine",
          attacker: str = "full") -> Proof:
    """Prove `properties` of `cand` for every size under the mode's resilience
    condition (byzantine N > 3F, crash N > 2F), for every f <= F faulty."""
    if mode not in MODES:
        raise ProofError(f"proofs cover the byzantine and crash modes, not {mode!r}")
    if mode == "byzantine" and attacker not in ("full", "same-value"):
        raise ProofError(f"unknown attacker {attacker!r} (known: full, same-value)")
    for p in properties:
        if p not in PROPERTIES:
            raise ProofError(f"unknown property {p!r} (known: {', '.join(PROPERTIES)})")
    proof = Proof(mode, attacker if mode == "byzantine" else None,
                  "N > 3F, 0 <= f <= F" if mode == "byzantine" else "N > 2F")
    for sc in scenarios(mode):
        cs = CounterSystem(cand, mode, attacker, sc)
        for p in properties:
            if p == "agreement":
                continue
            if p == "integrity" and sc == "broadcaster-faulty":
                continue  # integrity speaks of a correct broadcaster only
            proof.results.append(cs.check(p))
    if "agreement" in properties:
        cons = [r for r in proof.results if r.property == "consistency"]
        if not cons:
            for sc in scenarios(mode):
                cons.append(CounterSystem(cand, mode, attacker, sc).check("consistency"))
        half = "proved" if all(r.proved for r in cons) else "not proved"
        proof.results.append(Result(
            "agreement", "all", False,
            "not proved: RB-Agreement also needs totality (once a correct process delivers, "
            f"every correct one does), which this safety method does not cover; its "
            f"consistency half is {half}", depth=max(r.depth for r in cons),
            seconds=sum(r.seconds for r in cons)))
    proof.notes.append("not covered: RB-Validity and the totality half of RB-Agreement")
    return proof
