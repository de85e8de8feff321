"""Descent: from a correct candidate to a cheaper correct one, one change at a
time; and repair: from a near miss to a correct candidate, one change away.

A learning run's difficulty in a wide space is finding its first correct
candidate; what it then ends on is seldom the cheapest (docs/learner.md).
Correct candidates are not scattered at random, though: in the sound space
at sizes 4:1 and 7:2 the cheapest ones are often a few single changes away
from the dearer ones the runs find (docs/learner.md). A descent walks there greedily: among the
candidates one change away that the heuristics allow and that cost less, it
checks the cheapest first and moves to the first correct one, until none is.
Where none is (a local optimum), it moves sideways: it checks the candidates
one change away of the same reward, and descends from those that are correct.
A local optimum is often one such move from a cheaper candidate (in the sound
space, -25 to -24 needs an amplification to send the ready's type before the
ready can go to neighbours only: docs/learner.md). It ends where neither
helps, which the exhaustive search (rbengine.search) alone can certify as the
optimum.

A run also meets near misses: candidates correct at its first size and not
at a later one, or failing only the last scenario of its first size. A repair
checks the candidates one change away from a near miss, of any reward, and
gives the cheapest correct one, from which a descent can start.

One change is: an action of one handler removed, replaced by another action
of the vocabulary, or added; or types 1..V-1 relabelled by a permutation
(V the vocabulary's number of types). A relabelling can change the verdict
when it changes how many types the oracle models (rbengine.renaming), so
relabelled candidates are checked like any other.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from itertools import permutations

from .action import Action
from .candidate import HANDLERS, Candidate
from .config import RunConfig
from .errors import OracleError
from .renaming import relabel
from .reward import total
from .space import contains, heuristics


@dataclass(frozen=True)
class Move:
    """One step of a descent: the candidate reached, its total reward, the
    checks the descent has made so far, and whether the step was sideways (to
    a candidate of the same reward)."""

    candidate: Candidate
    reward: float
    checks: int
    sideways: bool = False


EPS = 1e-9  # rewards as sums of configured numbers: equal up to rounding

SIDEWAYS = 10
"""Correct candidates of one reward a descent expands before it gives up on
that reward: each costs a few hundred checks (a few seconds at most)."""


def _with(c: Candidate, handler: str, actions: list[Action]) -> Candidate:
    stop = [a for a in c.handler(handler) if a.is_stop]
    new = tuple(actions + stop)
    return Candidate(new, c.receive) if handler == "broadcast" else Candidate(c.broadcast, new)


def neighbours(c: Candidate, actions: list[Action], types: int) -> Iterator[Candidate]:
    """The candidates one change away (see the module's docstring); may repeat."""
    for h in HANDLERS:
        cur = [a for a in c.handler(h) if not a.is_stop]
        for i in range(len(cur)):
            rest = cur[:i] + cur[i + 1:]
            yield _with(c, h, rest)
            for b in actions:
                if b != cur[i]:
                    yield _with(c, h, rest[:i] + [b] + rest[i:])
        for b in actions:
            yield _with(c, h, cur + [b])
    identity = tuple(range(1, types))
    for perm in permutations(identity):
        if perm != identity:
            yield relabel(c, perm)


class _Walk:
    """What one walk shares: the vocabulary's actions, the heuristics built
    once, the candidates already considered (each is checked once) and the
    checks made against the budget."""

    def __init__(self, config: RunConfig, correct: Callable[[Candidate], bool],
                 max_checks: int | None, start: Candidate,
                 cancel: Callable[[], bool] | None = None):
        self.config, self.correct, self.max_checks = config, correct, max_checks
        self.cancel = cancel
        vocab = config.vocab()
        self.actions = [a for a in vocab.actions() if not a.is_stop]
        self.types = vocab.types
        self.heur = heuristics(config)
        self.seen = {start.key()}
        self.checks = 0
        self.exhausted = False  # the budget ran out

    def correct_ones(self, here: Candidate, keep: Callable[[float], bool]) -> Iterator[Move]:
        """The correct neighbours of `here` not considered yet, whose reward
        `keep` accepts, cheapest first (then by notation, so a walk is
        deterministic)."""
        options: dict[str, tuple[float, str, Candidate]] = {}
        for n in neighbours(here, self.actions, self.types):
            k = n.key()
            if k in self.seen or k in options:
                continue
            r = total(self.config.rewards, n)
            if keep(r):
                options[k] = (r, n.notation(), n)
        for r, _, n in sorted(options.values(), key=lambda o: (-o[0], o[1])):
            self.seen.add(n.key())
            if not contains(self.config, n, self.heur):
                continue
            if self.max_checks is not None and self.checks >= self.max_checks:
                self.exhausted = True
                return
            if self.cancel is not None and self.cancel():
                raise OracleError("walk cancelled")
            self.checks += 1
            if self.correct(n):
                yield Move(n, r, self.checks)


def descend(start: Candidate, config: RunConfig, correct: Callable[[Candidate], bool],
            max_checks: int | None = None, sideways: int = SIDEWAYS,
            cancel: Callable[[], bool] | None = None) -> Iterator[Move]:
    """Moves to ever cheaper correct candidates, from `start` (assumed correct;
    `correct` is the oracle, e.g. ``VerdictCache.correct`` at the config's
    sizes), and sideways to correct candidates as cheap when no cheaper one is
    one change away, expanding at most `sideways` of those per reward (0: a
    plain descent). Ends where neither finds one, or after `max_checks` checks
    in all; raises OracleError when `cancel()` says so before a check."""
    walk = _Walk(config, correct, max_checks, start, cancel)
    reward = total(config.rewards, start)
    level = deque([start])  # correct candidates of `reward` not expanded yet
    expanded = 0
    while level:
        here = level.popleft()
        found = next(walk.correct_ones(here, lambda r: r > reward + EPS), None)
        if found is not None:
            yield found
            level, reward, expanded = deque([found.candidate]), found.reward, 0
            continue
        expanded += 1
        if walk.exhausted or expanded > sideways:
            return
        for m in walk.correct_ones(here, lambda r: abs(r - reward) <= EPS):
            level.append(m.candidate)
            yield replace(m, sideways=True)
        if walk.exhausted:
            return


def repair(start: Candidate, config: RunConfig, correct: Callable[[Candidate], bool],
           cancel: Callable[[], bool] | None = None) -> Move | None:
    """The cheapest correct candidate one change away from `start`, of any
    reward, or None. For a near miss (see the module's docstring): near misses
    are far more frequent than correct candidates, and some are one change
    from one (docs/learner.md)."""
    return next(_Walk(config, correct, None, start, cancel).correct_ones(start, lambda r: True),
                None)
