"""Descent: from a correct candidate to a cheaper correct one, one change at a time.

A learning run's difficulty in a wide space is finding its first correct
candidate; what it then ends on is seldom the cheapest (docs/learner.md).
Correct candidates are not scattered at random, though: in the sound space
at sizes 4:1 and 7:2 the cheapest ones are often a few single changes away
from the dearer ones the runs find (docs/learner.md). A descent walks there greedily: among the
candidates one change away that the heuristics allow and that cost less, it
checks the cheapest first and moves to the first correct one, until none is.
It ends on a local optimum, which the exhaustive search (rbengine.search)
alone can certify as the optimum.

One change is: an action of one handler removed, replaced by another action
of the vocabulary, or added; or types 1..V-1 relabelled by a permutation
(V the vocabulary's number of types). A relabelling can change the verdict
when it changes how many types the oracle models (rbengine.renaming), so
relabelled candidates are checked like any other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import permutations

from .action import Action
from .candidate import HANDLERS, Candidate
from .config import RunConfig
from .renaming import relabel
from .reward import total
from .space import contains, heuristics


@dataclass(frozen=True)
class Move:
    """One step of a descent: the candidate reached, its total reward and the
    checks the descent has made so far."""

    candidate: Candidate
    reward: float
    checks: int


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


def descend(start: Candidate, config: RunConfig, correct: Callable[[Candidate], bool],
            max_checks: int | None = None) -> Iterator[Move]:
    """Moves to ever cheaper correct candidates, from `start` (assumed correct;
    `correct` is the oracle, e.g. ``VerdictCache.correct`` at the config's
    sizes). Ends at a local optimum, or after `max_checks` checks in all."""
    vocab = config.vocab()
    actions = [a for a in vocab.actions() if not a.is_stop]
    heur = heuristics(config)
    here, reward = start, total(config.rewards, start)
    seen = {start.key()}
    checks = 0
    while True:
        options: dict[str, tuple[float, str, Candidate]] = {}
        for n in neighbours(here, actions, vocab.types):
            k = n.key()
            if k in seen or k in options:
                continue
            r = total(config.rewards, n)
            if r > reward:
                options[k] = (r, n.notation(), n)
        found = None
        for r, _, n in sorted(options.values(), key=lambda o: (-o[0], o[1])):
            seen.add(n.key())
            if not contains(config, n, heur):
                continue
            if max_checks is not None and checks >= max_checks:
                return
            checks += 1
            if correct(n):
                found = Move(n, r, checks)
                break
        if found is None:
            return
        yield found
        here, reward = found.candidate, found.reward
