"""The built-in atomic commit verifier: its reduction against the unreduced
enumeration of every scenario, and the counterexamples it returns."""

import random

import pytest

from rbengine.atomic_commit import candidates, checker, protocols
from rbengine.atomic_commit.machine import ABORT, COMMIT, Machine
from rbengine.atomic_commit.model import Model, ModelError, simulate


def test_vote_exchange_is_correct_for_every_n_and_both_sets():
    for n in (2, 3, 4, 5):
        for rounds in (1, 2):
            for props in ("classical", "paper"):
                m = protocols.machine("vote-exchange", n)
                assert checker.check(m, Model(n, rounds, properties=props)).correct


def test_optimistic_breaks_validity_then_agreement():
    m = protocols.machine("optimistic", 3)
    r = checker.check(m, Model(3, 2))
    assert not r.correct and r.property == "V"
    cx = r.counterexample
    # an abort vote lost by a crash, the survivors commit
    (p, (rnd, reaches)), = cx.crashes.items()
    assert cx.votes[p] == 1 and rnd == 1 and not reaches
    assert [cx.states[1][i] for i in range(3) if i != p] == [COMMIT, COMMIT]
    assert set(cx.lost[0]) == {(p, i) for i in range(3) if i != p}
    r = checker.check(m, Model(3, 2, properties="paper"))
    assert r.property == "P3"
    cx = r.counterexample
    (p, (rnd, reaches)), = cx.crashes.items()
    assert len(reaches) == 1  # the vote reached one process and not the other
    assert set(cx.decisions) >= {"FINAL_COMMIT", "FINAL_ABORT"}
    assert f"p{p} crashes in round 1" in cx.text()


def test_all_or_nothing_delivery_admits_a_one_round_protocol_without_unnamed_states():
    def rule(s, c):
        return COMMIT if s == 0 and c[0] == 2 else ABORT if s in (0, 1) else s
    m = Machine.from_rule(3, 0, rule)
    assert checker.check(m, Model(3, 1, partial=False)).correct
    assert checker.check_unreduced(m, Model(3, 1, partial=False)).correct
    r = checker.check(m, Model(3, 1))
    assert not r.correct and r.property == "P3"


def test_liveness_needs_every_process_to_decide_without_crashes():
    def rule(s, c):  # never decides
        return 4
    m = Machine.from_rule(3, 1, rule)
    r = checker.check(m, Model(3, 1))
    assert r.property in ("P4", "P5") and not r.counterexample.crashes
    # with only the safety properties it is correct
    assert checker.check(m, Model(3, 2, properties=("P1", "V", "P3"))).correct


def test_f_bounds_the_crashes():
    m = protocols.machine("optimistic", 3)
    assert checker.check(m, Model(3, 2, f=0)).correct
    assert not checker.check(m, Model(3, 2, f=1)).correct
    with pytest.raises(ModelError):
        Model(3, 2, f=3)
    with pytest.raises(ModelError):
        Model(1, 2)


def _verdicts(m, model):
    a, b = checker.check(m, model), checker.check_unreduced(m, model)
    assert a.correct == b.correct, (m.hash(), model)
    for r in (a, b):
        if not r.correct:
            again = simulate(m, model, r.counterexample.votes, r.counterexample.crashes)
            assert again.violation is not None
            assert again.states == r.counterexample.states
    return a


@pytest.mark.parametrize("partial", [True, False])
@pytest.mark.parametrize("props", ["classical", "paper"])
def test_reduction_agrees_with_every_scenario(props, partial):
    rng = random.Random(7)
    bases = [protocols.machine("vote-exchange", 3), protocols.machine("optimistic", 3)]
    seen = {True: 0, False: 0}
    for i in range(40):
        base = bases[i % 2]
        m = candidates.mutate(base, rng, changes=1 + i % 3)
        r = _verdicts(m, Model(3, 1 + i % 2, properties=props, partial=partial))
        seen[r.correct] += 1
    assert seen[True] >= 3 and seen[False] >= 3


def test_missing_input_is_reported_for_a_partial_machine():
    m = protocols.machine("vote-exchange", 3)
    key = (0, (2, 0, 0, 0, 0, 0))
    del m.table[key]
    r = checker.check(m, Model(3, 1))
    assert not r.correct and r.missing == key
    with pytest.raises(ModelError):
        simulate(m, Model(3, 1), (0, 0, 0))


def test_a_cancelled_check_stops_at_once_and_says_so():
    from rbengine.errors import OracleError
    m = protocols.machine("vote-exchange", 4)
    polls = []

    def cancel():
        polls.append(1)
        return len(polls) > 3
    with pytest.raises(OracleError, match="cancelled"):
        checker.check(m, Model(4, 2), cancel=cancel)
    assert len(polls) == 4
    assert checker.check(m, Model(4, 2), cancel=lambda: False).correct
