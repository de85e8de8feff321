"""Protocols written as rules over (own state, counts), so one protocol gives a
machine for every N: the generalisation matrix and the tests use them."""

from __future__ import annotations

from .machine import ABORT, COMMIT, LOCAL_ABORT, LOCAL_COMMIT, Counts, Machine


def vote_exchange(s: int, c: Counts, k: int = 1) -> int:
    """One round of votes: commit on N commit votes, abort on any abort vote,
    wait in U1 when a vote is lost; afterwards stay. Correct for every N, R >= 1."""
    lost = 4 + k
    if s == LOCAL_COMMIT:
        if c[LOCAL_ABORT]:
            return ABORT
        return 4 if c[lost] else COMMIT
    if s == LOCAL_ABORT:
        return ABORT
    return s


def optimistic(s: int, c: Counts, k: int = 1) -> int:
    """Commit unless an abort vote is seen: a lost vote is taken for commit.
    Incorrect under both property sets (a lost abort vote)."""
    if s == LOCAL_COMMIT:
        return ABORT if c[LOCAL_ABORT] else COMMIT
    if s == LOCAL_ABORT:
        return ABORT
    return s


RULES = {"vote-exchange": vote_exchange, "optimistic": optimistic}


def machine(name: str, n: int, k: int = 1) -> Machine:
    rule = RULES[name]
    return Machine.from_rule(n, k, lambda s, c: rule(s, c, k))
