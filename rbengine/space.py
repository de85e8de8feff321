"""The search space: the candidates the generation heuristics allow.

A learning run can only end on a candidate of this space, so its size says
how hard the search is and whether an algorithm (Bracha's, say) can be
found at all. GH9 is left out: it only blocks what a run has verified.
"""

from __future__ import annotations

from typing import Iterator

from .candidate import Candidate
from .config import RunConfig
from .heuristics import Heuristics
from .state import DONE, State


def heuristics(config: RunConfig) -> Heuristics:
    return Heuristics(config.heuristics, config.vocab())


def finals(heur: Heuristics) -> Iterator[State]:
    """Every final state reachable under the heuristics, each once (a state
    is reached by every order of its actions: remembered by hash to save memory)."""
    seen: set[int] = set()
    todo = [State()]
    while todo:
        s = todo.pop()
        k = hash(s.key)
        if k in seen:
            continue
        seen.add(k)
        if s.phase == DONE:
            yield s
            continue
        for a in heur.filter(s).allowed:
            todo.append(s.add(a, heur.stop))


def count(config: RunConfig) -> int:
    """How many candidates the configuration's heuristics allow."""
    return sum(1 for _ in finals(heuristics(config)))


def contains(config: RunConfig, candidate: Candidate) -> bool:
    """Whether the heuristics allow `candidate`: some order of its actions
    passes every filter (the order the learner would choose them in)."""
    heur = heuristics(config)
    index = {a: i for i, a in enumerate(heur.actions)}
    try:
        want_b = {index[a] for a in candidate.broadcast if not a.is_stop}
        want_r = {index[a] for a in candidate.receive if not a.is_stop}
    except KeyError:
        return False  # an action outside the vocabulary
    todo, seen = [State()], set()
    while todo:
        s = todo.pop()
        if s.key in seen:
            continue
        seen.add(s.key)
        if s.phase == DONE:
            return True
        want = want_b if s.phase == 0 else want_r
        have = set(s.current())
        for a in heur.filter(s).allowed:
            if a in want and a not in have or (a == heur.stop and want <= have):
                todo.append(s.add(a, heur.stop))
    return False
