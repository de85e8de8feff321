"""The RB-Learner's method on this problem: tabular Q-learning with UCB over the
transition table. A Q-table row per input (own state, multiset received), one
column per next state; each episode plays the machine UCB chooses (an entry's
choice is fixed within the episode), and every step's Q value moves towards the
step's share of the final reward."""

from __future__ import annotations

import math
import random
import time
from typing import Any, cast

from . import checker
from .episode import Episode, LearnResult, Scenario, play, sample_scenario
from .machine import Key, Machine, actions, keys
from .model import Model, Run


class TabularLearner:
    def __init__(self, model: Model, k: int = 1, seed: int = 0, c: float = 100.0,
                 alpha: float = 0.1, check_every: int = 50, p_pool: float = 0.3):
        self.model, self.k, self.seed = model, k, seed
        self.c, self.alpha, self.check_every, self.p_pool = c, alpha, check_every, p_pool
        self.rng = random.Random(seed)
        self.acts = actions(k)
        self.q: dict[Key, list[float]] = {}      # key -> [Q per action]
        self.n_sa: dict[Key, list[int]] = {}   # key -> [count per action]
        self.pool: list[Scenario] = []
        self.episodes = 0

    def _ucb(self, key: Key) -> int:
        q = self.q.setdefault(key, [0.0] * len(self.acts))
        n = self.n_sa.setdefault(key, [0] * len(self.acts))
        for j, x in enumerate(n):
            if x == 0:
                return j
        total = math.log(sum(n))
        return max(range(len(q)), key=lambda j: q[j] + self.c * math.sqrt(total / n[j]))

    def episode(self) -> Episode:
        votes, crashes = sample_scenario(self.model, self.rng, self.pool, self.p_pool)
        fixed: dict[Key, int] = {}

        def choose(r: int, asks: list[tuple[int, Key]]) -> list[int]:
            out = []
            for _, key in asks:
                if key not in fixed:
                    fixed[key] = self._ucb(key)
                out.append(self.acts[fixed[key]])
            return out

        ep = play(self.model, self.k, votes, crashes, choose)
        self.train_on(ep)
        return ep

    def train_on(self, ep: Episode) -> None:
        """What a played episode teaches: each decision's value moves towards its
        target (also how the Stepper's hand-played episodes train)."""
        for key, a, target in ep.targets(self.model.rounds):
            j = self.acts.index(a)
            self.n_sa[key][j] += 1
            self.q[key][j] += self.alpha * (target - self.q[key][j])
        self.episodes += 1

    def machine(self) -> Machine:
        """The greedy machine. An input never met gets a next state drawn at random
        (seeded): no default that a designer would pick."""
        table: dict[Key, int] = {}
        fill = random.Random(f"{self.seed}:{self.episodes}")
        for key in keys(self.model.n, self.k):
            q, n = self.q.get(key), cast("list[int]", self.n_sa.get(key))  # None with q
            if q is None or not any(n):
                table[key] = fill.choice(self.acts)
            else:
                best = max((j for j in range(len(q)) if n[j]), key=lambda j: q[j])
                table[key] = self.acts[best]
        return Machine(self.model.n, self.k, table)

    def learn(self, episodes: int = 20000, seconds: float | None = None) -> LearnResult:
        t0 = time.perf_counter()
        res = LearnResult()
        total = 0.0
        for e in range(episodes):
            ep = self.episode()
            total += sum(ep.rewards) / len(ep.rewards)
            if (e + 1) % self.check_every == 0:
                m = self.machine()
                r = checker.check(m, self.model)
                res.candidates += 1
                res.history.append((self.episodes, total / self.check_every, r.correct))
                total = 0.0
                if r.correct:
                    res.machine = m
                    break
                cx = cast(Run, r.counterexample)  # incorrect: a counterexample
                self.pool.append((cx.votes, dict(cx.crashes)))
            if seconds is not None and time.perf_counter() - t0 > seconds:
                break
        res.episodes = self.episodes
        res.seconds = time.perf_counter() - t0
        return res

    # -- save and resume ----------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Everything the next episode depends on, as JSON: Q values, counts,
        the counterexample pool, the generator."""
        return {"n": self.model.n, "rounds": self.model.rounds, "f": self.model.f,
                "partial": self.model.partial, "properties": self.model.properties,
                "k": self.k, "seed": self.seed, "c": self.c, "alpha": self.alpha,
                "check_every": self.check_every, "p_pool": self.p_pool,
                "episodes": self.episodes, "rng": _jsonable(self.rng.getstate()),
                "q": [[s, list(c), self.q[(s, c)], self.n_sa[(s, c)]] for s, c in self.q],
                "pool": [[list(v), {str(p): [r, sorted(to)] for p, (r, to) in cr.items()}]
                         for v, cr in self.pool]}

    @classmethod
    def from_state_dict(cls, d: dict[str, Any]) -> "TabularLearner":
        props = d["properties"]
        model = Model(d["n"], d["rounds"], f=d["f"], partial=d["partial"],
                      properties=props if isinstance(props, str) else tuple(props))
        self = cls(model, d["k"], d["seed"], d["c"], d["alpha"], d["check_every"], d["p_pool"])
        for s, c, q, n in d["q"]:
            self.q[(s, tuple(c))], self.n_sa[(s, tuple(c))] = list(q), list(n)
        self.pool = [(tuple(v), {int(p): (r, frozenset(to)) for p, (r, to) in cr.items()})
                     for v, cr in d["pool"]]
        self.episodes = d["episodes"]
        self.rng.setstate(_tuples(d["rng"]))
        return self


def _jsonable(x: object) -> object:
    return [_jsonable(y) for y in x] if isinstance(x, tuple) else x


def _tuples(x: object) -> Any:
    return tuple(_tuples(y) for y in x) if isinstance(x, list) else x
