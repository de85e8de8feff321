"""The Z3 verifier against the built-in one: same verdict on every machine, and
every counterexample of either replays to a violation."""

import random

import pytest

from rbengine.atomic_commit import candidates, checker, protocols, smt
from rbengine.atomic_commit.model import Model, simulate
from rbengine.errors import OracleError


def machines(n, count, seed):
    """A third uniform random tables, two thirds mutants of correct and incorrect rules."""
    rng = random.Random(seed)
    for i in range(count):
        k = (1, 1, 0, 2)[i % 4] if n <= 3 else 1
        if i % 3 == 0:
            yield candidates.random_machine(n, k, rng)
        elif i % 3 == 1:
            base = protocols.machine("vote-exchange", n, max(k, 1))
            yield candidates.mutate(base, rng, changes=rng.randint(1, 2), early=0.4)
        else:
            name = ("vote-exchange", "optimistic")[i % 2]
            base = protocols.machine(name, n, max(k, 1) if name == "vote-exchange" else k)
            yield candidates.mutate(base, rng, changes=rng.randint(1, 4))


def differential(n, props, count, seed, partial=True, rounds=(1, 2)):
    tally = {"correct": 0, "incorrect": 0}
    failed = set()
    for i, m in enumerate(machines(n, count, seed)):
        model = Model(n, rounds[i % len(rounds)], properties=props, partial=partial)
        a, b = checker.check(m, model), smt.check(m, model)
        assert a.correct == b.correct, (i, m.dumps())
        tally["correct" if a.correct else "incorrect"] += 1
        for r in (a, b):
            if not r.correct:
                cx = r.counterexample
                again = simulate(m, model, cx.votes, cx.crashes)
                assert again.violation is not None and again.states == cx.states
                assert len(cx.states) == model.rounds + 1
                failed.add(again.violation)
    return tally, failed


@pytest.mark.parametrize("props", ["classical", "paper"])
def test_differential_n3(props):
    tally, failed = differential(3, props, 300, seed=11)
    assert sum(tally.values()) == 300
    # both verdicts are well represented, and several properties fail
    print(tally, failed)
    assert tally["correct"] >= 30 and tally["incorrect"] >= 100, tally
    assert len(failed) >= 3, failed


def test_per_property_agreement_n3():
    for i, m in enumerate(machines(3, 40, seed=5)):
        for p in ("P1", "P2", "V", "P3", "P4", "P5"):
            model = Model(3, 1 + i % 2, properties=(p,))
            assert checker.check(m, model).correct == smt.check(m, model).correct, (i, p)


def test_all_or_nothing_delivery_agrees():
    tally, _ = differential(3, "classical", 60, seed=3, partial=False)
    assert tally["correct"] and tally["incorrect"]


def test_z3_refuses_a_partial_machine():
    m = protocols.machine("vote-exchange", 3)
    m.table.pop(next(iter(m.table)))
    with pytest.raises(OracleError, match="complete machine"):
        smt.check(m, Model(3, 1))


@pytest.mark.slow
@pytest.mark.parametrize("n", [2, 4])
@pytest.mark.parametrize("props", ["classical", "paper"])
def test_differential_other_n(n, props):
    tally, failed = differential(n, props, 300, seed=17 + n, rounds=(1, 2, 3))
    assert tally["correct"] and tally["incorrect"]


@pytest.mark.slow
@pytest.mark.parametrize("props", ["classical", "paper"])
def test_differential_n3_three_rounds_and_n5(props):
    differential(3, props, 300, seed=23, rounds=(3,))
    differential(5, props, 60, seed=29, rounds=(1, 2))


@pytest.mark.parametrize("n", [2, 3, 4])
def test_generalisation_matrix(n):
    """One rule, every N: both verifiers give the same verdict in every cell."""
    expected = {"vote-exchange": None, "optimistic": "V"}
    for name, violated in expected.items():
        m = protocols.machine(name, n)
        for rounds in (1, 2):
            model = Model(n, rounds)
            a, b = checker.check(m, model), smt.check(m, model)
            assert a.correct == b.correct == (violated is None)
            assert a.property == violated


@pytest.mark.slow
def test_generalisation_matrix_n5():
    for rounds in (1, 2, 3):
        model = Model(5, rounds)
        assert smt.check(protocols.machine("vote-exchange", 5), model).correct
        assert not smt.check(protocols.machine("optimistic", 5), model).correct
