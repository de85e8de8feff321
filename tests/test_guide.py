"""The guide (untried = "guided"): its statistics, the progress of a verdict,
and that it changes only the order of first tries."""

from __future__ import annotations

import math

import pytest

from rbengine.cache import VerdictRecord
from rbengine.config import ConfigError, RunConfig
from rbengine.guide import Guide, progress
from rbengine.learner import Learner


def _record(correct: bool, passed: int, failed: int) -> VerdictRecord:
    checks = [{"correct": True}] * passed + [{"correct": False}] * failed
    return VerdictRecord(correct, "", {"checks": checks})


def test_progress_is_the_share_of_planned_checks_passed():
    assert progress(_record(True, 10, 0), 10) == 1.0
    assert progress(_record(False, 0, 1), 10) == 0.0
    assert progress(_record(False, 3, 1), 10) == pytest.approx(0.3)
    # a correct candidate is done, whatever was asked
    assert progress(_record(True, 2, 0), 10) == 1.0


def test_guide_keeps_the_elite_and_scores_share_plus_exploration():
    g = Guide(c=0.5, size=2)
    g.record(((0, (1,)), (1, (2, 3))), 0.2)
    g.record(((0, (1,)), (1, (2, 2))), 0.6)  # an action counts once per candidate
    assert g.count[(1, 2)] == 2 and g.count[(1, 3)] == 1
    assert [v for v, _ in g.elite] == [0.6, 0.2]
    term = 0.5 * math.sqrt(math.log(2) / 3)
    assert g.score(1, 2) == pytest.approx(1.0 + term)  # in both elite candidates
    assert g.score(1, 3) == pytest.approx(0.5 + 0.5 * math.sqrt(math.log(2) / 2))
    assert g.score(0, 2) != g.score(1, 2)  # per handler
    # a better candidate pushes the worst out; among equals the newest comes first
    g.record(((0, (1,)), (1, (4,))), 0.6)
    assert [v for v, _ in g.elite] == [0.6, 0.6] and g.elite[0][1] == [[0, 1], [1, 4]]
    assert g.score(1, 3) == pytest.approx(0.5 * math.sqrt(math.log(3) / 2))
    g.record(((0, (1,)), (1, (5,))), 0.1)  # worse than the whole elite: left out
    assert all(h != [[0, 1], [1, 5]] for _, h in g.elite)
    h = Guide(c=0.5, size=2)
    h.load(g.to_json())
    assert h.to_json() == g.to_json() and h.score(1, 2) == g.score(1, 2)


def test_guided_learner_orders_first_tries_by_the_guide():
    L = Learner(RunConfig(target="crash", seed=4, episodes=300, untried="guided", guide_c=0.0))
    for _ in range(60):
        L.run_episode()
    assert L.guide is not None and L.guide.episodes == 60 and L.guide.elite
    checked = 0
    for _ in range(20):
        for d in L.episode():
            if getattr(d, "visits", None) is None or 0 not in d.visits:
                continue  # the Outcome, or a state whose actions were all tried
            # an untried action is chosen, one of the best guide score among them
            untried = [a for a, v in zip(d.allowed, d.visits) if v == 0]
            assert d.choice in untried
            best = max(L.guide.score(d.state.phase, L.index[a]) for a in untried)
            assert L.guide.score(d.state.phase, L.index[d.choice]) == best
            checked += 1
    assert checked > 0


def test_guided_is_a_config_value_and_guide_c_is_checked():
    assert RunConfig.from_dict({"untried": "guided", "guide_c": 1}).guide_c == 1.0
    with pytest.raises(ConfigError):
        RunConfig.from_dict({"untried": "sometimes"})
    with pytest.raises(ConfigError):
        RunConfig.from_dict({"guide_c": -1})
    assert Learner(RunConfig(target="none")).guide is None
