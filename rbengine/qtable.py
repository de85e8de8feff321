"""The QTable (the paper's §4.4): a value and a visit count per (state, action).

Only pairs the learner has chosen are stored: the space of states is large and
sparsely visited. A pair never chosen has its initial value, given by the
function the table is built with (0 without one; the learner's is optimistic,
see rbengine.learner). Pairs changed since the last checkpoint are remembered
so a checkpoint writes only those.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from .action import Action
from .state import State, StateKey, action_text


@dataclass(frozen=True)
class QUpdate:
    """One Q-learning update, kept for display: Q <- Q + alpha*(target - Q),
    target = reward + bonus + gamma * next_max."""

    state: State
    action: int
    reward: float  # runtime reward
    next_max: float
    target: float
    old: float
    new: float
    bonus: float = 0.0  # the verdict's bonus, on the last choice only


class QTable:
    def __init__(self, initial: Callable[[State, int], float] | None = None) -> None:
        self.initial = initial  # value of a pair never chosen; None: 0
        # state key -> action -> [q, visits] (a float and an int)
        self.table: dict[StateKey, dict[int, list[Any]]] = {}
        self.totals: dict[StateKey, int] = {}  # state key -> visits of the state
        self.dirty: set[tuple[StateKey, int]] = set()

    # ---- reading --------------------------------------------------------
    def value(self, state: State, action: int) -> float:
        row = self.table.get(state.key)
        if row is None or action not in row:
            return self.initial_value(state, action)
        return cast(float, row[action][0])

    def initial_value(self, state: State, action: int) -> float:
        return 0.0 if self.initial is None else self.initial(state, action)

    def visits(self, state: State, action: int) -> int:
        row = self.table.get(state.key)
        if row is None or action not in row:
            return 0
        return cast(int, row[action][1])

    def state_visits(self, state: State) -> int:
        return self.totals.get(state.key, 0)

    def max_value(self, state: State, allowed: Sequence[int]) -> float:
        """max over the allowed actions of Q(state, a) (the initial value for a
        pair never chosen); 0 for a terminal state."""
        if not allowed:
            return 0.0
        row = self.table.get(state.key, {})
        return max(row[a][0] if a in row else self.initial_value(state, a) for a in allowed)

    def __len__(self) -> int:
        """Number of states explored (states in which an action was chosen)."""
        return len(self.table)

    def pairs(self) -> int:
        return sum(len(r) for r in self.table.values())

    # ---- learning -------------------------------------------------------
    def _cell(self, state: State, action: int) -> list[Any]:
        row = self.table.setdefault(state.key, {})
        cell = row.get(action)
        if cell is None:
            cell = row[action] = [self.initial_value(state, action), 0]
        return cell

    def visit(self, state: State, action: int) -> None:
        cell = self._cell(state, action)
        cell[1] += 1
        self.totals[state.key] = self.totals.get(state.key, 0) + 1
        self.dirty.add((state.key, action))

    def update(self, state: State, action: int, reward: float, next_max: float,
               alpha: float, gamma: float, bonus: float = 0.0) -> QUpdate:
        """Q-learning: Q(s,a) += alpha * (r + gamma * max_a' Q(s',a') - Q(s,a))."""
        cell = self._cell(state, action)
        old = cell[0]
        target = reward + bonus + gamma * next_max
        cell[0] = old + alpha * (target - old)
        self.dirty.add((state.key, action))
        return QUpdate(state, action, reward, next_max, target, old, cell[0], bonus)

    # ---- persistence ----------------------------------------------------
    def set(self, state: State, action: int, q: float, visits: int) -> None:
        row = self.table.setdefault(state.key, {})
        prev = row.get(action, [0.0, 0])[1]
        row[action] = [q, visits]
        self.totals[state.key] = self.totals.get(state.key, 0) - prev + visits

    def drain(self, actions: list[Action]) -> list[tuple[str, str, float, int]]:
        """Rows (state text, action text, q, visits) changed since the last call."""
        out = []
        for key, a in sorted(self.dirty):
            q, n = self.table[key][a]
            out.append((State(*key).text(actions), action_text(actions[a]), q, n))
        self.dirty.clear()
        return out

    def snapshot(self, actions: list[Action]) -> dict[tuple[str, str], tuple[float, int]]:
        """Every entry by stable text keys: for comparing two runs exactly."""
        return {(State(*key).text(actions), action_text(actions[a])): (q, n)
                for key, row in self.table.items() for a, (q, n) in row.items()}


def ucb_scores(qt: QTable, state: State, allowed: list[int], c: float,
               untried_first: bool = True) -> list[float]:
    """Q + c*sqrt(ln N(s) / N(s,a)). An action never chosen in `state` scores
    +inf (untried_first: UCB1 tries every action once before any repeat), else
    its initial value + c*sqrt(ln N(s)), as if it had been chosen once."""
    total = qt.state_visits(state)
    log_total = math.log(total) if total > 0 else 0.0
    row = qt.table.get(state.key, {})
    out = []
    for a in allowed:
        cell = row.get(a)
        if cell is None or cell[1] == 0:
            out.append(math.inf if untried_first
                       else qt.value(state, a) + c * math.sqrt(log_total))
        else:
            out.append(cell[0] + c * math.sqrt(log_total / cell[1]))
    return out
