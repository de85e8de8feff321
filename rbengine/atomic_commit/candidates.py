"""Random and mutated machines: the inputs of the differential tests."""

from __future__ import annotations

import random

from .machine import Key, Machine, actions, keys


def random_machine(n: int, k: int, rng: random.Random) -> Machine:
    acts = actions(k)
    return Machine(n, k, {key: rng.choice(acts) for key in keys(n, k)})


def early_keys(n: int, k: int) -> list[Key]:
    """The inputs of round 1 and of processes that saw only votes and LOST: the
    entries every run reads, where a mutation changes the verdict most often."""
    lost = 4 + k
    return [(s, c) for s, c in keys(n, k)
            if s in (0, 1) and all(x == 0 for i, x in enumerate(c) if i not in (0, 1, lost))]


def mutate(machine: Machine, rng: random.Random, changes: int = 1,
           early: float = 0.7) -> Machine:
    """`changes` entries given another next state, mostly among the early inputs."""
    m = machine.copy()
    acts = actions(m.k)
    pool_early = early_keys(m.n, m.k)
    pool_all = list(keys(m.n, m.k))
    for _ in range(changes):
        key = rng.choice(pool_early if rng.random() < early else pool_all)
        m.table[key] = rng.choice([a for a in acts if a != m.table[key]])
    return m
