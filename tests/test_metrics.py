"""Efficiency metrics (paper §2.3.4), calibrated on the paper's algorithms."""

import json
import random

import pytest

from rbengine import metrics
from rbengine.candidate import Candidate
from rbengine.metrics import Poly
from rbengine.vocabulary import PAPER, SOUND

ALG1 = "broadcast: send_all type0\nreceive: deliver"
ALG2 = "broadcast: send_myself type0\nreceive: send_neighbours type1; deliver"
ALG3 = ("broadcast: send_all type0\nreceive: send_all type1 if type0 from 1; "
        "deliver if type1 from (N+F)/2; send_all type1 if type1 from F+1")
FIG3 = ("broadcast: send_neighbours type0\nreceive: send_neighbours type1 if type0 from 1; "
        "send_neighbours type1 if type1 from F+1; deliver if type1 from F+1")

PAPER_METRICS = [
    # candidate, messages, steps, to-deliver token
    (ALG1, "N", 1, "1"),
    (ALG2, "N^2 - N + 1", 1, "1"),
    (ALG3, "N^2 + N", 2, "(N+F)/2"),
    (FIG3, "N^2 - 1", 2, "F+1"),
]


@pytest.mark.parametrize("text,msgs,steps,tok", PAPER_METRICS)
def test_paper_algorithms(text, msgs, steps, tok):
    c = Candidate.loads(text)
    assert str(metrics.messages(c)) == msgs
    assert metrics.steps(c) == steps
    assert metrics.to_deliver(c)[0] == tok


def test_numbers_for_given_n_and_f():
    a1, a2, a3, f3 = (Candidate.loads(t) for t, *_ in PAPER_METRICS)
    assert metrics.messages_n(a1, 4) == 4
    assert metrics.messages_n(a2, 3) == 7
    assert metrics.messages_n(a3, 4) == 20
    assert metrics.messages_n(f3, 7) == 48  # (N-1) + N(N-1)
    assert metrics.to_deliver(a3, 4, 1) == ("(N+F)/2", 3)  # strictly more than 5/2
    assert metrics.to_deliver(a3, 7, 2) == ("(N+F)/2", 5)
    assert metrics.to_deliver(f3, 7, 2) == ("F+1", 3)
    assert metrics.to_deliver(a1, 4, 1) == ("1", 1)


def test_cost_ranks_the_follow_up_above_alg3():
    a3, f3 = Candidate.loads(ALG3), Candidate.loads(FIG3)
    assert metrics.cost(a3, 4, 1) == (20, 2, 3)
    assert metrics.cost(f3, 4, 1) == (15, 2, 2)
    assert metrics.cost(f3) < metrics.cost(a3)


def test_poly_formatting():
    assert str(Poly()) == "0"
    assert str(Poly(0, 0, 1)) == "1"
    assert str(Poly(1, 0, 0)) == "N^2"
    assert str(Poly(2, -3, 1)) == "2N^2 - 3N + 1"
    assert str(Poly(0, -1, 0)) == "-N"
    assert str(Poly(0, 1, -1)) == "N - 1"
    assert Poly(1, 1, 0)(4) == 20


def test_broadcast_counts_only_token_zero_actions():
    c = Candidate.loads("broadcast: send_all type0; send_all type1 if type0 from 1\nreceive: deliver")
    assert str(metrics.messages(c)) == "N"
    assert metrics.steps(c) == 1


def test_union_of_destinations_within_a_handler():
    # neighbours ∪ myself = all; duplicates are sent once
    c = Candidate.loads("broadcast: send_all type0\n"
                        "receive: send_neighbours type1; send_myself type1 if type0 from 1; deliver")
    assert metrics.messages_by_type(c)[1] == Poly(1, 0, 0)
    c = Candidate.loads("broadcast: send_neighbours type0; send_neighbours type0\nreceive: deliver")
    assert str(metrics.messages(c)) == "N - 1"


def test_broadcaster_overlap_is_subtracted():
    # the broadcaster's receive-handler send_all type0 repeats its broadcast
    c = Candidate.loads("broadcast: send_all type0\nreceive: send_all type0 if type0 from 1; deliver")
    assert str(metrics.messages(c)) == "N^2"
    assert metrics.steps(c) == 1
    c = Candidate.loads("broadcast: send_myself type0\nreceive: send_neighbours type0; deliver")
    assert str(metrics.messages(c)) == "N^2 - N + 1"  # no overlap: disjoint destinations


def test_no_deliver_and_empty_candidate():
    c = Candidate.loads("broadcast: send_all type0\nreceive: send_all type1")
    assert metrics.to_deliver(c) == (None, None)
    assert metrics.cost(c, 4, 1)[2] == 5
    empty = Candidate()
    assert str(metrics.messages(empty)) == "0" and metrics.steps(empty) == 0


def test_to_json_is_json():
    d = metrics.to_json(Candidate.loads(ALG3), 4, 1)
    assert json.loads(json.dumps(d)) == d
    assert d["messages"] == "N^2 + N" and d["messages_n"] == 20
    assert d["steps"] == 2 and d["to_deliver"] == "(N+F)/2" and d["to_deliver_n"] == 3
    assert "communication steps" in metrics.text(Candidate.loads(ALG3))


def _brute_force_messages(c: Candidate, n: int) -> int:
    """Distinct (src, dst, type) when every action that can fire fires."""
    sent = set()

    def dests(me, logic):
        return {"send_all": range(n), "send_neighbours": [d for d in range(n) if d != me],
                "send_myself": [me]}[logic]

    for a in c.broadcast:
        if a.is_send and a.threshold == "0":
            sent.update((0, d, a.send_type) for d in dests(0, a.logic))
    for p in range(n):
        for a in c.receive:
            if a.is_send:
                sent.update((p, d, a.send_type) for d in dests(p, a.logic))
    return len(sent)


@pytest.mark.parametrize("vocab", [PAPER, SOUND], ids=lambda v: v.name)
def test_formula_matches_brute_force_count(vocab):
    rng = random.Random(2022)
    acts = [a for a in vocab.actions() if not a.is_stop]
    for _ in range(300):
        c = Candidate(tuple(rng.sample(acts, rng.randint(0, 4))),
                      tuple(rng.sample(acts, rng.randint(0, 4))))
        poly = metrics.messages(c)
        for n in (2, 3, 4, 7):
            assert poly(n) == _brute_force_messages(c, n), c.notation()
