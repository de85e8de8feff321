"""The concrete model (semantics.py) on hand-checked cases, and the reading of
"correct" for crash-prone processes."""

import pytest

from rbengine.candidate import Candidate
from rbengine.oracle import semantics
from rbengine.oracle.semantics import Model, explore
from rbengine.sampling import corpus
from rbengine.scenario import scenarios


def cand(text):
    return Candidate.loads(text)


def test_broadcast_handler_fires_only_token_zero():
    c = cand("broadcast: send_all type0; send_all type1 if type0 from 1; deliver\nreceive: deliver")
    sc = scenarios("none", 3)[0]
    s, steps = Model(c, sc).initial()
    assert steps[0].kind == "broadcast"
    assert {m[3] for m in s.network} == {0}  # no type1: its condition needs a receipt
    assert s.procs[0].delivered == 0


def test_token_zero_binds_the_first_value_received():
    c = cand("broadcast: send_all type0\nreceive: deliver")
    sc = scenarios("byzantine", 4, attacker="full")[0]  # p0 correct, p1 Byzantine
    m = Model(c, sc)
    s, _ = m.initial()
    s, step = m.receive(s, 2, 1, 1, 1, from_network=False)  # <type1, m'> from the Byzantine p1
    assert step.delivered == 1
    s, step = m.receive(s, 2, 0, 0, 0)
    assert step.delivered is None and s.procs[2].delivered == 1


def test_no_duplicate_sends_and_each_action_fires_once():
    c = cand("broadcast: send_all type0\n"
             "receive: send_all type1 if type0 from 1; send_neighbours type1 if type0 from 1")
    sc = scenarios("none", 3)[0]
    m = Model(c, sc)
    s, _ = m.initial()
    s, step = m.receive(s, 1, 0, 0, 0)
    assert len(step.sends) == 3  # send_all covers the neighbours: nothing twice
    assert len(step.fired) == 2


def test_crash_between_point_to_point_sends_reaches_a_subset():
    """Alg. 1 with a crash-prone broadcaster: one receiver delivers, one does not."""
    c = cand("broadcast: send_all type0\nreceive: deliver")
    sc = scenarios("crash", 3)[1]  # p0 crash-prone
    prop, _, cx = explore(c, sc)
    assert prop == "agreement"
    kinds = [s.kind for s in cx.steps]
    assert "crash" in kinds and "emit" in kinds


def _explore_reading_b(c, sc, limit=200_000):
    """Properties over processes that have not crashed (the classical reading)."""
    class B(Model):
        def violation(self, s):
            alive = [p for p in range(self.n) if s.procs[p] is not None and s.procs[p].up]
            dl = {p: s.procs[p].delivered for p in alive}
            if 0 in alive and dl[0] != 0:
                return "validity"
            if len(set(dl.values())) > 1:
                return "agreement"
            if 0 in alive and any(v == 1 for v in dl.values()):
                return "integrity"
            return None

    saved = semantics.Model
    semantics.Model = B
    try:
        return explore(c, sc, limit=limit)[0]
    finally:
        semantics.Model = saved


@pytest.mark.parametrize("n", [3, 4])
def test_reading_of_correct_does_not_change_crash_verdicts(n):
    """Designated-correct (ours) and not-crashed (classical) give the same
    per-mode crash verdict: a crash-prone process that never crashes could
    have crashed at the end, and symmetry moves any disagreeing pair onto
    designated-correct processes."""
    compared = 0
    for c in corpus(seed=3, count=30):
        try:
            ours = [explore(c, sc, limit=3_000)[0] for sc in scenarios("crash", n)]
            theirs = [_explore_reading_b(c, sc, limit=3_000) for sc in scenarios("crash", n)]
        except OverflowError:
            continue
        assert (all(p is None for p in ours)) == (all(p is None for p in theirs)), c.notation()
        compared += 1
    assert compared >= 12


def test_replay_rejects_a_step_that_is_not_possible():
    c = cand("broadcast: send_all type0\nreceive: deliver")
    sc = scenarios("none", 3)[0]
    _, _, cx = explore(cand("broadcast: send_all type0\nreceive: deliver if type1 from 1"), sc)
    assert cx is not None  # never delivers: validity
    from rbengine.counterexample import Step
    with pytest.raises(ValueError):
        semantics.replay(c, sc, [cx.steps[0], Step("receive", 1, sender=2, msg=(0, 0))])


def test_possible_lists_every_property_a_scenario_can_report():
    """Searches stop at the first violation of possible(sc)[0]: nothing
    violated() can report in that scenario may outrank it."""
    from itertools import product

    from rbengine.oracle.semantics import PROPERTIES, possible, violated
    for mode, n in (("crash", 4), ("byzantine", 4), ("byzantine", 7)):
        for sc in scenarios(mode, n, None, "full"):
            seen = {violated(sc, dl) for dl in product((None, 0, 1), repeat=n)} - {None}
            assert seen <= set(possible(sc)) and possible(sc)[0] in seen, sc.label()
            assert list(possible(sc)) == [p for p in PROPERTIES if p in possible(sc)]
