"""Type renaming (rbengine.renaming): a renamed candidate has the same verdict
in every scenario, for both backends and for the unreduced search; and a
search that decides candidates by renaming gives each the verdict the oracle
gives it."""

from __future__ import annotations

import random

import pytest

from rbengine.candidate import Candidate
from rbengine.config import RunConfig
from rbengine.errors import StateLimitError
from rbengine.fanout import Serial
from rbengine.oracle import builtin, reference, spin, verify
from rbengine.renaming import modelled_types, renamings
from rbengine.sampling import random_candidate
from rbengine.scenario import scenarios
from rbengine.search import Search
from rbengine.store import Store

BRACHA3 = Candidate.loads("broadcast: send_all type0\nreceive: send_all type1 if type0 from origin; "
                          "send_all type2 if type1 from (N+F)/2; send_all type2 if type2 from F+1; "
                          "deliver if type2 from 2F+1")


def _with_renamings(seed: int, count: int) -> list[tuple[Candidate, list[Candidate]]]:
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        c = random_candidate(rng)
        twins = renamings(c)
        if twins:
            out.append((c, twins))
    return out


def test_renamings_keep_type0_token0_and_the_number_of_types():
    (twin,) = renamings(BRACHA3)
    assert twin.notation() == ("broadcast: send_all type0\nreceive: send_all type2 if type0 from "
                               "origin; send_all type1 if type2 from (N+F)/2; send_all type1 if "
                               "type1 from F+1; deliver if type1 from 2F+1")
    assert renamings(twin) == [BRACHA3]
    # type2 alone cannot become type1: the oracle would model 2 types, not 3
    assert renamings(Candidate.loads("broadcast: send_all type0\nreceive: deliver if type2 from 1")) == []
    for c, twins in _with_renamings(1, 50):
        for t in twins:
            assert modelled_types(t) == modelled_types(c) and t != c
            assert [a.threshold for a in t.broadcast] == [a.threshold for a in c.broadcast]


@pytest.mark.parametrize("mode,n,f,attacker", [
    ("crash", 4, None, "full"), ("byzantine", 4, None, "full"),
    ("byzantine", 4, None, "same-value"), ("byzantine", 5, None, "full")])
def test_a_renamed_candidate_has_the_same_verdict(mode, n, f, attacker):
    for c, twins in _with_renamings(2, 30 if n == 4 else 10):
        for sc in scenarios(mode, n, f, attacker):
            want = builtin.check(c, sc, shortest=False)[0]
            assert all(builtin.check(t, sc, shortest=False)[0] == want for t in twins), \
                f"{sc.label()}: {c.notation()!r}"


def test_a_renamed_candidate_has_the_same_verdict_in_the_unreduced_search():
    compared = 0
    for c, twins in _with_renamings(3, 40):
        for mode, n in (("crash", 3), ("byzantine", 3), ("byzantine", 4)):
            for sc in scenarios(mode, n, None, "full"):
                try:
                    want = reference.check(c, sc, limit=3_000)[0]
                    got = [reference.check(t, sc, limit=3_000)[0] for t in twins]
                except StateLimitError:
                    continue
                assert all(g == want for g in got), f"{sc.label()}: {c.notation()!r}"
                compared += 1
    assert compared >= 40


@pytest.mark.skipif(spin.BACKEND.unavailable() is not None, reason="Spin is not installed")
def test_a_renamed_candidate_has_the_same_verdict_with_spin():
    for c, twins in _with_renamings(4, 8):
        for sc in scenarios("byzantine", 4, None, "full"):
            want = spin.check(c, sc, shortest=False)[0]
            assert all(spin.check(t, sc, shortest=False)[0] == want for t in twins)


def test_a_search_decides_renamings_with_the_oracles_verdict(tmp_path):
    cfg = RunConfig.from_dict({"target": "crash", "vocabulary": {"types": 3,
                               "tokens": ["0", "F+1"]},
                               "heuristics": {"GH6": {"max": 4}, "GH10": {"max_types": 3}}})
    with Store(tmp_path / "s.sqlite") as st:
        s = Search.start(st, cfg, all_=True)
        with Serial() as fan:
            assert s.execute(fan, batch=4) == "finished"
        assert s.renamed >= 200  # of 2,250 candidates, 828 have a renaming
        known = st.search_known(s.id)
        assert len(known) == len(s.space)
        for _, state in s.space:
            cand = s.space.candidate(state)
            ok = verify(cand, target="crash", n=3, backend="builtin", stop_early=True).correct
            assert known[cand.content_hash()] == ok, cand.notation()
