"""Self-play (paper 002, §2.2): random votes and crashes, every process applies
the learned machine each round, and the final per-process reward of the paper's
rules 1-6 is split equally over the rounds. Shared by both learners.

Counterexamples of the verifier are kept in a pool and replayed as scenarios,
the paper's "use the counter examples provided by model checking to further
train the model".
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .machine import ABORT, COMMIT, Key
from .model import Crashes, Model, step_inputs
from .properties import reward

if TYPE_CHECKING:
    from .machine import Machine

#: A scenario: the votes and the crash pattern.
Scenario = tuple[tuple[int, ...], Crashes]


def sample_scenario(model: Model, rng: random.Random, pool: Sequence[Scenario] = (),
                    p_pool: float = 0.3, p_crash: float = 0.5) -> Scenario:
    """Votes and a crash pattern: from the counterexample pool, or uniformly drawn
    (each vote commit or abort with probability 1/2, every vote commit a quarter
    of the time; no crash with probability 1 - p_crash)."""
    n = model.n
    if pool and rng.random() < p_pool:
        votes, crashes = rng.choice(pool)
        return votes, dict(crashes)
    if rng.random() < 0.25:
        votes = (0,) * n
    else:
        votes = tuple(rng.randint(0, 1) for _ in range(n))
    crashes = {}
    if model.f and rng.random() < p_crash:
        count = rng.randint(1, model.f)
        for p in rng.sample(range(n), count):
            others = [q for q in range(n) if q != p]
            if model.partial:
                to = frozenset(q for q in others if rng.random() < 0.5)
            else:
                to = frozenset(others) if rng.random() < 0.5 else frozenset()
            crashes[p] = (rng.randint(1, model.rounds), to)
    return votes, crashes


@dataclass
class Episode:
    votes: tuple[int, ...]
    crashes: Crashes
    steps: list[tuple[int, int, Key, int]] = field(default_factory=list)  # (process, round, key, action)
    flags: tuple[int, ...] = ()
    rewards: list[float] = field(default_factory=list)

    def targets(self, rounds: int) -> list[tuple[Key, int, float]]:
        """(key, action, reward / R) for every step: the final reward split over the rounds."""
        return [(key, a, self.rewards[i] / rounds) for i, r, key, a in self.steps]


def play(model: Model, k: int, votes: Sequence[int], crashes: Crashes,
         choose: Callable[[int, list[tuple[int, Key]]], Sequence[int]]) -> Episode:
    """Run R rounds; choose(round, [(process, key), ...]) returns the next states."""
    n = model.n
    cur = list(votes)
    flags = [0] * n
    ep = Episode(tuple(votes), crashes)
    for r in range(1, model.rounds + 1):
        alive = [not (i in crashes and crashes[i][0] < r) for i in range(n)]
        inputs = step_inputs(cur, alive, crashes, r, n, k)
        asks = [(i, (cur[i], counts)) for i, (counts, _) in inputs.items()]
        acts = choose(r, asks) if asks else []
        for (i, key), a in zip(asks, acts):
            ep.steps.append((i, r, key, a))
            cur[i] = a
            if a == COMMIT:
                flags[i] |= 1
            elif a == ABORT:
                flags[i] |= 2
    ep.flags = tuple(flags)
    ep.rewards = reward(ep.votes, ep.flags, bool(crashes), model.props)
    return ep


@dataclass
class LearnResult:
    """The first machine the verifier accepted (if any) and what it cost."""

    machine: Machine | None = None
    episodes: int = 0
    candidates: int = 0  # machines verified
    seconds: float = 0.0
    # (episode, mean reward, verified correct)
    history: list[tuple[int, float, bool]] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.machine is not None
