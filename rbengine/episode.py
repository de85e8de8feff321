"""One episode of the generation process (the paper's §4.4), as a generator.

Two development phases, RB-Broadcast then receive, each a loop of (1) heuristic
analysis, (2) action selection by the policy, (3) runtime reward, (4) learning
update, ended by STOP. Then the oracle validates the candidate and the bonus
rewards the last choice. Each choice is yielded as a Decision, the end as an
Outcome, so a user interface can step through an episode exactly as a headless
run performs it.

An episode is atomic: the Q values, visit counts and run statistics change only
when it completes, and an episode abandoned half-way (a cancelled verification
or walk, a stepper closed) leaves the learner, its random generator included,
as it was.
The Q-learning updates of the episode's transitions are applied then, by
default from the last choice back to the first (``update_order="backward"``):
the same updates, ordered so that the bonus reaches every choice of the
episode at once instead of one step per later visit. ``"forward"`` applies
them in the order of the choices, which gives exactly the values of updating
at each step (an episode never visits a state twice).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from . import reward as rw
from .action import Action
from .cache import VerdictRecord
from .candidate import Candidate
from .qtable import QUpdate, ucb_scores
from .state import DONE, PHASES, State

if TYPE_CHECKING:
    from .heuristics import Filtered
    from .learner import Learner


@dataclass
class Decision:
    """One choice: everything the policy saw and what it did."""

    episode: int
    step: int
    phase: str  # "broadcast" | "receive"
    state: State
    candidate: Candidate  # the partial candidate before the choice
    allowed: list[Action]
    removed: dict[str, list[Action]]  # heuristic -> actions it removed
    q: list[float]  # per allowed action
    visits: list[int]
    scores: list[float]  # UCB score (greedy: the Q value) per allowed action
    choice: Action
    reward: float  # runtime reward of the choice
    greedy: bool = False
    #: the guide's score per allowed action (untried = "guided"; rbengine.guide):
    #: the order in which untried actions are tried; None without a guide
    guide: list[float] | None = None

    @property
    def choice_position(self) -> int:
        return self.allowed.index(self.choice)


@dataclass
class Outcome:
    """The end of an episode: the candidate, its verdict and the bonus."""

    episode: int
    candidate: Candidate | None
    verdict: VerdictRecord | None
    cached: bool
    accumulated: float  # sum of the runtime rewards
    bonus: float
    updates: list[QUpdate]  # in the order applied (empty for the optimisation episode)
    states_explored: int
    seconds: float
    decisions: int
    greedy: bool = False
    exhausted: bool = False  # every candidate the heuristics allow is known incorrect
    new_dead: int = 0  # states GH9 blocked because of this verdict
    candidate_hash: str = ""

    @property
    def correct(self) -> bool | None:
        return None if self.verdict is None else self.verdict.correct

    @property
    def update(self) -> QUpdate | None:
        """The update of the last choice, the one that carries the bonus."""
        for u in self.updates:
            if u.bonus:
                return u
        return None


@dataclass(frozen=True)
class Transition:
    """One choice as the learning update needs it."""

    state: State
    action: int
    reward: float  # runtime reward (the bonus is added to the last one)
    next: State
    next_allowed: tuple[int, ...]  # empty after the last STOP

def _choose_ucb(learner: Learner, state: State, allowed: list[int]
                ) -> tuple[int, list[float], list[float] | None]:
    """UCB's choice, the scores, and the guide's scores (None without a guide)."""
    cfg = learner.config
    scores = ucb_scores(learner.qt, state, allowed, cfg.ucb_c, cfg.untried != "initial")
    best = max(scores)
    guide = None
    if learner.guide is not None:
        guide = [learner.guide.score(state.phase, a) for a in allowed]
    cand = [i for i, s in enumerate(scores) if s == best]
    if len(cand) > 1 and best == math.inf and guide is not None:
        # untried actions: the guide's order first (rbengine.guide)
        top = max(guide[i] for i in cand)
        cand = [i for i in cand if guide[i] == top]
    pick = cand[0] if len(cand) == 1 else cand[int(learner.rng.integers(len(cand)))]
    return allowed[pick], scores, guide


def _choose_greedy(learner: Learner, state: State, allowed: list[int]) -> tuple[int, list[float]]:
    """The optimisation episode's choice: what the run knows, not what it
    hopes. The action towards the cheapest correct candidate found
    (Learner.rank: best total runtime reward, then metrics.cost, then the
    vocabulary's order), the first in vocabulary order when several lead to
    it; an action's score is the return from `state` of the cheapest correct
    candidate found it leads to (-inf when there is none). Without any, the
    best Q among the actions tried in `state` (an untried action's initial
    value says nothing), first in vocabulary order on ties. No randomness."""
    qt = learner.qt
    known = learner.known_values(state, allowed)
    if any(k is not None for k in known):
        acc0 = learner.accumulated(state)[0]
        rewards = learner.config.rewards
        scores = [-math.inf if k is None else rw.bonus(rewards, True, -k[0]) - k[0] - acc0
                  for k in known]
        return allowed[known.index(min(k for k in known if k is not None))], scores
    scores = [qt.value(state, a) for a in allowed]
    tried = [(s, i) for i, (a, s) in enumerate(zip(allowed, scores)) if qt.visits(state, a) > 0]
    pool = tried or [(s, i) for i, s in enumerate(scores)]
    best = max(s for s, _ in pool)
    return allowed[min(i for s, i in pool if s == best)], scores


def run(learner: Learner, greedy: bool = False,
        cancel: Callable[[], bool] | None = None) -> Iterator[Decision | Outcome]:
    """Yield the Decisions of one episode, then its Outcome.

    greedy: the optimisation episode (no exploration, no learning, the
    candidate is validated again rather than taken from the cache).
    """
    t0 = time.perf_counter()
    cfg = learner.config
    heur, qt, dead, acts, stop = learner.heur, learner.qt, learner.dead, learner.actions, learner.stop
    episode_no = learner.episodes_done + (0 if greedy else 1)
    rng_state = learner.rng.bit_generator.state
    dead_mark = len(dead.new)
    committed = False
    try:
        state = State()
        filt = heur.filter(state, dead)
        if not filt.allowed:
            out = Outcome(episode_no, None, None, False, 0.0, 0.0, [], len(qt),
                          time.perf_counter() - t0, 0, greedy, exhausted=True)
            committed = True
            yield out
            return
        sent: set[int] = set()
        accumulated = 0.0
        pending: list[Transition] = []
        step = 0
        while True:
            # (2) action selection, skipping choices that turn out to lead to a dead end
            while True:
                guide: list[float] | None = None
                if greedy:
                    choice, scores = _choose_greedy(learner, state, filt.allowed)
                else:
                    choice, scores, guide = _choose_ucb(learner, state, filt.allowed)
                nxt = state.add(choice, stop)
                nxt_filt = heur.filter(nxt, dead) if nxt.phase != DONE else None
                if nxt_filt is None or nxt_filt.allowed:
                    break
                if not greedy:
                    heur.mark_dead(nxt, dead)
                filt.allowed.remove(choice)
                filt.removed.setdefault(heur.dead_reason, []).append(choice)
                if not filt.allowed:  # cannot happen while the dead set is closed upwards
                    raise RuntimeError(f"no allowed action left in {state.text(acts)}")
            action = acts[choice]
            # (3) runtime reward
            r = rw.runtime(cfg.rewards, action, PHASES[state.phase], sent)
            accumulated += r
            if action.is_send:
                sent.add(cast(int, action.send_type))  # a send has a message type
            step += 1
            yield Decision(
                episode_no, step, PHASES[state.phase], state, state.candidate(acts),
                [acts[a] for a in filt.allowed],
                {k: [acts[a] for a in v] for k, v in filt.removed.items()},
                [qt.value(state, a) for a in filt.allowed],
                [qt.visits(state, a) for a in filt.allowed],
                scores, action, r, greedy, guide)
            # (4) learning update: recorded now, applied when the episode completes
            pending.append(Transition(state, choice, r, nxt,
                                      tuple(nxt_filt.allowed) if nxt_filt else ()))
            if nxt.phase == DONE:
                break
            state, filt = nxt, cast("Filtered", nxt_filt)  # not DONE: filtered
        # validation by the oracle, bonus, last update
        cand = nxt.candidate(acts)
        h = cand.content_hash()
        verdict, cached = learner.cache.verify(cand, cancel=cancel, use_cache=not greedy, h=h)
        bonus = rw.bonus(cfg.rewards, verdict.correct, accumulated)
        out = Outcome(episode_no, cand, verdict, cached, accumulated, bonus, [], len(qt),
                      0.0, step, greedy, candidate_hash=h)
        if not greedy:
            learner.commit(pending, out, cancel=cancel)
        out.states_explored = len(qt)
        out.seconds = time.perf_counter() - t0
        committed = True
        yield out
    finally:
        if not committed:
            learner.rng.bit_generator.state = rng_state
            dead.discard_new(dead_mark)
