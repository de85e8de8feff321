"""The paper's property set against the classical one, and the certified search."""

from pathlib import Path

import pytest

from rbengine.atomic_commit import checker, search, smt
from rbengine.atomic_commit.machine import COMMIT, Machine
from rbengine.atomic_commit.model import Model

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "atomic_commit"


@pytest.mark.parametrize("verify", [checker.check, smt.check], ids=["builtin", "z3"])
@pytest.mark.parametrize("rounds", [1, 2])
def test_paper_not_classical(verify, rounds):
    m = Machine.load(str(EXAMPLES / "paper_not_classical.json"))
    assert verify(m, Model(3, rounds, properties="paper")).correct
    r = verify(m, Model(3, rounds, properties="classical"))
    assert not r.correct and r.property == "V"
    cx = r.counterexample
    # a process that voted abort crashed unseen, a survivor committed
    survivors = [i for i in range(3) if i not in cx.crashes and COMMIT in [row[i] for row in cx.states]]
    assert survivors
    assert any(cx.votes[p] == 1 and (p, survivors[0]) in cx.lost[rnd - 1]
               for p, (rnd, _) in cx.crashes.items())
    # with at most one crash the two sets agree
    assert verify(m, Model(3, rounds, f=1, properties="classical")).correct


def test_search_finds_a_machine_that_separates_the_sets():
    r = search.find(3, 1, 1, "paper", require_fail="classical")
    assert r.exists
    assert checker.check(r.machine, Model(3, 1, properties="paper")).correct
    assert not smt.check(r.machine, Model(3, 1, properties="classical")).correct
    assert search.find(3, 0, 1, "paper", require_fail="classical").exists is False


@pytest.mark.parametrize("props", ["classical", "paper"])
def test_growth_n3(props):
    g = search.grow(3, props, max_k=1, max_rounds=2)
    assert g.smallest == [(1, 1)]
    by = {(r.k, r.rounds): r for r in g.results}
    assert by[(0, 1)].exists is False and by[(0, 2)].exists is False
    m = by[(1, 1)].machine
    assert m.complete()
    assert smt.check(m, Model(3, 1, properties=props)).correct
    # a machine for one round stays correct for more rounds
    assert checker.check(m, Model(3, 3, properties=props)).correct


def test_all_or_nothing_delivery_needs_no_unnamed_state():
    g = search.grow(3, "classical", partial=False, max_k=1, max_rounds=1)
    assert g.smallest == [(0, 1)]


def test_every_solution_is_correct_and_distinct():
    model = Model(3, 1)
    sols = list(search.solutions(model, 1))
    assert len(sols) >= 2
    assert len({m.hash() for m in sols}) == len(sols)
    for m in sols:
        assert smt.check(m, model).correct


def test_node_limit_leaves_the_answer_open():
    r = search.find(3, 1, 2, node_limit=3)
    assert r.exists is None and not r.complete


def test_search_is_complete_against_brute_force():
    """Every machine of K = 0, R = 1 (the 2^12 tables of round-1 inputs), with
    all-or-nothing delivery: the correct ones are exactly the search's solutions."""
    from itertools import product

    from rbengine.atomic_commit.candidates import early_keys
    from rbengine.atomic_commit.machine import ABORT, keys

    model = Model(3, 1, partial=False)
    early = early_keys(3, 0)
    assert len(early) == 12
    rest = {key: ABORT for key in keys(3, 0) if key not in early}
    brute = set()
    for values in product((COMMIT, ABORT), repeat=len(early)):
        m = Machine(3, 0, {**rest, **dict(zip(early, values))})
        if checker.check(m, model, want_counterexample=False).correct:
            brute.add(values)
    found = {tuple(m.table[key] for key in early) for m in search.solutions(model, 0)}
    assert brute and found == brute


def test_search_meets_each_machine_once_up_to_renaming():
    from rbengine.atomic_commit.candidates import early_keys
    model = Model(3, 1)
    early = early_keys(3, 2)
    seen = [tuple(m.table[key] for key in early) for m in search.solutions(model, 2)]
    assert len(seen) == len(set(seen)) and len(seen) > 1
    swap = {4: 5, 5: 4}
    for row in seen:
        swapped = tuple(swap.get(t, t) for t in row)
        assert swapped == row or swapped not in set(seen)
