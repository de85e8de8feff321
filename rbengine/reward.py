"""Rewards (the paper's §4.3): a runtime reward for every choice, from its cost
in the efficiency model, and a bonus from the oracle's verdict.

Runtime rewards make cheaper candidates worth more; the bonus (100 + the
accumulated runtime reward when correct) makes the most efficient correct
candidate the best one, and -1 for an incorrect one keeps the actions it
shares with correct candidates attractive.
"""

from __future__ import annotations

from .action import Action
from .config import Rewards


def runtime(rewards: Rewards, action: Action, handler: str, sent_types) -> float:
    """Reward for choosing `action` in `handler`, given the types the
    algorithm already sends (a SEND of a new type k costs ``new_type * k``)."""
    if action.is_stop:
        return rewards.logic.get("stop", 0.0)
    r = rewards.logic[action.logic] + rewards.threshold[action.threshold] + rewards.handler[handler]
    if action.is_send and action.send_type not in sent_types:
        r += rewards.new_type * action.send_type
    return r


def bonus(rewards: Rewards, correct: bool, accumulated: float) -> float:
    """Bonus at the end of an episode: correct -> 100 + accumulated runtime reward."""
    return rewards.correct + accumulated if correct else rewards.incorrect
