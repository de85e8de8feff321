"""Stepping an atomic commit episode decision by decision plays what a run
plays: a learner stepped through its episodes (with a run's verifications)
ends in the state of the recorded run, and an episode dropped half way leaves
the learner as it was."""

from __future__ import annotations

import numpy as np
import pytest

from rbengine.atomic_commit import checker
from rbengine.atomic_commit.run import ACRun, ACRunConfig, digest, load_learner, new_learner
from rbengine.atomic_commit.stepping import ACDecision, ACOutcome, steps, verify_if_due
from rbengine.store import Store


def step_through(learner, episodes: int) -> list[ACOutcome]:
    out = []
    for _ in range(episodes):
        items = list(steps(learner))
        assert all(isinstance(d, ACDecision) for d in items[:-1])
        assert isinstance(items[-1], ACOutcome) and items[-1].decisions == items[:-1]
        out.append(items[-1])
        verify_if_due(learner)
    return out


@pytest.mark.parametrize("cfg", [
    ACRunConfig(n=3, rounds=2, k=0, learner="dqn", seed=3, episodes=120),
    ACRunConfig(n=3, rounds=2, k=1, learner="tabular", seed=4, episodes=150),
], ids=["dqn", "tabular"])
def test_stepping_every_decision_ends_where_the_recorded_run_ends(tmp_path, cfg):
    with Store(tmp_path / "s.sqlite") as store:
        run = ACRun.start(store, cfg)
        run.execute()
        row = store.run(run.id)
        recorded = load_learner(*store.load_learner(run.id))
    assert row["episodes_done"] == cfg.episodes  # no machine found: every episode played
    stepped = new_learner(cfg)
    outcomes = step_through(stepped, cfg.episodes)
    assert [o.episode for o in outcomes] == list(range(1, cfg.episodes + 1))
    assert stepped.episodes == recorded.episodes and stepped.pool == recorded.pool
    assert digest(stepped) == digest(recorded)


def test_a_decision_shows_the_learners_q_values_and_its_choice():
    cfg = ACRunConfig(n=3, rounds=2, k=1, learner="dqn", seed=5)
    learner = new_learner(cfg)
    learner.episodes = 5000  # epsilon at its floor: mostly greedy choices
    greedy = 0
    for _ in range(5):
        for d in steps(learner):
            if isinstance(d, ACOutcome):
                break
            assert d.actions == (2, 3, 4) and len(d.q) == 3
            assert np.allclose(d.q, learner.q_values([d.key])[0])
            if d.greedy:
                greedy += 1
                assert d.choice == d.actions[int(np.argmax(d.q))]
            assert d.states[d.process] == d.key[0] and sum(d.key[1]) == cfg.n - 1
    assert greedy > 0


def test_the_tabular_learner_shows_visits_ucb_and_an_input_fixed_for_the_episode():
    cfg = ACRunConfig(n=3, rounds=2, k=1, learner="tabular", seed=6)
    learner = new_learner(cfg)
    step_through(learner, 30)
    seen = {}
    for d in steps(learner):
        if isinstance(d, ACOutcome):
            break
        assert d.visits == tuple(learner.n_sa[d.key]) and len(d.scores) == 3
        if d.key in seen:
            assert d.fixed_at == seen[d.key].step and d.choice == seen[d.key].choice
        else:
            assert d.fixed_at is None
            seen[d.key] = d
            if all(d.visits):
                assert d.choice == d.actions[max(range(3), key=lambda j: d.scores[j])]


@pytest.mark.parametrize("learner_name", ["dqn", "tabular"])
def test_an_episode_dropped_half_way_leaves_the_learner_as_it_was(learner_name):
    cfg = ACRunConfig(n=3, rounds=2, k=1, learner=learner_name, seed=7)
    learner = new_learner(cfg)
    step_through(learner, 10)
    before = digest(learner)
    gen = steps(learner)
    first = next(gen)
    assert isinstance(first, ACDecision) and first.step == 1
    gen.close()
    assert digest(learner) == before
    # and the next episode is the one it would have been
    twin = new_learner(cfg)
    step_through(twin, 10)
    assert [o.played.steps for o in step_through(learner, 3)] == \
        [twin.episode().steps for _ in range(3)]


def test_verify_if_due_checks_only_at_the_runs_rhythm():
    cfg = ACRunConfig(n=3, rounds=1, k=0, learner="tabular", seed=8)
    learner = new_learner(cfg)
    for _ in range(49):
        list(steps(learner))
        assert verify_if_due(learner) is None
    list(steps(learner))
    r = verify_if_due(learner)
    assert r is not None and not r.correct  # K=0 has no correct machine (contract §9)
    assert learner.pool == [(r.counterexample.votes, dict(r.counterexample.crashes))]
    assert checker.check(learner.machine(), learner.model).property == r.property
