"""Rewards (the paper's §4.3): a runtime reward for every choice, from its cost
in the efficiency model, and a bonus from the oracle's verdict.

Runtime rewards make cheaper candidates worth more; the bonus (100 + the
accumulated runtime reward when correct) makes the most efficient correct
candidate the best one, and -1 for an incorrect one keeps the actions it
shares with correct candidates attractive.

The accumulated runtime reward does not depend on the order of the choices
(each type's first SEND pays for the new type, whichever it is), so it is a
function of the candidate: ``total``. A correct candidate's return (the sum
of everything the learner receives for it) is ``correct + 2 * total``: the
bonus counts the runtime rewards a second time.
"""

from __future__ import annotations

from collections.abc import Container
from typing import cast

from .action import Action
from .candidate import Candidate
from .config import Rewards


def runtime(rewards: Rewards, action: Action, handler: str, sent_types: Container[int]) -> float:
    """Reward for choosing `action` in `handler`, given the types the
    algorithm already sends (a SEND of a new type k costs ``new_type * k``)."""
    if action.is_stop:
        return rewards.logic.get("stop", 0.0)
    r = rewards.logic[action.logic] + rewards.threshold[action.threshold] + rewards.handler[handler]
    if action.is_send and action.send_type not in sent_types:
        r += rewards.new_type * cast(int, action.send_type)  # a send has a message type
    return r


def bonus(rewards: Rewards, correct: bool, accumulated: float) -> float:
    """Bonus at the end of an episode: correct -> 100 + accumulated runtime reward."""
    return rewards.correct + accumulated if correct else rewards.incorrect


def total(rewards: Rewards, candidate: Candidate) -> float:
    """Accumulated runtime reward of a candidate (RB-Broadcast first, then receive)."""
    sent: set[int] = set()
    acc = 0.0
    for handler in ("broadcast", "receive"):
        for a in candidate.handler(handler):
            acc += runtime(rewards, a, handler, sent)
            if a.is_send:
                sent.add(cast(int, a.send_type))
    return acc


def optimistic(rewards: Rewards, accumulated: float, r: float) -> float:
    """The most a choice of runtime reward `r`, made after `accumulated`, can
    be worth when the runtime rewards are never positive: its reward plus the
    correct bonus of a candidate that would cost nothing more."""
    return r + bonus(rewards, True, accumulated + r)
