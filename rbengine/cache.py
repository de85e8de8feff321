"""The verdict cache: a learner generates the same candidate many times, and a
verdict depends only on the candidate and what is checked, never on the backend.

Key = the candidate's canonical hash + the oracle settings, written as the list
of scenarios checked (mode, N, F, attacker) and ORACLE_VERSION, so a change of
the oracle invalidates old verdicts and two settings that check the same
scenarios share them. Backed by the store when one is given, so verdicts are
reused across runs and resumptions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .candidate import Candidate


def oracle_key(target: str, n: int, f: int | None, attacker: str) -> str:
    from .oracle import ORACLE_VERSION, plan
    scs = plan(target, None, n, f, attacker)
    return f"v{ORACLE_VERSION}|" + ";".join(sc.label() for sc in scs)


@dataclass
class VerdictRecord:
    """What the learner keeps of a Verdict (the full one is in `data`)."""

    correct: bool
    summary: str
    data: dict  # Verdict.to_json(): checks and counterexample
    backend: str = ""
    seconds: float = 0.0
    states: int = 0

    @classmethod
    def of(cls, verdict) -> "VerdictRecord":
        return cls(verdict.correct, verdict.summary(), verdict.to_json(), verdict.backend,
                   verdict.seconds, verdict.states)


class VerdictCache:
    def __init__(self, target: str, n: int, f: int | None, attacker: str, backend: str,
                 store=None):
        self.settings = {"target": target, "n": n, "f": f, "attacker": attacker}
        self.backend = backend
        self.key = oracle_key(target, n, f, attacker)
        self.store = store
        self.memory: dict[str, VerdictRecord] = {}
        self.new: list[tuple[str, VerdictRecord]] = []  # not yet in the store
        self.hits = 0
        self.misses = 0
        self.oracle_seconds = 0.0

    @property
    def hit_rate(self) -> float:
        asked = self.hits + self.misses
        return self.hits / asked if asked else 0.0

    def lookup(self, h: str) -> VerdictRecord | None:
        rec = self.memory.get(h)
        if rec is None and self.store is not None:
            rec = self.store.get_verdict(h, self.key)
            if rec is not None:
                self.memory[h] = rec
        return rec

    def verify(self, candidate: Candidate, cancel=None, use_cache: bool = True,
               h: str | None = None) -> tuple[VerdictRecord, bool]:
        """(verdict, whether it came from the cache); `h`: the candidate's hash if known."""
        h = h or candidate.content_hash()
        if use_cache:
            rec = self.lookup(h)
            if rec is not None:
                self.hits += 1
                return rec, True
            self.misses += 1
        from .oracle import verify
        t0 = time.perf_counter()
        v = verify(candidate, backend=self.backend, stop_early=True, cancel=cancel,
                   **self.settings)
        self.oracle_seconds += time.perf_counter() - t0
        rec = VerdictRecord.of(v)
        if h not in self.memory:
            self.new.append((h, rec))
        self.memory[h] = rec
        return rec, False

    def drain(self) -> list[tuple[str, VerdictRecord]]:
        out, self.new = self.new, []
        return out
