"""The guide: which untried action to try first (``untried = "guided"``).

With UCB1's "every action once before any repeat", the first visit of a state
picks among untried actions at random; in a large space (the sound vocabulary
with 5 actions per handler has about 180 receive actions per state) almost
every state deep in an episode is visited once, so an episode below its first
choices is a uniform draw from the space and what the run learnt never reaches
it. States are multisets of actions, so an action can be judged apart from
when it was chosen: the guide keeps the ELITE candidates that got furthest
through verification (newest first among equals, so the elite follows the
run) and orders a state's untried actions by the share of the elite holding
the action in that handler, plus a UCB term for actions seldom tried
(``guide_c``). Tried actions keep their Q values and UCB as before, so the
guide changes only the order of first tries, never a value.

How far a candidate got, its *progress*, is the share of the scenarios checked
(over every size, cheapest first) that it passed before the first failure: 1
for a correct candidate, 0 for one failing the first scenario. A candidate
correct at N=4 F=1 but not at N=7 F=2 has progress at least one half. (A mean
progress per action, as RAVE's all-moves-as-first, was tried first: the many
candidates passing the failure-free and crash scenarios drown the few that
pass a Byzantine one, docs/learner.md.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from .cache import VerdictRecord

#: candidates the guide keeps
ELITE = 50


def passed(record: VerdictRecord) -> int:
    """The scenario checks the verification passed (it stops at a failing one)."""
    return sum(1 for c in record.data.get("checks", []) if c.get("correct"))


def progress(record: VerdictRecord, planned: int) -> float:
    """The share of the `planned` scenario checks the verification passed."""
    if record.correct:
        return 1.0
    return min(1.0, passed(record) / planned) if planned else 0.0


class Guide:
    """The elite candidates, as (progress, [[phase, *actions], ...]), best
    first; and per (phase, action) the episodes whose candidate held it."""

    def __init__(self, c: float, size: int = ELITE) -> None:
        self.c = c
        self.size = size
        self.elite: list[tuple[float, list[list[int]]]] = []
        self.count: dict[tuple[int, int], int] = {}
        self.episodes = 0
        self._share: dict[tuple[int, int], int] | None = None  # elite counts, rebuilt lazily

    def record(self, phases: Iterable[tuple[int, Sequence[int]]], value: float) -> None:
        """One completed episode: (phase, actions chosen in it) and its progress."""
        self.episodes += 1
        held = [[p, *sorted(set(acts))] for p, acts in phases]
        for p, *acts in held:
            for a in acts:
                self.count[(p, a)] = self.count.get((p, a), 0) + 1
        entry = (value, held)
        if entry in self.elite:
            return
        pos = next((i for i, (v, _) in enumerate(self.elite) if v <= value), len(self.elite))
        if pos < self.size:
            self.elite.insert(pos, entry)  # before its equals: newest first
            del self.elite[self.size:]
            self._share = None

    def score(self, phase: int, action: int) -> float:
        """Share of the elite holding the action + c*sqrt(ln episodes / (count + 1))."""
        if self._share is None:
            self._share = {}
            for _, held in self.elite:
                for p, *acts in held:
                    for a in acts:
                        self._share[(p, a)] = self._share.get((p, a), 0) + 1
        share = self._share.get((phase, action), 0) / max(1, len(self.elite))
        n = self.count.get((phase, action), 0)
        log_e = math.log(self.episodes) if self.episodes > 1 else 0.0
        return share + self.c * math.sqrt(log_e / (n + 1))

    # ---- state for checkpoints -----------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {"episodes": self.episodes, "elite": [[v, h] for v, h in self.elite],
                "count": [[p, a, k] for (p, a), k in sorted(self.count.items())]}

    def load(self, d: dict[str, Any]) -> None:
        self.episodes = d["episodes"]
        self.elite = [(v, h) for v, h in d["elite"]]
        self.count = {(p, a): k for p, a, k in d["count"]}
        self._share = None
