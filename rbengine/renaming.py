"""Type renaming: a verdict does not depend on what the message types are called.

Nothing in the execution model (docs/semantics.md) singles out a message type
but through the candidate: thresholds count per type, `origin` reads one type
from p0, and the `full` and `same-value` attackers forge any type below T.
Token 0 is type-agnostic (its condition type is always 0), and type0 is kept
as it is. So renaming types 1..T-1 of a candidate by a permutation gives a
candidate with the same verdict in every scenario, provided T, the number of
types the oracle models (``max(2, types used)``), stays the same: a type the
candidate does not read is still one more the attacker may forge.

A search uses this to decide a candidate without a check when it has
verified one of its renamings already (``tests/test_renaming.py`` holds both
backends to the claim on random candidates, and the unreduced search on
small ones).
"""

from __future__ import annotations

from dataclasses import replace
from itertools import permutations

from .action import Action
from .candidate import Candidate


def modelled_types(candidate: Candidate) -> int:
    """T as the oracle models it for this candidate."""
    return max(2, candidate.types())


def rename(action: Action, to: dict[int, int]) -> Action:
    send = None if action.send_type is None else to[action.send_type]
    cond = action.cond_type if action.threshold == "0" else to[action.cond_type]
    return replace(action, send_type=send, cond_type=cond)


def relabel(candidate: Candidate, perm: tuple[int, ...]) -> Candidate:
    """The candidate with type i renamed perm[i-1] (i >= 1); type0 is kept."""
    to = {0: 0, **dict(enumerate(perm, start=1))}
    return Candidate(tuple(rename(a, to) for a in candidate.broadcast),
                     tuple(rename(a, to) for a in candidate.receive))


def renamings(candidate: Candidate) -> list[Candidate]:
    """The other candidates with the same verdict by renaming types 1..T-1,
    each once (none equal to the candidate)."""
    t = modelled_types(candidate)
    if t <= 2:  # only the identity (a search asks this of every candidate: keep it cheap)
        return []
    out: dict[str, Candidate] = {}
    own = candidate.key()
    identity = tuple(range(1, t))
    for perm in permutations(identity):
        if perm == identity:
            continue
        c = relabel(candidate, perm)
        key = c.key()
        if key != own and modelled_types(c) == t:
            out.setdefault(key, c)
    return list(out.values())
