"""The RB-Learner (the paper's §3-§4): Q-learning with the UCB policy over
episodes, then the optimisation episode (the follow-up paper): one greedy
episode on what was learnt, validated again, exported as the run's result.

It also keeps the most efficient correct candidate seen, by the efficiency
metrics of rbengine.metrics (messages, communication steps, messages to
deliver), since the greedy candidate is not guaranteed to be correct.
All randomness comes from one seeded numpy Generator whose state is part of
the learner's state, so a run restored from a checkpoint continues exactly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from . import metrics
from .cache import VerdictCache
from .candidate import Candidate
from .config import RunConfig
from .episode import Decision, Outcome, run as run_episode
from .heuristics import DeadStates, Heuristics
from .qtable import QTable
from .state import State


@dataclass
class Best:
    """A correct candidate and its efficiency (smaller cost is better)."""

    candidate: Candidate
    cost: tuple  # metrics.cost at the run's N and F, then -accumulated runtime reward
    accumulated: float
    episode: int

    def to_json(self) -> dict:
        return {"candidate": self.candidate.to_json(), "cost": list(self.cost),
                "accumulated": self.accumulated, "episode": self.episode}

    @classmethod
    def from_json(cls, d: dict) -> "Best":
        return cls(Candidate.from_json(d["candidate"]), tuple(d["cost"]), d["accumulated"],
                   d["episode"])


class Learner:
    def __init__(self, config: RunConfig, cache: VerdictCache | None = None):
        self.config = config.validate()
        self.vocab = config.vocab()
        self.heur = Heuristics(config.heuristics, self.vocab)
        self.actions = self.heur.actions
        self.stop = self.heur.stop
        self.index = {a: i for i, a in enumerate(self.actions)}
        self.qt = QTable()
        self.dead = DeadStates(self.stop)
        self.rng = np.random.default_rng(config.seed)
        self.cache = cache or VerdictCache(config.target, config.n_value, config.f,
                                           config.attacker, config.backend)
        self.known: dict[str, bool] = {}  # this run's verdicts by candidate hash
        self.episodes_done = 0
        self.correct_episodes = 0
        self.incorrect_episodes = 0
        self.first_correct: dict | None = None  # episode, states, candidates
        self.best: Best | None = None
        self.exhausted = False
        self.final: Outcome | None = None
        # since the last drain (for checkpoints)
        self.new_episodes: list[Outcome] = []
        self.new_candidates: dict[str, Candidate] = {}

    # ---- episodes -------------------------------------------------------
    def episode(self, greedy: bool = False, cancel=None) -> Iterator[Decision | Outcome]:
        """Decisions then the Outcome of the next episode (see rbengine.episode)."""
        return run_episode(self, greedy=greedy, cancel=cancel)

    def run_episode(self, cancel=None) -> Outcome:
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
        self.final = out
        if out.candidate is not None:
            self.new_candidates[out.candidate_hash] = out.candidate
        return out

    def commit(self, pending, out: Outcome) -> None:
        """Apply a completed episode: visits, Q updates, verdict, GH9."""
        qt, cfg = self.qt, self.config
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
        final_state = pending[-1].next
        self.episodes_done = out.episode
        cand = out.candidate
        h = out.candidate_hash
        first_time = h not in self.known
        self.known[h] = out.verdict.correct
        if first_time:
            self.new_candidates[h] = cand
        if out.verdict.correct:
            self.correct_episodes += 1
            if self.first_correct is None:
                self.first_correct = {"episode": out.episode, "states": len(qt),
                                      "candidates": len(self.known)}
            cost = self.cost(cand) + (-out.accumulated,)
            if self.best is None or cost < self.best.cost:
                self.best = Best(cand, cost, out.accumulated, out.episode)
        else:
            self.incorrect_episodes += 1
            if self.config.heuristics.enabled("GH9") and final_state not in self.dead:
                out.new_dead = len(self.heur.mark_dead(final_state, self.dead))
        out.states_explored = len(qt)
        if State() in self.dead:
            self.exhausted = True
        self.new_episodes.append(out)

    # ---- efficiency -----------------------------------------------------
    def cost(self, cand: Candidate) -> tuple:
        return tuple(metrics.cost(cand, self.config.n_value, self.config.f_value))

    def metrics(self, cand: Candidate) -> dict:
        return metrics.to_json(cand, self.config.n_value, self.config.f_value)

    @property
    def result(self) -> Candidate | None:
        """The run's result: the optimisation episode's candidate when it is
        correct, else the most efficient correct candidate seen."""
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
    def state_dict(self) -> dict:
        """Everything but the QTable, the dead states and the known verdicts
        (stored as rows), as JSON-able values."""
        return {"episodes_done": self.episodes_done,
                "rng": self.rng.bit_generator.state,
                "correct_episodes": self.correct_episodes,
                "incorrect_episodes": self.incorrect_episodes,
                "first_correct": self.first_correct,
                "best": self.best.to_json() if self.best else None,
                "exhausted": self.exhausted}

    def load_state(self, d: dict) -> None:
        self.episodes_done = d["episodes_done"]
        self.rng.bit_generator.state = d["rng"]
        self.correct_episodes = d["correct_episodes"]
        self.incorrect_episodes = d["incorrect_episodes"]
        self.first_correct = d["first_correct"]
        self.best = Best.from_json(d["best"]) if d["best"] else None
        self.exhausted = d["exhausted"]

    def drain(self) -> tuple[list[Outcome], dict[str, Candidate]]:
        eps, cands = self.new_episodes, self.new_candidates
        self.new_episodes, self.new_candidates = [], {}
        return eps, cands


def dumps_state(d: dict) -> str:
    return json.dumps(d, separators=(",", ":"))
