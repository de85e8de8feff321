"""The built-in backend: the reference table, and its reductions against the
unreduced search of semantics.py on small instances."""

import random

import pytest
from reference_table import CASES, ids, matches

from rbengine.candidate import Candidate
from rbengine.errors import StateLimitError
from rbengine.oracle import builtin, reference, verify
from rbengine.oracle.semantics import possible, replay
from rbengine.sampling import corpus, random_candidate
from rbengine.sampling import reference as ref_candidate
from rbengine.scenario import scenarios


@pytest.mark.parametrize("case", CASES, ids=[ids(c) for c in CASES])
def test_reference_table(case):
    name, mode, n, attacker, expected = case
    v = verify(ref_candidate(name), only=mode, n=n, attacker=attacker, backend="builtin")
    assert matches(v, expected), v.summary()


def test_bracha_full_is_small():
    """The lazy counter search keeps Bracha under `full` at N=4 in the tens of
    thousands of states (the unreduced model does not fit in 16 GB)."""
    v = verify(ref_candidate("bracha"), only="byzantine", n=4, attacker="full", backend="builtin")
    assert v.correct
    assert v.states < 60_000


# Small instances where the unreduced search terminates: (mode, N, F, attacker).
SMALL = [
    ("none", 3, None, "full"),
    ("crash", 3, None, "full"),
    ("byzantine", 3, 1, "same-value"),
    ("byzantine", 3, 1, "full"),
    ("crash", 4, None, "full"),
    ("byzantine", 4, None, "same-value"),
    ("byzantine", 4, None, "full"),
]


def _agree(cands, mode, n, f, attacker, limit):
    compared = 0
    for c in cands:
        for sc in scenarios(mode, n, f, attacker):
            try:
                want, _, _ = reference.check(c, sc, limit=limit)
            except StateLimitError:
                continue
            got, _, cx = builtin.check(c, sc)
            assert got == want, f"{sc.label()}: {c.notation()!r} reference={want} builtin={got}"
            if cx is not None:
                final, prop, quiet = replay(c, sc, cx.steps)
                assert quiet and prop == got
            compared += 1
    return compared


@pytest.mark.parametrize("mode,n,f,attacker", SMALL[:4])
def test_reductions_match_unreduced_search(mode, n, f, attacker):
    cands = corpus(seed=11, count=40)
    limit = 1_500 if attacker == "full" and mode == "byzantine" else 4_000
    assert _agree(cands, mode, n, f, attacker, limit=limit) >= 20


@pytest.mark.slow
@pytest.mark.parametrize("mode,n,f,attacker", SMALL)
def test_reductions_match_unreduced_search_many(mode, n, f, attacker):
    """300 candidates per instance. The unreduced search is pure Python and
    pays its whole budget for every scenario it then skips, so the budget is
    300,000 states at N=3 and 20,000 at N=4: at N=4 a budget of 300,000 took
    hours per instance, and 20,000 still compares most scenarios (on the
    first 30 candidates of this corpus: 62 % byzantine full, 75 % same-value,
    83 % crash)."""
    cands = corpus(seed=12, count=300)
    limit = 300_000 if n == 3 else 20_000
    assert _agree(cands, mode, n, f, attacker, limit=limit) >= 200


def test_counterexamples_replay_on_the_concrete_model():
    rng = random.Random(5)
    seen = 0
    for _ in range(25):
        c = random_candidate(rng)
        for mode, n, att in (("crash", 3, "full"), ("byzantine", 4, "full"),
                             ("byzantine", 4, "same-value")):
            v = verify(c, only=mode, n=n, attacker=att, backend="builtin")
            for chk in v.checks:
                if not chk.correct:
                    sc = next(s for s in scenarios(mode, n, None, att) if s.name == chk.scenario)
                    _, prop, quiet = replay(c, sc, chk.counterexample.steps)
                    assert quiet and prop == chk.property
                    seen += 1
    assert seen > 10


@pytest.mark.parametrize("mode,n,f,attacker", [
    ("crash", 4, None, "full"), ("byzantine", 4, None, "same-value"),
    ("byzantine", 4, None, "full"), ("byzantine", 7, 2, "full")])
def test_a_verdict_without_a_shortest_trail_is_the_same_verdict(mode, n, f, attacker):
    """shortest=False (what learning runs and searches ask for) searches depth
    first: the same property, the same states when no violation of the
    scenario's highest-priority property ends the search early, and a
    counterexample that replays, never shorter than the shortest one and
    marked as maybe not the shortest."""
    rng = random.Random(21)
    violated = 0
    for _ in range(40 if n == 4 else 12):
        c = random_candidate(rng)
        for sc in scenarios(mode, n, f, attacker):
            want, want_states, short = builtin.check(c, sc)
            got, got_states, cx = builtin.check(c, sc, shortest=False)
            assert got == want, f"{sc.label()}: {c.notation()!r}"
            if want != possible(sc)[0]:  # nothing ends either search early
                assert got_states == want_states
            if cx is None:
                continue
            violated += 1
            assert not cx.shortest and short.shortest
            assert len(cx.steps) >= len(short.steps)
            _, prop, quiet = replay(c, sc, cx.steps)
            assert quiet and prop == got
    assert violated >= 10


def test_the_verdict_cache_records_verdicts_not_shortest_trails():
    from rbengine.cache import VerdictCache
    c = Candidate.loads("broadcast: send_all type0\nreceive: deliver if type0 from 1")
    rec, _ = VerdictCache("byzantine", 4, None, "full", "builtin").verify(c)
    assert not rec.correct
    (failed,) = [chk for chk in rec.data["checks"] if not chk["correct"]]
    assert rec.data["counterexample"]["shortest"] is False
    assert failed["property"] == verify(c, n=4, backend="builtin", stop_early=True).checks[-1].property


def test_cancel_timeout_and_state_budget_end_a_search_with_an_error():
    from rbengine.candidate import Candidate
    from rbengine.errors import OracleError

    # a candidate with a large single-value space (none mode is deterministic,
    # so use same-value with many Byzantine processes)
    c = Candidate.loads("broadcast: send_all type0\nreceive: send_all type1 if type0 from 1; "
                        "send_all type2 if type1 from F+1; deliver if type2 from 2F+1; send_all type0")
    with pytest.raises(OracleError, match="cancelled"):
        verify(c, only="byzantine", n=7, f=2, attacker="full", backend="builtin",
               cancel=lambda: True)
    with pytest.raises(OracleError, match="states"):
        verify(c, only="byzantine", n=7, f=2, attacker="full", backend="builtin", max_states=300)
    with pytest.raises(OracleError, match="time"):
        verify(c, only="byzantine", n=7, f=2, attacker="full", backend="builtin", timeout=0.0)


def test_the_reference_backend_ends_with_oracle_errors_never_overflow():
    from pathlib import Path

    from rbengine.errors import OracleError
    bracha = Candidate.load(Path(__file__).resolve().parents[1] / "examples" / "bracha.txt")
    sc = scenarios("byzantine", 4, 1, "full")[0]
    with pytest.raises(StateLimitError, match="exceeded 100 states"):
        reference.check(bracha, sc, limit=100)
    with pytest.raises(OracleError, match="cancelled"):
        reference.check(bracha, sc, cancel=lambda: True)
    with pytest.raises(OracleError, match="ran out of time"):
        reference.check(bracha, scenarios("none", 7)[0], timeout=0.05)


def test_a_step_serialises_every_field():
    """Step.to_json is written by hand (for speed): it must keep every field,
    and a counterexample must survive JSON unchanged."""
    import dataclasses
    import json

    from rbengine.counterexample import Counterexample
    c = Candidate.loads("broadcast: send_all type0\nreceive: send_all type1 if type0 from 1; "
                        "deliver if type1 from F+1")
    kinds = set()
    for mode, att in (("crash", "full"), ("byzantine", "full")):
        cx = verify(c, only=mode, n=4, attacker=att, backend="builtin").counterexample
        for st in cx.steps:
            kinds.add(st.kind)
            assert st.to_json() == {**dataclasses.asdict(st), "text": st.text()}
        assert Counterexample.from_json(json.loads(json.dumps(cx.to_json()))) == cx
    assert len(kinds) >= 3
