"""The verdict cache: a learner generates the same candidate many times, and a
verdict depends only on the candidate and what is checked, never on the backend.

Key = the candidate's canonical hash + the oracle settings, written as the list
of scenarios checked (mode, N, F, attacker) and ORACLE_VERSION, so a change of
the oracle invalidates old verdicts and two settings that check the same
scenarios share them. Each size has its own key: a verification at several
sizes is the conjunction of one cached verdict per size, so adding a size to a
run reuses every verdict already known for the others. Backed by the store
when one is given, so verdicts are reused across runs and resumptions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .candidate import Candidate

if TYPE_CHECKING:
    from .counterexample import Counterexample
    from .size import Size
    from .store import Store
    from .verdict import Check, Verdict


def oracle_key(target: str, n: int, f: int | None, attacker: str) -> str:
    """The key of one size."""
    from .oracle import ORACLE_VERSION, plan
    scs = plan(target, None, n, f, attacker)
    return f"v{ORACLE_VERSION}|" + ";".join(sc.label() for sc in scs)


def size_keys(target: str, n: int | None, f: int | None, attacker: str,
              sizes: object = None) -> list[tuple[Size, str]]:
    """(Size, key) per size, cheapest first."""
    from .oracle import resolve_sizes
    return [(s, oracle_key(target, s.n, s.f, attacker))
            for s in resolve_sizes(target, None, n if sizes is None else None,
                                   f if sizes is None else None, sizes)]


@dataclass
class VerdictRecord:
    """What the learner keeps of a Verdict (the full one is in `data`)."""

    correct: bool
    summary: str
    data: dict[str, Any]  # Verdict.to_json(): checks and counterexample
    backend: str = ""
    seconds: float = 0.0
    states: int = 0

    @classmethod
    def of(cls, verdict: Verdict) -> "VerdictRecord":
        return cls(verdict.correct, verdict.summary(), verdict.to_json(), verdict.backend,
                   verdict.seconds, verdict.states)

    @classmethod
    def combine(cls, parts: list["VerdictRecord"], sizes: list[str]) -> "VerdictRecord":
        """One record for several sizes from one record per size (in order; the
        last may be the failing one, after which nothing was checked)."""
        if len(parts) == 1 and len(sizes) == 1:
            return parts[0]
        from .verdict import Verdict
        checks: list[Check] = []
        notes: list[str] = []
        cx: Counterexample | None = None
        for p in parts:
            v = Verdict.from_json(p.data, p.backend)
            checks.extend(v.checks)
            notes.extend(n for n in v.notes if n not in notes)
            cx = cx or v.counterexample
        correct = all(p.correct for p in parts) and len(parts) == len(sizes)
        v = Verdict(correct, checks, parts[-1].backend if parts else "", sizes=list(sizes),
                    notes=notes)
        data = v.to_json()
        if cx is not None:
            data["counterexample"] = cx.to_json()
        return cls(correct, v.summary(), data, v.backend, sum(p.seconds for p in parts),
                   sum(p.states for p in parts))


class VerdictCache:
    """Verdicts by candidate hash, for one target at one or several sizes.

    Its verifications ask the backend for a verdict, not for a shortest
    counterexample (``shortest=False``): learning runs and searches need only
    correct or incorrect, and on a violated Byzantine scenario the search for
    a shortest trail costs tens of times the verdict
    (bench/results/search_verdict.txt). The property
    is the same; the recorded counterexample is a real one, marked as maybe
    not the shortest (``rbtui verify`` gives a shortest one)."""

    def __init__(self, target: str, n: int | None, f: int | None, attacker: str,
                 backend: str, store: Store | None = None, sizes: object = None):
        self.target, self.attacker = target, attacker
        self.sizes = size_keys(target, n, f, attacker, sizes)  # (Size, key), cheapest first
        self.backend = backend
        #: the key of the whole verification (one size: that size's key)
        self.key = " && ".join(k for _, k in self.sizes)
        self.store = store
        self.memory: dict[tuple[str, str], VerdictRecord] = {}  # (hash, size key) -> record
        self.new: list[tuple[str, str, VerdictRecord]] = []  # (key, hash, record), not yet stored
        self.hits = 0
        self.misses = 0
        self.oracle_seconds = 0.0

    @property
    def hit_rate(self) -> float:
        asked = self.hits + self.misses
        return self.hits / asked if asked else 0.0

    def _get(self, h: str, key: str) -> VerdictRecord | None:
        rec = self.memory.get((h, key))
        if rec is None and self.store is not None:
            rec = self.store.get_verdict(h, key)
            if rec is not None:
                self.memory[(h, key)] = rec
        return rec

    def _known(self, h: str) -> tuple[list[VerdictRecord], int]:
        """The records known for the sizes in order, up to the first unknown
        or failing one; and the index of the first size still to check."""
        parts: list[VerdictRecord] = []
        for i, (_, key) in enumerate(self.sizes):
            rec = self._get(h, key)
            if rec is None:
                return parts, i
            parts.append(rec)
            if not rec.correct:
                return parts, len(self.sizes)
        return parts, len(self.sizes)

    def parts(self, h: str) -> list[tuple[str, VerdictRecord]]:
        """(size key, record) of the sizes known for `h`, cheapest first, up to
        the first unknown or failing one: what a verification can skip."""
        recs, _ = self._known(h)
        return [(key, rec) for (_, key), rec in zip(self.sizes, recs)]

    def _texts(self) -> list[str]:
        return [s.text() for s, _ in self.sizes]

    def lookup(self, h: str) -> VerdictRecord | None:
        """The verdict if every size it needs is known (a failing size makes
        the later ones unnecessary)."""
        parts, todo = self._known(h)
        if todo < len(self.sizes):
            return None
        return VerdictRecord.combine(parts, self._texts())

    def verify(self, candidate: Candidate, cancel: Callable[[], bool] | None = None,
               use_cache: bool = True,
               h: str | None = None) -> tuple[VerdictRecord, bool]:
        """(verdict, whether it came from the cache); `h`: the candidate's hash if known.

        Sizes are checked cheapest first and the first failing one ends the
        verification; only the sizes not in the cache are checked."""
        parts, hit = self._parts(candidate, cancel, use_cache, h)
        return VerdictRecord.combine(parts, self._texts()), hit

    def correct(self, candidate: Candidate, h: str | None = None) -> bool:
        """Whether the candidate is correct, as `verify` says, without building
        the combined record (a search's workers need only this; the records per
        size still go to `drain`)."""
        parts, _ = self._parts(candidate, None, True, h)
        return len(parts) == len(self.sizes) and all(p.correct for p in parts)

    def _parts(self, candidate: Candidate, cancel: Callable[[], bool] | None,
               use_cache: bool, h: str | None) -> tuple[list[VerdictRecord], bool]:
        """The records per size, cheapest first, up to the first failing one."""
        h = h or candidate.content_hash()
        parts, todo = self._known(h) if use_cache else ([], 0)
        if todo >= len(self.sizes):
            self.hits += 1
            return parts, True
        if use_cache:
            self.misses += 1
        from .oracle import verify
        t0 = time.perf_counter()
        for s, key in self.sizes[todo:]:
            v = verify(candidate, target=self.target, n=s.n, f=s.f, attacker=self.attacker,
                       backend=self.backend, stop_early=True, cancel=cancel, shortest=False)
            for c in v.checks:
                c.size = s.text()
            v.sizes = [s.text()]
            rec = VerdictRecord.of(v)
            if (h, key) not in self.memory:
                self.new.append((key, h, rec))
            self.memory[(h, key)] = rec
            parts.append(rec)
            if not rec.correct:
                break
        self.oracle_seconds += time.perf_counter() - t0
        return parts, False

    def drain(self) -> list[tuple[str, str, VerdictRecord]]:
        """The (size key, hash, record) verified since the last drain."""
        out, self.new = self.new, []
        return out
