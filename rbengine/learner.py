"""The RB-Learner (the paper's §3-§4): Q-learning with the UCB policy over
episodes, then the optimisation episode (the follow-up paper): one greedy
episode on what was learnt, validated again, exported as the run's result.

Q values are optimistic: a (state, action) pair never chosen is worth the most
it could be, the return of a candidate that would end right after it, correct,
with nothing more to pay. So a subtree keeps the value of its cheapest
unexplored completion until the run has tried it: without that, a choice whose
first few completions were incorrect is worth about -1 against about +85 for a
choice already known to lead to a correct candidate, and UCB's exploration
term, growing like sqrt(ln N), takes tens of thousands of episodes to go back
to it (this is how the crash experiment missed Algorithm 2's reward).

Because Q values are hopes, the optimisation episode follows what is known:
in each state the action towards the cheapest correct candidate found (best
total runtime reward, then rbengine.metrics.cost, then the vocabulary's
order: ``Learner.rank``), so the run's result is the cheapest correct
candidate it found, the ``best`` the learner keeps during the run. All
randomness comes from one seeded numpy Generator whose state is part of the
learner's state, so a run restored from a checkpoint continues exactly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast

import numpy as np

from . import metrics
from . import reward as rw
from .cache import VerdictCache, VerdictRecord
from .candidate import Candidate
from .config import RunConfig
from .episode import Decision, Outcome, Transition
from .episode import run as run_episode
from .errors import OracleError
from .guide import Guide, passed, progress
from .heuristics import DeadStates, Heuristics
from .qtable import QTable
from .state import DONE, PHASES, State, StateKey

#: Learner.rank: -accumulated runtime reward, metrics.cost, then the final
#: state's key; smaller is cheaper
Rank = tuple[Any, ...]


FOUND_BY = {
    "episode": "its candidate",
    "descent": "a descent from an episode's candidate",
    "repair": "a repair of a near miss",
    "repair, descent": "a repair of a near miss and a descent",
}
"""How a correct candidate was found, in words (`rbtui show`, bench/experiments.py)."""


def near_miss_kind(first: VerdictRecord, first_size_checks: int) -> str | None:
    """Which near miss (rbengine.descent) an incorrect candidate is, from its
    record at the run's first size: "first size only" (correct there, so a
    later size failed), "last scenario" (it failed only the last of that
    size's `first_size_checks` checks, after passing the others; a size of one
    scenario has none), or None."""
    if first.correct:
        return "first size only"
    n = passed(first)
    return "last scenario" if n >= 1 and n == first_size_checks - 1 else None


@dataclass
class Best:
    """A correct candidate: the cheapest one found (``Learner.rank``)."""

    candidate: Candidate
    cost: tuple[float, ...]  # metrics.cost at the run's N and F, then -accumulated runtime reward
    accumulated: float
    episode: int
    #: how it was found (a key of FOUND_BY): an episode's candidate, or walks
    #: (rbengine.descent) from the candidates met up to that episode
    by: str = "episode"

    def to_json(self) -> dict[str, Any]:
        return {"candidate": self.candidate.to_json(), "cost": list(self.cost),
                "accumulated": self.accumulated, "episode": self.episode, "by": self.by}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Best":
        return cls(Candidate.from_json(d["candidate"]), tuple(d["cost"]), d["accumulated"],
                   d["episode"], d.get("by", "episode"))


class Learner:
    def __init__(self, config: RunConfig, cache: VerdictCache | None = None):
        self.config = config.validate()
        self.vocab = config.vocab()
        self.heur = Heuristics(config.heuristics, self.vocab)
        self.actions = self.heur.actions
        self.stop = self.heur.stop
        self.index = {a: i for i, a in enumerate(self.actions)}
        self.qt = QTable(self.initial_q if config.optimistic else None)
        self._so_far: dict[StateKey, tuple[float, frozenset[int]]] = {}  # state key -> reward, types sent
        self.dead = DeadStates(self.stop)
        self.rng = np.random.default_rng(config.seed)
        self.guide = Guide(config.guide_c) if config.untried == "guided" else None
        self.cache = cache or VerdictCache(config.target, config.n, config.f,
                                           config.attacker, config.backend, sizes=config.sizes)
        self.known: dict[str, bool] = {}  # this run's verdicts by candidate hash
        self.descended: list[str] = []  # correct candidates walks found (not episodes)
        # the correct candidates found: final state key -> (accumulated, metrics.cost)
        self.correct: dict[StateKey, tuple[float, tuple[int, ...]]] = {}
        self.episodes_done = 0
        self.correct_episodes = 0
        self.incorrect_episodes = 0
        self.first_correct: dict[str, int] | None = None  # episode, states, candidates
        self.best: Best | None = None
        self.exhausted = False
        self.final: Outcome | None = None
        # since the last drain (for checkpoints)
        self.new_episodes: list[Outcome] = []
        self.new_candidates: dict[str, Candidate] = {}

    # ---- episodes -------------------------------------------------------
    def episode(self, greedy: bool = False,
                cancel: Callable[[], bool] | None = None) -> Iterator[Decision | Outcome]:
        """Decisions then the Outcome of the next episode (see rbengine.episode)."""
        return run_episode(self, greedy=greedy, cancel=cancel)

    def run_episode(self, cancel: Callable[[], bool] | None = None) -> Outcome:
        out = None
        for item in self.episode(cancel=cancel):
            out = item
        assert isinstance(out, Outcome)
        return out

    def optimise(self) -> Outcome:
        """The optimisation episode: greedy on the QTable, re-validated."""
        out = None
        for item in self.episode(greedy=True):
            out = item
        out = cast(Outcome, out)  # an episode ends with its Outcome
        self.final = out
        if out.candidate is not None:
            self.new_candidates[out.candidate_hash] = out.candidate
        return out

    def commit(self, pending: list[Transition], out: Outcome,
               cancel: Callable[[], bool] | None = None) -> None:
        """Apply a completed episode: its verdict and walks, visits, Q updates,
        GH9. The walks come first and may be cancelled: then what they and the
        verdict recorded is taken back and OracleError raised, so that the
        episode is abandoned like one whose check was cancelled."""
        qt, cfg = self.qt, self.config
        final_state = pending[-1].next
        # a completed episode has its candidate and verdict
        cand = cast(Candidate, out.candidate)
        verdict = cast(VerdictRecord, out.verdict)
        h = out.candidate_hash
        first_time = h not in self.known
        mark = self._mark()
        self.known[h] = verdict.correct
        if first_time:
            self.new_candidates[h] = cand
        known_then = len(self.known)
        new_best = verdict.correct and self._found_correct(cand, final_state, out.episode)
        try:
            if cfg.descend and new_best:
                self._descend(cand, out.episode, cancel=cancel)
            elif cfg.descend and not verdict.correct and first_time and self._near_miss(h):
                self._repair(cand, out.episode, cancel=cancel)
        except OracleError:
            self._take_back(mark)
            raise
        for t in pending:
            qt.visit(t.state, t.action)
        last = len(pending) - 1
        order = range(last, -1, -1) if cfg.update_order == "backward" else range(last + 1)
        for k in order:
            t = pending[k]
            if k == last:
                out.updates.append(qt.update(t.state, t.action, t.reward, 0.0, cfg.alpha,
                                             cfg.gamma, bonus=out.bonus))
            else:
                out.updates.append(qt.update(t.state, t.action, t.reward,
                                             qt.max_value(t.next, t.next_allowed),
                                             cfg.alpha, cfg.gamma))
        self.episodes_done = out.episode
        if self.guide is not None:
            self.guide.record(((0, final_state.broadcast), (1, final_state.receive)),
                              progress(verdict, self.planned))
        if verdict.correct:
            self.correct_episodes += 1
            if self.first_correct is None:
                self.first_correct = {"episode": out.episode, "states": len(qt),
                                      "candidates": known_then}
        else:
            self.incorrect_episodes += 1
            if cfg.heuristics.enabled("GH9") and final_state not in self.dead:
                out.new_dead = len(self.heur.mark_dead(final_state, self.dead))
        out.states_explored = len(qt)
        if State() in self.dead:
            self.exhausted = True
        self.new_episodes.append(out)

    def _mark(self) -> tuple[Any, ...]:
        """What a verdict and its walks change, to take back (``_take_back``)."""
        return (self.best, len(self.known), len(self.correct), len(self.new_candidates),
                len(self.descended))

    def _take_back(self, mark: tuple[Any, ...]) -> None:
        """Undo what was recorded since `mark`: walks only add entries (a
        verdict never changes), so removing the entries added restores it."""
        best, known, correct, new, descended = mark
        self.best = best
        for k in list(self.known)[known:]:
            del self.known[k]
        for key in list(self.correct)[correct:]:
            del self.correct[key]
        for k in list(self.new_candidates)[new:]:
            del self.new_candidates[k]
        del self.descended[descended:]

    def _descend(self, start: Candidate, episode: int, by: str = "descent",
                 cancel: Callable[[], bool] | None = None) -> None:
        """Record the correct candidates a descent from `start` reaches
        (rbengine.descent), so that the optimisation episode can follow them:
        a run's hard part is its first correct candidate, and cheaper ones are
        often a few single changes away from it. `by`: how they were found
        (FOUND_BY)."""
        from .descent import descend
        for move in descend(start, self.config, self.cache.correct, cancel=cancel):
            self._record_found(move.candidate, episode, by)

    def _near_miss(self, h: str) -> bool:
        """Correct at the run's first size (and so not at a later one); or,
        while the run knows no correct candidate, failing only the last
        scenario of its first size, after passing the others (a size of one
        scenario has no near misses of this kind)."""
        parts = self.cache.parts(h)
        kind = near_miss_kind(parts[0][1], self._plan[0]) if parts else None
        return kind == "first size only" or (kind == "last scenario" and self.best is None)

    def _repair(self, near_miss: Candidate, episode: int, chain: bool = True,
                cancel: Callable[[], bool] | None = None) -> bool:
        """A correct candidate one change from a near miss, when there is one,
        recorded and descended from like an episode's (rbengine.descent).
        When there is none, the candidates correct at the first size only that
        the repair met are repaired in turn (`chain`, one level deep), until
        one is. Whether a correct candidate was found."""
        from .descent import repair
        met: list[Candidate] = []

        def correct(c: Candidate) -> bool:
            ok = self.cache.correct(c)
            if not ok and chain:
                met.append(c)
            return ok

        move = repair(near_miss, self.config, correct, cancel=cancel)
        if move is None:
            return any(self._repair(c, episode, chain=False, cancel=cancel) for c in met
                       if self.cache.parts(c.content_hash())[0][1].correct)
        if self._record_found(move.candidate, episode, "repair"):
            self._descend(move.candidate, episode, "repair, descent", cancel=cancel)
        return True

    def _record_found(self, cand: Candidate, episode: int, by: str) -> bool:
        """Record a correct candidate found by a walk (`by`) rather than an
        episode; whether it is the new best."""
        h = cand.content_hash()
        if h not in self.known:
            self.new_candidates[h] = cand
            self.descended.append(h)
        self.known[h] = True
        return self._found_correct(cand, self.state_of(cand), episode, by)

    def _found_correct(self, cand: Candidate, state: State, episode: int,
                       by: str = "episode") -> bool:
        """Record a correct candidate (final `state`); whether it is the new best."""
        acc, cost = self.accumulated(state)[0], self.cost(cand)
        self.correct[state.key] = (acc, cost)
        best = Best(cand, cost + (-acc,), acc, episode, by)
        if self.best is None or self.rank(best) < self.rank(self.best):
            self.best = best
            return True
        return False

    # ---- values -----------------------------------------------------------
    def accumulated(self, state: State) -> tuple[float, frozenset[int]]:
        """Runtime reward accumulated in reaching `state`, and the types it sends."""
        key = state.key
        hit = self._so_far.get(key)
        if hit is None:
            if len(self._so_far) > 200_000:
                self._so_far.clear()
            sent: set[int] = set()
            acc = 0.0
            for phase, idx in ((0, state.broadcast), (1, state.receive)):
                for i in idx:
                    a = self.actions[i]
                    acc += rw.runtime(self.config.rewards, a, PHASES[phase], sent)
                    if a.is_send:
                        sent.add(cast(int, a.send_type))  # a send has a message type
            hit = self._so_far[key] = (acc, frozenset(sent))
        return hit

    def initial_q(self, state: State, action: int) -> float:
        """Optimistic initial value of a pair never chosen: the return of the
        best outcome still possible, the candidate ending correct with nothing
        more to pay (rbengine.reward.optimistic)."""
        acc, sent = self.accumulated(state)
        r = rw.runtime(self.config.rewards, self.actions[action], PHASES[state.phase], sent)
        return rw.optimistic(self.config.rewards, acc, r)

    def state_of(self, cand: Candidate) -> State:
        """The final state of a candidate (its actions must be in the vocabulary)."""
        return State(DONE, tuple(sorted(self.index[a] for a in cand.broadcast)),
                     tuple(sorted(self.index[a] for a in cand.receive)))

    def restore_correct(self, cands: Iterable[Candidate]) -> None:
        """Rebuild ``correct`` from the correct candidates found (on resumption)."""
        for cand in cands:
            state = self.state_of(cand)
            self.correct[state.key] = (self.accumulated(state)[0], self.cost(cand))

    def rank(self, best: Best) -> Rank:
        """What "cheapest" means, smaller first: the best total runtime reward
        (the learner's own measure), then metrics.cost (messages, steps,
        messages to deliver), then the order of the vocabulary (a total order:
        two different candidates never tie)."""
        return (-best.accumulated,) + tuple(best.cost[:3]) + (self.state_of(best.candidate).key,)

    def known_values(self, state: State, allowed: list[int]) -> list[Rank | None]:
        """For each allowed action, the cheapest correct candidate found that
        extends `state` + the action, as its rank (-accumulated, metrics.cost,
        final state key); None when no correct candidate found extends it."""
        out: list[Rank | None] = [None] * len(allowed)
        fits: list[Rank] = [(-acc, *cost, k) for k, (acc, cost) in self.correct.items()
                if _extends(k, state.key)]
        if not fits:
            return out
        for pos, a in enumerate(allowed):
            nxt = state.add(a, self.stop).key
            ranks = [r for r in fits if _extends(r[-1], nxt)]
            if ranks:
                out[pos] = min(ranks)
        return out

    @cached_property
    def _plan(self) -> list[int]:
        """The number of scenario checks of each size, cheapest size first."""
        from .oracle import plan_sizes
        s = self.config.oracle_settings()
        return [len(scs) for _, scs in plan_sizes(s["target"], None, s.get("n"), s.get("f"),
                                                  s["attacker"], sizes=s.get("sizes"))]

    @property
    def planned(self) -> int:
        """The scenario checks of a whole verification (every size): what a
        candidate's progress is a share of (rbengine.guide)."""
        return sum(self._plan)

    # ---- efficiency -----------------------------------------------------
    def cost(self, cand: Candidate) -> tuple[int, ...]:
        return tuple(metrics.cost(cand, self.config.n_value, self.config.f_value))

    def metrics(self, cand: Candidate) -> dict[str, Any]:
        return metrics.to_json(cand, self.config.n_value, self.config.f_value)

    @property
    def result(self) -> Candidate | None:
        """The run's result: the optimisation episode's candidate when it is
        correct (it is then ``best``, the cheapest correct candidate found,
        see ``rank``), else ``best``."""
        if self.final is not None and self.final.correct:
            return self.final.candidate
        return self.best.candidate if self.best else None

    @property
    def distinct_correct(self) -> int:
        return sum(1 for v in self.known.values() if v)

    @property
    def distinct_incorrect(self) -> int:
        return sum(1 for v in self.known.values() if not v)

    # ---- state for checkpoints -----------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything but the QTable, the dead states and the known verdicts
        (stored as rows), as JSON-able values."""
        return {"episodes_done": self.episodes_done,
                "rng": self.rng.bit_generator.state,
                "correct_episodes": self.correct_episodes,
                "incorrect_episodes": self.incorrect_episodes,
                "first_correct": self.first_correct,
                "best": self.best.to_json() if self.best else None,
                "exhausted": self.exhausted,
                **({"descended": self.descended} if self.descended else {}),
                **({"guide": self.guide.to_json()} if self.guide is not None else {})}

    def load_state(self, d: dict[str, Any]) -> None:
        self.episodes_done = d["episodes_done"]
        self.rng.bit_generator.state = d["rng"]
        self.correct_episodes = d["correct_episodes"]
        self.incorrect_episodes = d["incorrect_episodes"]
        self.first_correct = d["first_correct"]
        self.best = Best.from_json(d["best"]) if d["best"] else None
        self.exhausted = d["exhausted"]
        self.descended = list(d.get("descended", []))
        if self.guide is not None and "guide" in d:
            self.guide.load(d["guide"])

    def drain(self) -> tuple[list[Outcome], dict[str, Candidate]]:
        eps, cands = self.new_episodes, self.new_candidates
        self.new_episodes, self.new_candidates = [], {}
        return eps, cands


def _sub(small: tuple[int, ...], big: tuple[int, ...]) -> bool:
    """Sorted multiset inclusion."""
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


def _extends(final: StateKey, key: StateKey) -> bool:
    """Whether the final state `final` extends the state `key` (keys of State)."""
    _, fb, fr = final
    phase, b, r = key
    if phase == 0:
        return not r and _sub(b, fb)
    if phase == 1:
        return b == fb and _sub(r, fr)
    return b == fb and r == fr


def dumps_state(d: dict[str, Any]) -> str:
    return json.dumps(d, separators=(",", ":"))
