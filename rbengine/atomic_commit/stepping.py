"""An atomic commit episode one decision at a time, to watch a learner decide.

`steps(learner)` plays the very episode `learner.episode()` would play next:
the same scenario, the same random draws in the same order, the same training
when it ends. The learners play an episode in one call; this generator stops
before handing back each decision (a process choosing its next state in a
round) with what the learner saw: the Q value of every next state, and for the
tabular learner the visits and UCB scores. tests/test_atomic_commit_stepping.py
holds the two equal, so what is watched is what a run does.

Closing the generator before the end gives the learner back as it was before
the episode (nothing is learned from half an episode).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import checker
from .episode import Episode
from .learner_dqn import SCALE, DQNLearner
from .learner_tabular import TabularLearner
from .machine import ABORT, COMMIT, Key
from .model import Crashes, step_inputs
from .properties import reward

#: either learner of an atomic commit run
Learner = DQNLearner | TabularLearner


@dataclass
class ACDecision:
    """One process choosing its next state in one round of an episode."""

    episode: int  # the number of the episode being played (1 = the learner's first)
    step: int  # 1, 2, ... within the episode
    round: int
    process: int
    key: Key  # (own state, counts of what it received from the others)
    actions: tuple[int, ...]  # the next states to choose from: COMMIT, ABORT, U1..UK
    q: tuple[float, ...]  # the learner's Q value of each, in reward units
    choice: int  # the next state chosen
    greedy: bool  # the choice is the best Q value (no exploration draw or UCB bonus)
    epsilon: float | None = None  # DQN: the exploration rate of this episode
    visits: tuple[int, ...] | None = None  # tabular: how often each next state was tried here
    scores: tuple[float, ...] | None = None  # tabular: UCB scores (inf: never tried)
    fixed_at: int | None = None  # tabular: the step that fixed this input's choice
    states: tuple[int, ...] = ()  # every process's state at the start of the round
    votes: tuple[int, ...] = ()
    crashes: Crashes = field(default_factory=dict)

    @property
    def choice_position(self) -> int:
        return self.actions.index(self.choice)


@dataclass
class ACOutcome:
    """A stepped episode that ended: the episode as the learner trained on it."""

    episode: int
    played: Episode
    decisions: list[ACDecision]


def steps(learner: Learner) -> Generator[ACDecision | ACOutcome, None, None]:
    """Yield each ACDecision of the learner's next episode, then its ACOutcome."""
    saved_rng = learner.rng.getstate()
    saved_rows = set(learner.q) if isinstance(learner, TabularLearner) else None
    finished = False
    try:
        outcome = yield from _play(learner)
        finished = True
        yield outcome
    finally:
        if not finished:  # dropped half way: forget the draws and rows of this episode
            learner.rng.setstate(saved_rng)
            if isinstance(learner, TabularLearner) and saved_rows is not None:
                for key in set(learner.q) - saved_rows:
                    del learner.q[key]
                    del learner.n_sa[key]


def _play(learner: Learner) -> Generator[ACDecision, None, ACOutcome]:
    from .episode import sample_scenario
    model, k, n = learner.model, learner.k, learner.model.n
    number = learner.episodes + 1
    votes, crashes = sample_scenario(model, learner.rng, learner.pool, learner.p_pool)
    eps = learner.epsilon() if isinstance(learner, DQNLearner) else None
    fixed: dict[Key, tuple[int, int]] = {}  # tabular: input -> (action index, step that fixed it)
    decisions: list[ACDecision] = []
    cur = list(votes)
    flags = [0] * n
    ep = Episode(tuple(votes), crashes)
    for r in range(1, model.rounds + 1):
        alive = [not (i in crashes and crashes[i][0] < r) for i in range(n)]
        inputs = step_inputs(cur, alive, crashes, r, n, k)
        asks = [(i, (cur[i], counts)) for i, (counts, _) in inputs.items()]
        if not asks:
            continue
        if isinstance(learner, DQNLearner):
            x = np.stack([learner.encode(key) for _, key in asks])
            out = learner.net.forward(x)[0]
            best = out.argmax(axis=1)
        chosen = []
        for j, (i, key) in enumerate(asks):
            step = len(decisions) + 1
            common: dict[str, Any] = dict(episode=number, step=step, round=r, process=i, key=key,
                          actions=learner.acts, states=tuple(cur), votes=tuple(votes),
                          crashes=crashes)
            if isinstance(learner, DQNLearner):
                explore = learner.rng.random() < (eps or 0.0)
                a = learner.acts[learner.rng.randrange(len(learner.acts))] if explore \
                    else learner.acts[best[j]]
                d = ACDecision(q=tuple(float(v) for v in out[j] * SCALE), choice=a,
                               greedy=not explore, epsilon=eps, **common)
            else:
                before = key in fixed
                if not before:
                    fixed[key] = (learner._ucb(key), step)
                pick, at = fixed[key]
                q, visits = learner.q[key], learner.n_sa[key]
                d = ACDecision(q=tuple(q), choice=learner.acts[pick],
                               greedy=all(visits) and pick == max(range(len(q)),
                                                                  key=lambda m: q[m]),
                               visits=tuple(visits), scores=ucb_scores(learner, key),
                               fixed_at=at if before else None, **common)
            decisions.append(d)
            chosen.append(d.choice)
            yield d
        for (i, key), a in zip(asks, chosen):
            ep.steps.append((i, r, key, a))
            cur[i] = a
            if a == COMMIT:
                flags[i] |= 1
            elif a == ABORT:
                flags[i] |= 2
    ep.flags = tuple(flags)
    ep.rewards = reward(ep.votes, ep.flags, bool(crashes), model.props)
    learner.train_on(ep)
    return ACOutcome(number, ep, decisions)


def ucb_scores(learner: TabularLearner, key: Key) -> tuple[float, ...]:
    """The tabular learner's UCB score of each next state (inf: never tried)."""
    q, n = learner.q[key], learner.n_sa[key]
    total = math.log(sum(n)) if any(n) else 0.0
    return tuple(math.inf if x == 0 else q[j] + learner.c * math.sqrt(total / x)
                 for j, x in enumerate(n))


def verify_if_due(learner: Learner,
                  check_every: int | None = None) -> checker.CheckResult | None:
    """A run's verification after an episode (rbengine.atomic_commit.run): every
    `check_every` episodes the greedy machine is checked and a counterexample
    joins the learner's pool. Returns the CheckResult, or None when not due."""
    if learner.episodes % (check_every or learner.check_every):
        return None
    r = checker.check(learner.machine(), learner.model)
    cx = r.counterexample  # always set when incorrect: checker.check is asked for it
    if not r.correct and cx is not None:
        learner.pool.append((cx.votes, dict(cx.crashes)))
    return r
