"""The paper's learner: deep Q-learning whose network *is* the state machine.

The network (paper 002, Fig. 1b): fully connected 128, 64, 16, then one output
per action (COMMIT, ABORT, U1..UK: three for K = 1), ReLU after each hidden
layer. Input: the own state one-hot and the counts of every symbol received
from the others divided by N - 1 (the multiset of the contract §1; the paper
feeds the N received states). Rewards -2000 / +100 / -0.5 (rules 1-6), the
final reward split equally over the rounds as every step's target, epsilon-
greedy decaying to 0.1, learning rate decaying from 0.01 to 0.001, Adam. The
network regresses reward / 100 (the argmax, hence the machine, is unchanged by
the scale; it keeps Adam's first steps in range).

Written with numpy: backpropagation and Adam by hand. Seeded, and its whole
state (weights, Adam moments, counters, random generators, replay buffer,
counterexample pool) is a state_dict to save and resume.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt

try:  # matrices of 64 x 128: BLAS threads only contend with each other
    from threadpoolctl import threadpool_limits as threadpool_limits  # run.py uses it too
except ImportError:  # pragma: no cover
    from contextlib import nullcontext as threadpool_limits

from . import checker
from .episode import Episode, LearnResult, Scenario, play, sample_scenario
from .machine import Key, Machine, actions, keys
from .model import Model, Run

HIDDEN = (128, 64, 16)
SCALE = 100.0

Array = npt.NDArray[np.float64]


class MLP:
    """Fully connected layers with ReLU between them; a linear output layer."""

    def __init__(self, sizes: Sequence[int], rng: np.random.Generator):
        self.params: list[Array] = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            self.params.append(rng.normal(0.0, np.sqrt(2.0 / a), (a, b)))  # He
            self.params.append(np.zeros(b))

    def forward(self, x: Array) -> tuple[Array, list[Array]]:
        acts = [x]
        h = x
        layers = len(self.params) // 2
        for i in range(layers):
            w, b = self.params[2 * i], self.params[2 * i + 1]
            z = h @ w + b
            h = np.maximum(z, 0.0) if i < layers - 1 else z
            acts.append(h)
        return h, acts

    def backward(self, acts: list[Array], dout: Array) -> list[Array]:
        """Gradients of every parameter given d loss / d output."""
        grads: list[Any] = [None] * len(self.params)  # each set below
        layers = len(self.params) // 2
        d = dout
        for i in range(layers - 1, -1, -1):
            h_in = acts[i]
            grads[2 * i] = h_in.T @ d
            grads[2 * i + 1] = d.sum(axis=0)
            if i > 0:
                d = (d @ self.params[2 * i].T) * (acts[i] > 0)
        return grads


class Adam:
    def __init__(self, params: list[Array], beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def step(self, params: list[Array], grads: list[Array], lr: float) -> None:
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            mh = m / (1 - b1 ** self.t)
            vh = v / (1 - b2 ** self.t)
            p -= lr * mh / (np.sqrt(vh) + self.eps)


class DQNLearner:
    def __init__(self, model: Model, k: int = 1, seed: int = 0, decay_episodes: int = 3000,
                 lr: tuple[float, float] = (0.01, 0.001),
                 epsilon: tuple[float, float] = (1.0, 0.1), batch: int = 64,
                 buffer: int = 20000, check_every: int = 50, p_pool: float = 0.3):
        self.model, self.k, self.seed = model, k, seed
        self.decay_episodes, self.lr0, self.lr1 = decay_episodes, *lr
        self.eps0, self.eps1 = epsilon
        self.batch, self.capacity, self.check_every, self.p_pool = batch, buffer, check_every, p_pool
        self.acts = actions(k)
        self.symbols = 5 + k
        self.width = (4 + k) + self.symbols
        self.np_rng = np.random.default_rng(seed)
        self.rng = random.Random(seed)
        self.net = MLP((self.width, *HIDDEN, len(self.acts)), self.np_rng)
        self.opt = Adam(self.net.params)
        self.buf_x = np.zeros((buffer, self.width))
        self.buf_a = np.zeros(buffer, dtype=np.int64)
        self.buf_y = np.zeros(buffer)
        self.buf_len = 0
        self.buf_pos = 0
        self.pool: list[Scenario] = []
        self.episodes = 0
        self._all_keys = keys(model.n, k)
        self._all_x = np.stack([self.encode(key) for key in self._all_keys])

    # -- schedules ------------------------------------------------------------------------

    def _progress(self) -> float:
        return min(1.0, self.episodes / max(1, self.decay_episodes))

    def epsilon(self) -> float:
        return self.eps0 + (self.eps1 - self.eps0) * self._progress()

    def learning_rate(self) -> float:
        # (float ** float is typed Any: a negative base would give a complex)
        return cast(float, self.lr0 * (self.lr1 / self.lr0) ** self._progress())

    # -- network as machine -----------------------------------------------------------------

    def encode(self, key: Key) -> Array:
        own, counts = key
        x = np.zeros(self.width)
        x[own] = 1.0
        x[4 + self.k:] = np.asarray(counts, dtype=float) / (self.model.n - 1)
        return x

    def q_values(self, keys_: Iterable[Key]) -> Array:
        """Q value (in reward units) of every action for each input."""
        x = np.stack([self.encode(key) for key in keys_])
        return self.net.forward(x)[0] * SCALE

    def machine(self) -> Machine:
        q = self.net.forward(self._all_x)[0]
        best = q.argmax(axis=1)
        return Machine(self.model.n, self.k,
                       {key: self.acts[j] for key, j in zip(self._all_keys, best)})

    # -- learning ---------------------------------------------------------------------------

    def episode(self) -> Episode:
        votes, crashes = sample_scenario(self.model, self.rng, self.pool, self.p_pool)
        eps = self.epsilon()

        def choose(r: int, asks: list[tuple[int, Key]]) -> list[int]:
            x = np.stack([self.encode(key) for _, key in asks])
            best = self.net.forward(x)[0].argmax(axis=1)
            return [self.acts[self.rng.randrange(len(self.acts))] if self.rng.random() < eps
                    else self.acts[j] for j in best]

        ep = play(self.model, self.k, votes, crashes, choose)
        self.train_on(ep)
        return ep

    def train_on(self, ep: Episode) -> None:
        """What a played episode teaches: its targets into the replay buffer,
        one training step (also how the Stepper's hand-played episodes train)."""
        for key, a, target in ep.targets(self.model.rounds):
            i = self.buf_pos
            self.buf_x[i] = self.encode(key)
            self.buf_a[i] = self.acts.index(a)
            self.buf_y[i] = target / SCALE
            self.buf_pos = (i + 1) % self.capacity
            self.buf_len = min(self.buf_len + 1, self.capacity)
        self.train_step()
        self.episodes += 1

    def train_step(self) -> float:
        if self.buf_len == 0:
            return 0.0
        idx = self.np_rng.integers(0, self.buf_len, size=min(self.batch, self.buf_len))
        x, a, y = self.buf_x[idx], self.buf_a[idx], self.buf_y[idx]
        out, acts = self.net.forward(x)
        rows = np.arange(len(idx))
        err = out[rows, a] - y
        dout = np.zeros_like(out)
        dout[rows, a] = 2.0 * err / len(idx)
        grads = self.net.backward(acts, dout)
        self.opt.step(self.net.params, grads, self.learning_rate())
        return float(np.mean(err ** 2))

    def learn(self, episodes: int = 20000, seconds: float | None = None) -> LearnResult:
        with threadpool_limits(1):
            return self._learn(episodes, seconds)

    def _learn(self, episodes: int, seconds: float | None) -> LearnResult:
        t0 = time.perf_counter()
        res = LearnResult()
        total = 0.0
        for _ in range(episodes):
            ep = self.episode()
            total += sum(ep.rewards) / len(ep.rewards)
            if self.episodes % self.check_every == 0:
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
        meta = {"n": self.model.n, "rounds": self.model.rounds, "f": self.model.f,
                "partial": self.model.partial, "properties": self.model.properties,
                "k": self.k, "seed": self.seed, "episodes": self.episodes,
                "decay_episodes": self.decay_episodes, "lr": [self.lr0, self.lr1],
                "epsilon": [self.eps0, self.eps1], "batch": self.batch,
                "capacity": self.capacity, "check_every": self.check_every,
                "p_pool": self.p_pool, "buf_len": self.buf_len, "buf_pos": self.buf_pos,
                "adam_t": self.opt.t, "rng": _jsonable(self.rng.getstate()),
                "np_rng": self.np_rng.bit_generator.state,
                "pool": [[list(v), {str(p): [r, sorted(to)] for p, (r, to) in c.items()}]
                         for v, c in self.pool]}
        d: dict[str, Any] = {"meta": json.dumps(meta), "buf_x": self.buf_x.copy(), "buf_a": self.buf_a.copy(),
             "buf_y": self.buf_y.copy()}
        for i, (p, m, v) in enumerate(zip(self.net.params, self.opt.m, self.opt.v)):
            d[f"param{i}"], d[f"adam_m{i}"], d[f"adam_v{i}"] = p.copy(), m.copy(), v.copy()
        return d

    @classmethod
    def from_state_dict(cls, d: Mapping[str, Any]) -> "DQNLearner":
        meta = json.loads(str(d["meta"]))
        props = meta["properties"]
        model = Model(meta["n"], meta["rounds"], f=meta["f"], partial=meta["partial"],
                      properties=props if isinstance(props, str) else tuple(props))
        self = cls(model, meta["k"], meta["seed"], meta["decay_episodes"], tuple(meta["lr"]),
                   tuple(meta["epsilon"]), meta["batch"], meta["capacity"],
                   meta["check_every"], meta["p_pool"])
        for i in range(len(self.net.params)):
            self.net.params[i][...] = d[f"param{i}"]
            self.opt.m[i][...] = d[f"adam_m{i}"]
            self.opt.v[i][...] = d[f"adam_v{i}"]
        self.opt.t = meta["adam_t"]
        self.buf_x[...], self.buf_a[...], self.buf_y[...] = d["buf_x"], d["buf_a"], d["buf_y"]
        self.buf_len, self.buf_pos = meta["buf_len"], meta["buf_pos"]
        self.episodes = meta["episodes"]
        self.rng.setstate(_tuples(meta["rng"]))
        self.np_rng.bit_generator.state = meta["np_rng"]
        self.pool = [(tuple(v), {int(p): (r, frozenset(to)) for p, (r, to) in c.items()})
                     for v, c in meta["pool"]]
        return self

    def save(self, path: str) -> None:
        np.savez_compressed(path, **self.state_dict())

    @classmethod
    def load(cls, path: str) -> "DQNLearner":
        with np.load(path, allow_pickle=False) as z:
            return cls.from_state_dict({name: z[name] for name in z.files})


def _jsonable(x: object) -> object:
    return [_jsonable(y) for y in x] if isinstance(x, tuple) else x


def _tuples(x: object) -> Any:
    return tuple(_tuples(y) for y in x) if isinstance(x, list) else x
