"""Descent from a correct candidate (rbengine.descent), checked by the oracle:
every move is correct at every size and cheaper (or, sideways, as cheap), and
a plain descent ends on a local optimum."""

import pytest

from rbengine.candidate import Candidate
from rbengine.config import RunConfig
from rbengine.descent import descend, neighbours
from rbengine.oracle import verify
from rbengine.reward import total
from rbengine.search import make_cache
from rbengine.size import parse as parse_sizes
from rbengine.space import contains

# the 5-action space at sizes 4:1 and 7:2 (optimum (b) of bench/search.py)
CONFIG = RunConfig.from_dict({"target": "byzantine", "vocabulary": "sound", "attacker": "full",
                              "sizes": "4:1,7:2", "heuristics": {"GH6": {"max": 5}}})
# correct candidates learning runs ended on (bench/results/learner_*_seeds5-14.txt)
SEED_12 = ("broadcast: send_myself type0\nreceive: send_all type0 if type0 from origin; "
           "send_all type2 if type2 from F+1; send_neighbours type2 if type0 from N-F; "
           "deliver if type2 from N-F")
SEED_8 = ("broadcast: send_all type0\nreceive: send_all type0 if type1 from F+1; "
          "send_all type0 if type0 from origin; send_all type1 if type0 from N-F; "
          "deliver if type1 from N-F")


def correct_everywhere(c: Candidate) -> bool:
    return all(verify(c, target="byzantine", n=s.n, f=s.f, attacker="full",
                      backend="builtin").correct for s in parse_sizes(CONFIG.sizes))


def test_neighbours_remove_replace_add_and_relabel():
    c = Candidate.loads("broadcast: send_all type0\nreceive: deliver if type2 from F+1")
    actions = [a for a in CONFIG.vocab().actions() if not a.is_stop]
    got = {n.notation() for n in neighbours(c, actions, 3)}
    assert "broadcast: send_all type0\nreceive: deliver if type1 from F+1" in got  # relabelled
    assert "broadcast: send_all type0\nreceive: deliver if type2 from N-F" in got  # replaced
    assert "broadcast: send_myself type0\nreceive: deliver if type2 from F+1" in got
    assert "broadcast:\nreceive: deliver if type2 from F+1" in got  # removed
    assert ("broadcast: send_all type0; send_myself type0\nreceive: deliver if type2 from F+1"
            in got)  # added
    assert c.notation() not in got


def test_descent_reaches_a_cheaper_correct_candidate_each_move():
    start = Candidate.loads(SEED_12)
    assert correct_everywhere(start)
    moves = list(descend(start, CONFIG, make_cache(CONFIG).correct))
    assert moves
    before = total(CONFIG.rewards, start)
    for m in moves:
        assert m.reward == before if m.sideways else m.reward > before
        before = m.reward
        assert m.reward == total(CONFIG.rewards, m.candidate)
        assert contains(CONFIG, m.candidate)
        assert correct_everywhere(m.candidate), m.candidate.notation()
    # the cheapest correct neighbour first: nothing cheaper than the first move is
    assert not any(make_cache(CONFIG).correct(n) for n in _cheaper(start, moves[0].reward))
    # the Bracha-shaped candidate the exhaustive search certifies (-24)
    assert moves[-1].reward == -24
    assert moves[-1].candidate == Candidate.loads(
        "broadcast: send_myself type0\nreceive: send_all type0 if type0 from origin; "
        "send_all type1 if type1 from F+1; send_neighbours type1 if type0 from (N+F)/2; "
        "deliver if type1 from (N+F)/2")


def _cheaper(c: Candidate, than: float) -> list[Candidate]:
    """The neighbours of `c` the heuristics allow, cheaper than `than`."""
    actions = [a for a in CONFIG.vocab().actions() if not a.is_stop]
    out = {n.key(): n for n in neighbours(c, actions, CONFIG.vocab().types)
           if total(CONFIG.rewards, n) > than and contains(CONFIG, n)}
    return list(out.values())


def test_a_plain_descent_ends_on_a_local_optimum():
    moves = list(descend(Candidate.loads(SEED_8), CONFIG, make_cache(CONFIG).correct,
                         sideways=0))
    assert not any(m.sideways for m in moves)
    end = moves[-1].candidate
    assert moves[-1].reward == -25
    cheaper = _cheaper(end, total(CONFIG.rewards, end))
    assert cheaper
    assert not any(make_cache(CONFIG).correct(n) for n in cheaper)


def test_a_sideways_move_leaves_the_local_optimum_for_the_optimum():
    moves = list(descend(Candidate.loads(SEED_8), CONFIG, make_cache(CONFIG).correct))
    side = [m for m in moves if m.sideways]
    assert side and side[0].reward == -25
    assert correct_everywhere(side[0].candidate)
    i = moves.index(side[0])
    actions = [a for a in CONFIG.vocab().actions() if not a.is_stop]
    assert side[0].candidate in set(neighbours(moves[i - 1].candidate, actions, 3))
    after = moves[i + 1]
    assert not after.sideways and after.reward == -24
    assert correct_everywhere(after.candidate)
    assert max(m.reward for m in moves) == -24  # the certified optimum


@pytest.mark.parametrize("limit", [0, 5])
def test_descent_stops_at_its_check_budget(limit):
    calls = []

    def oracle(c):
        calls.append(c)
        return False

    assert list(descend(Candidate.loads(SEED_8), CONFIG, oracle, max_checks=limit)) == []
    assert len(calls) == limit
