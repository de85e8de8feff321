"""The RB-Learner's parts: rewards, heuristics, Q-learning, UCB, episodes, cache."""

from __future__ import annotations

import json
import math

import pytest

from rbengine import reward as rw
from rbengine.action import Action
from rbengine.cache import VerdictCache, oracle_key
from rbengine.candidate import Candidate
from rbengine.config import ConfigError, HeuristicsConfig, Rewards, RunConfig
from rbengine.episode import Decision, Outcome
from rbengine.heuristics import DeadStates, Heuristics
from rbengine.learner import Learner
from rbengine.qtable import QTable, ucb_scores
from rbengine.state import BROADCAST, DONE, RECEIVE, State
from rbengine.vocabulary import PAPER

A = Action.make
ACTS = PAPER.actions()
IDX = {a: i for i, a in enumerate(ACTS)}
STOP = len(ACTS) - 1
CONVERGENCE_BUDGET = 2000


def st(phase=BROADCAST, broadcast=(), receive=()) -> State:
    return State(phase, tuple(sorted(IDX[a] for a in broadcast)),
                 tuple(sorted(IDX[a] for a in receive)))


# ---------------------------------------------------------------- rewards --
def test_reward_of_the_papers_example():
    """SEND to all(<type0,m>) if received <type0,m> from N-F: -3 + 0 - 4 = -7,
    and -8 in the receive handler (the paper's §4.3.1)."""
    r = Rewards()
    a = A("send_all", 0, 0, "N-F")
    assert rw.runtime(r, a, "broadcast", set()) == -7
    assert rw.runtime(r, a, "receive", set()) == -8


def test_reward_new_types_cost_more_each_time():
    r = Rewards()
    assert rw.runtime(r, A("send_myself", 1), "receive", {0}) == -1 - 1 - 1  # type1 is new: -1
    assert rw.runtime(r, A("send_myself", 1), "receive", {0, 1}) == -2
    assert rw.runtime(r, A("send_myself", 2), "receive", {0, 1}) == -1 - 2 - 1  # type2: -2
    assert rw.runtime(r, A("deliver", None, 1, "(N+F)/2"), "receive", {0, 1}) == -1 - 3 - 1
    assert rw.runtime(r, A("stop"), "receive", {0}) == 0


def test_bonus():
    r = Rewards()
    assert rw.bonus(r, True, -14) == 86
    assert rw.bonus(r, False, -14) == -1


# ------------------------------------------------------------- heuristics --
@pytest.fixture
def heur():
    return Heuristics(HeuristicsConfig(), PAPER)


def removed_by(f, gh):
    return {ACTS[i] for i in f.removed.get(gh, [])}


def test_initial_state(heur):
    f = heur.filter(State())
    allowed = {ACTS[i] for i in f.allowed}
    # only type0 sends on the tautology: GH2 (no deliver), GH3 (token 0), GH5 (type0)
    assert allowed == {A("send_all", 0), A("send_neighbours", 0), A("send_myself", 0)}
    assert A("deliver") in removed_by(f, "GH2")
    assert A("send_all", 0, 0, "1") in removed_by(f, "GH3")
    assert A("send_all", 1) in removed_by(f, "GH5")
    assert A("stop") in removed_by(f, "GH6")  # at least 2 actions: one + STOP
    total = len(f.allowed) + sum(len(v) for v in f.removed.values())
    assert total == len(ACTS) == 64


def test_gh1_no_repeated_action(heur):
    s = st(RECEIVE, [A("send_all", 0)], [A("deliver", None, 0, "1")])
    assert A("deliver", None, 0, "1") in removed_by(heur.filter(s), "GH1")


def test_gh4_one_send_per_type_and_condition_across_handlers(heur):
    s = st(RECEIVE, [A("send_myself", 0)])
    f = heur.filter(s)
    # send_neighbours type0 on the tautology is taken by RB-Broadcast's send_myself type0:
    # why the paper's Algorithm 2 sends type1 in receive
    assert A("send_neighbours", 0) in removed_by(f, "GH4")
    assert A("send_neighbours", 1) in {ACTS[i] for i in f.allowed}


def test_gh6_min_and_max_actions(heur):
    s = st(BROADCAST, [A("send_all", 0)])
    f = heur.filter(s)
    assert [ACTS[i] for i in f.allowed] == [A("stop")]  # GH4 + GH5 leave only STOP
    full = st(RECEIVE, [A("send_all", 0)],
              [A("deliver"), A("send_all", 1), A("send_myself", 1, 1, "1")])
    f = heur.filter(full)
    assert [ACTS[i] for i in f.allowed] == [A("stop")]
    assert A("deliver", None, 1, "F+1") in removed_by(f, "GH6")


def test_gh7_waits_only_for_types_already_sent(heur):
    s = st(RECEIVE, [A("send_all", 0)])
    f = heur.filter(s)
    assert A("deliver", None, 1, "F+1") in removed_by(f, "GH7")
    assert A("deliver", None, 0, "F+1") in {ACTS[i] for i in f.allowed}
    s2 = st(RECEIVE, [A("send_all", 0)], [A("send_all", 1, 0, "1")])
    assert A("deliver", None, 1, "F+1") in {ACTS[i] for i in heur.filter(s2).allowed}


def test_gh8_at_least_one_deliver(heur):
    s = st(RECEIVE, [A("send_all", 0)], [A("send_all", 1)])
    f = heur.filter(s)
    assert A("stop") in removed_by(f, "GH8")
    # one slot left before GH6's maximum and still no DELIVER: only DELIVERs
    s2 = st(RECEIVE, [A("send_all", 0)], [A("send_all", 1), A("send_myself", 0, 0, "1")])
    f2 = heur.filter(s2)
    assert f2.allowed and all(ACTS[i].logic == "deliver" for i in f2.allowed)
    assert A("send_all", 1, 1, "1") in removed_by(f2, "GH8")


def test_gh10_max_types():
    h = Heuristics(HeuristicsConfig(max_types=1), PAPER)
    f = h.filter(st(RECEIVE, [A("send_all", 0)]))
    assert A("send_all", 1) in removed_by(f, "GH10")
    assert all(ACTS[i].send_type in (None, 0) for i in f.allowed)


def test_heuristics_can_be_switched_off():
    h = Heuristics(HeuristicsConfig(on=frozenset()), PAPER)
    f = h.filter(State())
    assert len(f.allowed) == 64 and not f.removed


def test_gh9_blocks_known_incorrect_candidates_and_dead_states(heur):
    dead = DeadStates(STOP)
    full = st(RECEIVE, [A("send_all", 0)],
              [A("deliver"), A("send_all", 1), A("send_myself", 1, 1, "1")])
    done = State(DONE, full.broadcast, full.receive)
    newly = heur.mark_dead(done, dead)
    # the complete candidate, and the state whose only choice was its STOP
    assert done in dead and full in dead and newly[:2] == [done, full]
    assert removed_by(heur.filter(full, dead), "GH9") == {A("stop")}
    # each parent of the dead state loses the one action that leads to it
    parent = st(RECEIVE, [A("send_all", 0)], [A("deliver"), A("send_all", 1)])
    f = heur.filter(parent, dead)
    assert removed_by(f, "GH9") == {A("send_myself", 1, 1, "1")}
    assert parent not in dead  # its other choices are still open


def test_gh9_never_blocks_a_prefix_of_a_correct_candidate():
    """Block every completion of a prefix but one: the prefix keeps exactly the
    path to that one; block it too and the prefix itself becomes dead."""
    heur = Heuristics(HeuristicsConfig(max_actions=3), PAPER)  # receive: 1-2 actions + STOP
    dead = DeadStates(STOP)
    one = st(RECEIVE, [A("send_all", 0)], [A("deliver")])
    keep = State(DONE, one.broadcast, one.receive)  # Algorithm 1, correct
    others = [i for i in heur.filter(one).allowed if i != STOP]
    for i in others:  # 'deliver; X' for every X: all incorrect, say
        nxt = one.add(i, STOP)
        heur.mark_dead(State(DONE, nxt.broadcast, nxt.receive), dead)
        assert nxt in dead  # its only choice was STOP
    assert one not in dead and keep not in dead
    f = heur.filter(one, dead)
    assert f.allowed == [STOP] and set(f.removed["GH9"]) == set(others)
    parent = st(RECEIVE, [A("send_all", 0)])
    assert A("deliver") in {ACTS[i] for i in heur.filter(parent, dead).allowed}
    heur.mark_dead(keep, dead)  # now the last completion is incorrect too
    assert one in dead
    assert A("deliver") in removed_by(heur.filter(parent, dead), "GH9")


# --------------------------------------------------------------- Q values --
def test_q_update_arithmetic():
    qt = QTable()
    s = State()
    u = qt.update(s, 3, reward=-3.0, next_max=10.0, alpha=0.5, gamma=0.9)
    assert u.old == 0.0 and u.target == pytest.approx(-3 + 0.9 * 10) and u.new == pytest.approx(3.0)
    u = qt.update(s, 3, reward=-3.0, next_max=10.0, alpha=0.5, gamma=0.9)
    assert u.new == pytest.approx(3.0 + 0.5 * (6.0 - 3.0))
    assert qt.value(s, 3) == pytest.approx(4.5)
    assert qt.max_value(s, [1, 3]) == pytest.approx(4.5)
    assert qt.max_value(s, []) == 0.0


def test_ucb_untried_first_then_bonus():
    qt = QTable()
    s = State()
    qt.visit(s, 0)
    qt.update(s, 0, 5.0, 0.0, 1.0, 1.0)
    assert ucb_scores(qt, s, [0, 1], 2.0)[1] == math.inf
    qt.visit(s, 1)
    qt.visit(s, 1)
    qt.visit(s, 1)
    sc = ucb_scores(qt, s, [0, 1], 2.0)
    assert sc[0] == pytest.approx(5 + 2 * math.sqrt(math.log(4) / 1))
    assert sc[1] == pytest.approx(0 + 2 * math.sqrt(math.log(4) / 3))


def test_ucb_untried_valued_at_their_initial_value():
    qt = QTable(lambda state, a: 10.0 * a)
    s = State()
    qt.visit(s, 0)
    qt.update(s, 0, 5.0, 0.0, 1.0, 1.0)
    sc = ucb_scores(qt, s, [0, 1, 2], 2.0, untried_first=False)
    assert sc[0] == pytest.approx(5 + 2 * math.sqrt(math.log(1) / 1))
    assert sc[1] == pytest.approx(10 + 2 * math.sqrt(math.log(1)))
    assert sc[2] == pytest.approx(20.0)
    assert ucb_scores(qt, s, [1], 2.0) == [math.inf]


def test_optimistic_initial_values():
    """A pair never chosen is worth its reward plus the correct bonus of a
    candidate that would cost nothing more: 100 + accumulated + 2 * reward."""
    L = Learner(RunConfig(target="crash", seed=1))
    s = State()
    assert L.qt.value(s, IDX[A("send_all", 0)]) == 100 - 3 - 3
    s2 = st(RECEIVE, [A("send_myself", 0)], [A("send_neighbours", 1)])
    assert L.accumulated(s2) == (-1 - 4, frozenset({0, 1}))
    assert L.qt.value(s2, IDX[A("deliver")]) == 100 - 5 - 2 - 2
    assert L.qt.value(s2, STOP) == 100 - 5
    # a pair starts from its initial value (it matters for alpha < 1)
    L.qt.visit(s, IDX[A("send_all", 0)])
    assert L.qt.table[s.key][IDX[A("send_all", 0)]] == [94.0, 1]
    flat = Learner(RunConfig(target="crash", seed=1, optimistic=False))
    assert flat.qt.value(s, IDX[A("send_all", 0)]) == 0.0


def test_total_reward_of_a_candidate():
    alg2 = Candidate.loads("broadcast: send_myself type0\nreceive: send_neighbours type1; deliver")
    assert rw.total(Rewards(), alg2) == -1 + (-2 - 1 - 1) + (-1 - 1) == -7
    L = Learner(RunConfig(target="crash", seed=1))
    assert L.accumulated(L.state_of(alg2))[0] == -7


def _decisions(learner):
    items = list(learner.episode())
    return [d for d in items if isinstance(d, Decision)], items[-1]


def test_ucb_tries_every_allowed_action_once_first():
    L = Learner(RunConfig(target="none", seed=5, episodes=10))
    first = []
    for _ in range(3):
        ds, _out = _decisions(L)
        first.append(ds[0].choice)
    # three allowed actions at the start: each tried once before any repeat
    assert len(set(first)) == 3


def test_learning_is_deterministic_under_a_seed():
    def trace(seed):
        L = Learner(RunConfig(target="none", seed=seed, episodes=40))
        return [L.run_episode().candidate_hash for _ in range(40)], L.qt.snapshot(L.actions)
    a, qa = trace(11)
    b, qb = trace(11)
    c, _ = trace(12)
    assert a == b and qa == qb
    assert a != c


def test_episode_yields_decisions_then_an_outcome():
    L = Learner(RunConfig(target="none", seed=1, episodes=5))
    items = list(L.episode())
    ds, out = items[:-1], items[-1]
    assert ds and all(isinstance(d, Decision) for d in ds) and isinstance(out, Outcome)
    assert [d.phase for d in ds] == sorted((d.phase for d in ds), key=["broadcast", "receive"].index)
    stops = [d for d in ds if d.choice.is_stop]
    assert [d.phase for d in stops] == ["broadcast", "receive"] and ds[-1].choice.is_stop
    for d in ds:
        assert len(d.allowed) == len(d.q) == len(d.visits) == len(d.scores)
        assert d.choice in d.allowed
        assert sum(len(v) for v in d.removed.values()) + len(d.allowed) == 64
    assert out.update is not None and out.candidate is not None and out.verdict is not None
    assert out.accumulated == pytest.approx(sum(d.reward for d in ds))
    want = 100 + out.accumulated if out.verdict.correct else -1
    assert out.bonus == pytest.approx(want)
    assert out.update.target == pytest.approx(ds[-1].reward + out.bonus)
    # one update per choice, from the last back to the first
    assert [u.state for u in out.updates] == [d.state for d in reversed(ds)]
    assert out.updates[0] is out.update and out.updates[0].bonus == out.bonus
    first = out.updates[-1]
    assert first.target == pytest.approx(ds[0].reward + first.next_max)
    assert L.episodes_done == 1 and L.qt.value(ds[0].state, L.index[ds[0].choice]) == first.new
    assert L.qt.visits(ds[0].state, L.index[ds[0].choice]) == 1


def test_forward_updates_equal_updates_at_each_step():
    L = Learner(RunConfig(target="none", seed=4, episodes=50, update_order="forward"))
    for _ in range(30):
        L.run_episode()
    items = list(L.episode())
    ds, out = items[:-1], items[-1]
    assert [u.state for u in out.updates] == [d.state for d in ds]
    for d, u in zip(ds, out.updates):
        assert u.old == d.q[d.choice_position]  # nothing changed it earlier in the episode


def test_an_abandoned_episode_changes_nothing():
    L = Learner(RunConfig(target="none", seed=3, episodes=5))
    L.run_episode()
    before = (L.qt.snapshot(L.actions), L.rng.bit_generator.state, L.episodes_done)
    gen = L.episode()
    next(gen)
    next(gen)
    gen.close()
    assert (L.qt.snapshot(L.actions), L.rng.bit_generator.state, L.episodes_done) == before
    a = L.run_episode().candidate_hash
    L2 = Learner(RunConfig(target="none", seed=3, episodes=5))
    L2.run_episode()
    assert L2.run_episode().candidate_hash == a


def test_optimisation_episode_is_greedy_and_revalidated():
    L = Learner(RunConfig(target="none", seed=2, episodes=300))
    for _ in range(300):
        L.run_episode()
    before = (L.qt.snapshot(L.actions), L.rng.bit_generator.state)
    out = L.optimise()
    assert out.greedy and not out.cached and out.correct
    assert (L.qt.snapshot(L.actions), L.rng.bit_generator.state) == before
    assert L.result == out.candidate


def test_optimisation_episode_takes_the_cheapest_correct_candidate_found():
    """Best total reward first, then metrics.cost, then the vocabulary's
    order; whatever the Q values say."""
    L = Learner(RunConfig(target="crash", seed=1, episodes=0))
    found = ["broadcast: send_all type0\nreceive: send_neighbours type1; deliver",  # -9
             "broadcast: send_myself type0\nreceive: send_all type1; deliver",  # -8, N^2+1 msgs
             "broadcast: send_neighbours type0\nreceive: send_neighbours type1; deliver"]  # -8, N^2-1
    L.restore_correct(Candidate.loads(t) for t in found)
    out = L.optimise()
    assert out.correct and out.accumulated == -8 and L.result == Candidate.loads(found[2])
    L.restore_correct([Candidate.loads(
        "broadcast: send_myself type0\nreceive: send_neighbours type1; deliver")])  # -7
    assert L.optimise().accumulated == -7
    # a tie in reward and cost: the vocabulary's order decides, as for Best
    L.restore_correct([Candidate.loads(
        "broadcast: send_myself type0\nreceive: send_neighbours type0 if type0 from 1; deliver")])
    twin = L.optimise().candidate
    assert twin == min((Candidate.loads(t) for t in (
        "broadcast: send_myself type0\nreceive: send_neighbours type1; deliver",
        "broadcast: send_myself type0\nreceive: send_neighbours type0 if type0 from 1; deliver")),
        key=lambda c: L.state_of(c).key)
    # the scores shown are the returns of the candidate each action leads to
    ds = [d for d in L.episode(greedy=True) if isinstance(d, Decision)]
    assert ds[0].scores[ds[0].choice_position] == 100 - 7 - 7
    assert max(ds[0].scores) == ds[0].scores[ds[0].choice_position]


def test_descend_records_cheaper_correct_candidates_the_optimisation_follows():
    """descend = true: at its first correct candidate a crash run (N=3) already
    holds the certified optimum, -7 (bench/results/optimum_crash.txt), where
    without it it holds a dearer one; the optimisation episode ends on it, and
    the oracle agrees it is correct."""
    from rbengine.oracle import verify
    for seed in (0, 1):
        best = {}
        for d in (False, True):
            L = Learner(RunConfig(target="crash", seed=seed, episodes=100, descend=d))
            while L.first_correct is None:
                L.run_episode()
            best[d] = L.best.accumulated
            out = L.optimise()
            assert out.correct and out.candidate == L.best.candidate
        assert best[False] < best[True] == -7
        assert verify(L.best.candidate, target="crash", n=3).correct
        assert rw.total(L.config.rewards, L.best.candidate) == -7
        assert L.best.candidate.content_hash() in L.new_candidates


def test_a_candidate_correct_at_the_first_size_only_is_repaired_into_the_optimum():
    """Sizes 4:1 and 7:2, the 5-action space: a candidate a run met (seed 1,
    descend = true) is correct at N=4 and not at N=7, only its deliver's
    threshold away from the certified optimum (-24, bench/results/
    search_optimum_b.txt). It is a near miss even once the run holds a correct
    candidate; its repair finds a correct candidate one change away, and the
    descent from it the optimum."""
    from rbengine.descent import neighbours
    from rbengine.oracle import verify
    cfg = RunConfig.from_dict({"target": "byzantine", "vocabulary": "sound", "attacker": "full",
                               "sizes": "4:1,7:2", "heuristics": {"GH6": {"max": 5}},
                               "descend": True})
    near = Candidate.loads(
        "broadcast: send_myself type0\nreceive: send_all type0 if type0 from origin; "
        "send_all type2 if type2 from F+1; send_neighbours type2 if type0 from (N+F)/2; "
        "deliver if type2 from F+1")
    assert verify(near, target="byzantine", n=4, f=1).correct
    assert not verify(near, target="byzantine", n=7, f=2).correct
    L = Learner(cfg)
    h = near.content_hash()
    assert not L.cache.correct(near) and L._near_miss(h)
    L._repair(near, 1)
    found = [L.new_candidates[k] for k in L.descended]
    actions = [a for a in cfg.vocab().actions() if not a.is_stop]
    assert found[0] in set(neighbours(near, actions, cfg.vocab().types))
    for c in found:
        assert all(verify(c, target="byzantine", n=n, f=f).correct for n, f in ((4, 1), (7, 2)))
    assert L.best.by == "repair, descent" and L.best.episode == 1
    assert L.best.accumulated == -24 and L.best.candidate == Candidate.loads(
        "broadcast: send_myself type0\nreceive: send_all type0 if type0 from origin; "
        "send_all type1 if type1 from F+1; send_neighbours type1 if type0 from (N+F)/2; "
        "deliver if type1 from (N+F)/2")
    assert L._near_miss(h)


def test_descend_repairs_a_candidate_failing_only_the_last_scenario_while_nothing_is_correct():
    """At one size, a near miss fails only the last scenario checked (crash
    N=3: the faulty broadcaster). Seed 0's second episode is one; its repair
    and the descent after it give the optimum -7 before any episode is
    correct. Once the run holds a correct candidate such near misses are no
    longer repaired (each repair costs a few hundred checks)."""
    from rbengine.descent import neighbours
    from rbengine.oracle import plan, verify
    held = {}
    for d in (False, True):
        L = Learner(RunConfig(target="crash", seed=0, episodes=100, descend=d))
        out = [L.run_episode() for _ in range(2)][-1]
        assert not out.correct and L.first_correct is None
        held[d] = L.best
    v = verify(out.candidate, target="crash", n=3)
    assert [c.correct for c in v.checks] == [True] * (len(plan("crash", n=3)) - 1) + [False]
    assert held[False] is None and held[True].accumulated == -7
    assert held[True].by == "repair, descent" and held[True].episode == 2
    actions = [a for a in L.config.vocab().actions() if not a.is_stop]
    found = [L.new_candidates[h] for h in L.descended]
    assert found[0] in set(neighbours(out.candidate, actions, L.config.vocab().types))
    assert all(verify(c, target="crash", n=3).correct for c in found)
    assert not L._near_miss(out.candidate_hash)  # the run now holds a correct candidate


def test_every_new_candidate_correct_at_the_first_size_only_is_repaired():
    """A run (descend = true) hands each new candidate that is correct at its
    first size and not at the second to a repair, even once it holds a correct
    candidate (crash seed 9 at 3:1 and 5:2 meets two, in episodes 150 and 192);
    and no other candidate once it holds one."""
    from rbengine.oracle import verify
    L = Learner(RunConfig(target="crash", seed=9, episodes=200, descend=True, sizes="3:1,5:2"))
    repaired = []
    real = L._repair

    def spy(cand, episode, cancel=None):
        repaired.append((episode, cand))
        return real(cand, episode, cancel=cancel)

    L._repair = spy
    first_size_only = []
    seen = set()
    for _ in range(200):
        out = L.run_episode()
        h = out.candidate_hash
        if h in seen:
            continue
        seen.add(h)
        if (not out.correct and L.best is not None and out.episode > L.best.episode
                and verify(out.candidate, target="crash", n=3, f=1).correct):
            first_size_only.append((out.episode, out.candidate))
    late = [(e, c) for e, c in repaired if e > L.best.episode]
    assert [e for e, _ in first_size_only] == [150, 192]
    assert late == first_size_only


def test_a_repair_that_finds_nothing_repairs_the_candidates_correct_at_the_first_size_it_met():
    """Crash seed 1 at 3:1 and 4:2: episode 131's near miss has no correct
    candidate one change away, but a candidate its repair checked is correct
    at 3:1 only, and a correct candidate is one change from that one."""
    from rbengine.descent import neighbours, repair
    from rbengine.oracle import verify
    cfg = RunConfig(target="crash", seed=1, episodes=300, descend=True, sizes="3:1,4:2")
    L = Learner(cfg)
    calls = []
    real = L._repair

    def spy(cand, episode, chain=True, cancel=None):
        found = real(cand, episode, chain, cancel)
        calls.append((episode, chain, cand, found))
        return found

    L._repair = spy
    for _ in range(300):
        L.run_episode()
        if any(not chain and found for _, chain, _, found in calls):
            break
    i = next(k for k, (_, chain, _, found) in enumerate(calls) if not chain and found)
    episode, _, met, _ = calls[i]
    outer = next(c for c in calls[i + 1:] if c[1])  # the repair that met it
    assert episode == outer[0] == 131 and outer[3] is True

    def correct(c):
        return all(verify(c, target="crash", n=n, f=f).correct for n, f in ((3, 1), (4, 2)))

    actions = [a for a in cfg.vocab().actions() if not a.is_stop]
    assert met in set(neighbours(outer[2], actions, cfg.vocab().types))
    assert repair(outer[2], cfg, correct) is None
    assert verify(met, target="crash", n=3, f=1).correct and not correct(met)
    fixed = repair(met, cfg, correct)
    assert fixed is not None and correct(fixed.candidate)


def _walk_state(L: Learner) -> tuple:
    """What an episode and its walks change in a learner."""
    return (L.qt.snapshot(L.actions), dict(L.known), L.best and L.best.to_json(),
            list(L.descended), dict(L.correct), list(L.new_candidates), L.episodes_done,
            L.correct_episodes, L.incorrect_episodes, L.first_correct, set(L.dead.keys),
            json.dumps(L.rng.bit_generator.state, sort_keys=True))


def test_a_pause_during_a_walk_abandons_the_whole_episode():
    """Crash seed 2 at 3:1 and 5:2 (descend = true) repairs the near miss of
    its second episode. A cancel raised during that repair abandons the
    episode: the learner is as it was before it, and running it again gives
    what the uninterrupted run has."""
    from rbengine.errors import OracleError
    cfg = RunConfig(target="crash", seed=2, episodes=100, descend=True, sizes="3:1,5:2")
    twin = Learner(cfg)
    for _ in range(2):
        twin.run_episode()
    assert twin.descended  # the repair and its descent found something
    L = Learner(cfg)
    L.run_episode()
    before = _walk_state(L)
    stop = {"now": False}
    real = L._repair

    def pause_when_walking(cand, episode, chain=True, cancel=None):
        stop["now"] = True  # as the app's pause during the walk
        return real(cand, episode, chain, cancel)

    L._repair = pause_when_walking
    with pytest.raises(OracleError, match="cancelled"):
        L.run_episode(cancel=lambda: stop["now"])
    assert _walk_state(L) == before
    L._repair = real
    L.run_episode()
    assert _walk_state(L) == _walk_state(twin)


def test_a_size_of_one_scenario_has_no_near_misses():
    """Target none checks one scenario: an incorrect candidate there failed
    everything it was checked for, and is not repaired."""
    L = Learner(RunConfig(target="none", seed=0, episodes=50, descend=True))
    assert L._plan == [1]
    incorrect = [o for o in (L.run_episode() for _ in range(20)) if not o.correct]
    assert incorrect
    L.best = None  # as before any correct candidate
    assert not any(L._near_miss(o.candidate_hash) for o in incorrect)


def test_cheapest_is_the_best_total_reward_then_metrics_cost():
    L = Learner(RunConfig(target="crash", seed=3, episodes=300))
    for _ in range(300):
        L.run_episode()
    cheapest = min((-acc, *cost, k) for k, (acc, cost) in L.correct.items())
    assert L.rank(L.best) == cheapest
    out = L.optimise()
    assert out.correct and out.candidate == L.best.candidate == L.result


def test_crash_converges_on_a_small_budget():
    """Regression guard for the learner as a whole: the crash experiment (N=3)
    reaches Algorithm 2's reward (-7, the best of every candidate the
    heuristics allow) on a small budget, for several seeds."""
    for seed in (0, 1, 2):
        L = Learner(RunConfig(target="crash", seed=seed, episodes=CONVERGENCE_BUDGET))
        for _ in range(CONVERGENCE_BUDGET):
            L.run_episode()
        out = L.optimise()
        assert out.correct and out.accumulated == -7, (seed, out.candidate.notation())


# ------------------------------------------------------------------ cache --
def test_verdict_cache_hits():
    c = VerdictCache("crash", 3, None, "full", "builtin")
    alg2 = Candidate.loads("broadcast: send_myself type0\nreceive: send_neighbours type1; deliver")
    v, hit = c.verify(alg2)
    assert v.correct and not hit
    v2, hit2 = c.verify(Candidate(alg2.broadcast, tuple(reversed(alg2.receive))))
    assert v2.correct and hit2 and c.hit_rate == 0.5
    # the key names the scenarios and the oracle version, not the backend
    assert c.key == oracle_key("crash", 3, 1, "full")
    assert c.key != oracle_key("crash", 5, None, "full")
    assert oracle_key("none", 3, None, "full") == oracle_key("none", 3, None, "same-value")
    assert c.key.startswith("v")


# ----------------------------------------------------------------- config --
def test_config_round_trip_and_errors(tmp_path):
    cfg = RunConfig(target="byzantine", attacker="same-value", seed=4, episodes=10,
                    heuristics=HeuristicsConfig(on=frozenset({"GH1", "GH6"}), max_actions=5))
    again = RunConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg
    p = tmp_path / "run.toml"
    p.write_text('target = "none"\nepisodes = 50\n[heuristics]\nGH9 = false\n'
                 '[heuristics.GH6]\nmax = 5\n[rewards.logic]\nsend_all = -5\n')
    c = RunConfig.load(p)
    assert c.target == "none" and c.episodes == 50 and not c.heuristics.enabled("GH9")
    assert c.heuristics.max_actions == 5 and c.rewards.logic["send_all"] == -5
    assert c.override(episodes=7, seed=None).episodes == 7
    with pytest.raises(ConfigError, match="unknown key"):
        RunConfig.from_dict({"targte": "none"})
    with pytest.raises(ConfigError, match="unknown target"):
        RunConfig.from_dict({"target": "omission"})
    bad = tmp_path / "bad.json"
    bad.write_text("{ nope")
    with pytest.raises(ConfigError, match="malformed JSON"):
        RunConfig.load(bad)


def test_a_short_none_run_converges_to_a_correct_candidate():
    from rbengine.oracle import verify
    L = Learner(RunConfig(target="none", seed=7, episodes=400))
    for _ in range(400):
        L.run_episode()
    out = L.optimise()
    assert out.correct and L.result == out.candidate
    assert verify(out.candidate, target="none", n=3, backend="builtin").correct
    assert L.first_correct["episode"] <= 20
    assert L.best is not None and L.best.cost[:3] <= L.cost(out.candidate)
