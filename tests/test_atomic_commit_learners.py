"""The two learners of the atomic commit problem: the paper's deep Q-learner
(numpy) and tabular Q-learning with UCB; their rewards, schedules, and resume."""

import random

import numpy as np
import pytest

from rbengine.atomic_commit import checker, smt
from rbengine.atomic_commit.episode import play, sample_scenario
from rbengine.atomic_commit.learner_dqn import MLP, DQNLearner
from rbengine.atomic_commit.learner_tabular import TabularLearner
from rbengine.atomic_commit.model import Model
from rbengine.atomic_commit.properties import reward


def test_rewards_follow_rules_1_to_6():
    props = ("P1", "P2", "P3", "P4", "P5")
    # no crash, all commit votes, all commit: +100 each
    assert reward((0, 0, 0), (1, 1, 1), False, props) == [100, 100, 100]
    # no crash, one undecided: rule 5 fails for everybody
    assert reward((0, 0, 0), (1, 1, 0), False, props) == [-2000] * 3
    # crash, an undecided process: -0.5; a decided one: 0
    assert reward((0, 0, 0), (1, 1, 0), True, props) == [0, 0, -0.5]
    # conflicting (rule 1) only for that process, agreement (rule 3) for all
    assert reward((0, 0, 0), (3, 0, 0), True, props) == [-2000] * 3
    assert reward((0, 0, 0), (0, 0, 3), True, ("P1",)) == [-0.5, -0.5, -2000]
    # rule 2: the abort voter that commits; V: everybody once someone commits
    assert reward((1, 0, 0), (1, 0, 0), True, props) == [-2000, -0.5, -0.5]
    assert reward((0, 1, 0), (1, 0, 0), True, ("P1", "V")) == [-2000] * 3


def test_final_reward_is_split_over_the_rounds():
    model = Model(3, 2)
    rng = random.Random(1)
    for _ in range(20):
        votes, crashes = sample_scenario(model, rng)
        ep = play(model, 1, votes, crashes, lambda r, asks: [4] * len(asks))
        per = {}
        for (i, _r, _key, _a), (_, _, t) in zip(ep.steps, ep.targets(2)):
            per[i] = per.get(i, 0) + t
        for i, total in per.items():
            steps = sum(1 for s in ep.steps if s[0] == i)
            assert total == pytest.approx(ep.rewards[i] * steps / 2)


def test_network_shape_and_schedules():
    L = DQNLearner(Model(3, 2), k=1, seed=0, decay_episodes=100)
    shapes = [p.shape for p in L.net.params[::2]]
    assert shapes == [(11, 128), (128, 64), (64, 16), (16, 3)]
    assert L.epsilon() == 1.0 and L.learning_rate() == pytest.approx(0.01)
    L.episodes = 100
    assert L.epsilon() == pytest.approx(0.1) and L.learning_rate() == pytest.approx(0.001)
    L.episodes = 10_000
    assert L.epsilon() == pytest.approx(0.1)


def test_backpropagation_matches_finite_differences():
    rng = np.random.default_rng(3)
    net = MLP((5, 7, 6, 3), rng)
    x = rng.normal(size=(4, 5))
    target = rng.normal(size=(4, 3))

    def loss():
        return float(((net.forward(x)[0] - target) ** 2).sum())

    out, acts = net.forward(x)
    grads = net.backward(acts, 2 * (out - target))
    for p, g in zip(net.params, grads):
        for idx in [tuple(rng.integers(0, s) for s in p.shape) for _ in range(5)]:
            old = p[idx]
            p[idx] = old + 1e-6
            up = loss()
            p[idx] = old - 1e-6
            down = loss()
            p[idx] = old
            assert g[idx] == pytest.approx((up - down) / 2e-6, rel=1e-4, abs=1e-6)


def test_training_lowers_the_loss():
    L = DQNLearner(Model(3, 1), k=1, seed=2)
    for _ in range(30):
        L.episode()
    first = np.mean([L.train_step() for _ in range(5)])
    for _ in range(150):
        L.train_step()
    assert np.mean([L.train_step() for _ in range(5)]) < first


@pytest.mark.parametrize("props", ["classical", "paper"])
def test_dqn_learns_a_correct_protocol(props):
    model = Model(3, 2, properties=props)
    res = DQNLearner(model, k=1, seed=0).learn(episodes=6000)
    assert res.found, res.history[-3:]
    assert smt.check(res.machine, model).correct
    # the network at episode 0 is not already the answer
    assert not checker.check(DQNLearner(model, k=1, seed=0).machine(), model).correct


def test_dqn_resume_is_the_same_run(tmp_path):
    model = Model(3, 2)
    a = DQNLearner(model, k=1, seed=5, check_every=20)
    a.learn(episodes=120)
    b = DQNLearner(model, k=1, seed=5, check_every=20)
    b.learn(episodes=60)
    path = str(tmp_path / "dqn.npz")
    b.save(path)
    c = DQNLearner.load(path)
    c.learn(episodes=60)
    assert c.episodes == a.episodes == 120
    for p, q in zip(a.net.params, c.net.params):
        assert np.array_equal(p, q)
    assert a.pool == c.pool and a.machine().table == c.machine().table


@pytest.mark.parametrize("props", ["classical", "paper"])
def test_tabular_learns_a_correct_protocol(props):
    model = Model(3, 2, properties=props)
    for seed in range(3):
        res = TabularLearner(model, k=1, seed=seed).learn(episodes=20000)
        assert res.found
        assert smt.check(res.machine, model).correct


def test_tabular_is_seeded():
    model = Model(3, 2)
    a = TabularLearner(model, seed=4).learn(episodes=300)
    b = TabularLearner(model, seed=4).learn(episodes=300)
    assert a.history == b.history


@pytest.mark.parametrize("cls", [DQNLearner, TabularLearner], ids=["dqn", "tabular"])
def test_learners_grow_states_and_rounds_to_the_certified_smallest(cls):
    from rbengine.atomic_commit import search
    g = search.grow_learning(cls, 3, episodes=1500)
    assert g.first == (1, 1)
    # every smaller pair it gave up on has no correct machine at all
    assert [(k, r, ex) for k, r, res, ex in g.tried if not res.found] == [(0, 1, False), (0, 2, False)]
