"""The atomic commit problem seen only through the Problem interface."""

import random

from rbengine.atomic_commit import protocols
from rbengine.problem import AtomicCommit, Problem


def test_atomic_commit_is_a_problem():
    assert isinstance(AtomicCommit(), Problem)


def test_a_generic_tabular_loop_over_the_interface_finds_a_correct_candidate():
    """Greedy Q-learning that knows nothing but the interface."""
    problem = AtomicCommit(n=3, rounds=1)
    shape = problem.shape()
    rng = random.Random(0)
    q: dict = {}
    found = None
    for episode in range(1, 20001):
        def choose(point):
            opts = shape.choices(point)
            if rng.random() < 0.2 or point not in q:
                return rng.choice(opts)
            return max(opts, key=lambda c: q[point].get(c, 0.0))
        for point, choice, target in problem.episode(choose, rng):
            row = q.setdefault(point, {})
            row[choice] = row.get(choice, 0.0) + 0.1 * (target - row.get(choice, 0.0))
        if episode % 200 == 0:
            table = {p: max(shape.choices(p), key=lambda c: q.get(p, {}).get(c, -1e9))
                     for p in shape.points}
            cand = problem.loads(protocols.machine("vote-exchange", 3).dumps())
            cand.table = table
            if problem.verify(cand)["correct"]:
                found = cand
                break
    assert found is not None
    assert problem.verify(found, "z3")["correct"]
    again = problem.loads(problem.dumps(found))
    assert problem.candidate_hash(again) == problem.candidate_hash(found)


def test_counterexample_is_presented():
    problem = AtomicCommit(n=3, rounds=1)
    v = problem.verify(protocols.machine("optimistic", 3))
    assert not v["correct"] and "violates V" in problem.counterexample_text(v["counterexample"])
