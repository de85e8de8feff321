"""The learner's state (the paper's §4.2): the actions chosen so far, per handler,
and the phase being built.

Two states are equal when they hold the same actions, in the same number, in
the same handlers: order inside a handler is irrelevant, so a state keeps each
handler as a sorted tuple of action indices (into the vocabulary's action list)
and its key is cheap to hash. ``text`` gives a stable, readable form for the
store, independent of the index numbering.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .action import Action
from .candidate import Candidate

BROADCAST, RECEIVE, DONE = 0, 1, 2
PHASES = ("broadcast", "receive", "done")
#: State.key: (phase, broadcast action indices, receive action indices)
StateKey = tuple[int, tuple[int, ...], tuple[int, ...]]


@dataclass(frozen=True)
class State:
    phase: int = BROADCAST
    broadcast: tuple[int, ...] = ()
    receive: tuple[int, ...] = ()

    @property
    def key(self) -> StateKey:
        return (self.phase, self.broadcast, self.receive)

    @property
    def handler(self) -> str:
        return PHASES[self.phase]

    def current(self) -> tuple[int, ...]:
        """Actions of the handler being built."""
        return self.broadcast if self.phase == BROADCAST else self.receive

    def add(self, index: int, stop_index: int) -> "State":
        """The state after choosing action `index`; STOP ends the current phase."""
        if self.phase == DONE:
            raise ValueError("a finished candidate takes no more actions")
        if index == stop_index:
            return State(self.phase + 1, self.broadcast, self.receive)
        if self.phase == BROADCAST:
            return State(BROADCAST, tuple(sorted(self.broadcast + (index,))), self.receive)
        return State(RECEIVE, self.broadcast, tuple(sorted(self.receive + (index,))))

    def parents(self, stop_index: int) -> list[tuple["State", int]]:
        """Every (state, action) one choice away from this state (states are
        multisets: one parent per distinct action of the current handler)."""
        if self.phase == DONE:
            return [(State(RECEIVE, self.broadcast, self.receive), stop_index)]
        cur = self.current()
        if not cur:
            if self.phase == RECEIVE:
                return [(State(BROADCAST, self.broadcast, ()), stop_index)]
            return []
        out = []
        for i in sorted(set(cur)):
            rest = list(cur)
            rest.remove(i)
            if self.phase == BROADCAST:
                out.append((State(BROADCAST, tuple(rest), ()), i))
            else:
                out.append((State(RECEIVE, self.broadcast, tuple(rest)), i))
        return out

    def candidate(self, actions: list[Action]) -> Candidate:
        return Candidate(tuple(actions[i] for i in self.broadcast),
                         tuple(actions[i] for i in self.receive))

    def size(self) -> int:
        """Number of choices made to reach this state (STOPs included)."""
        return len(self.broadcast) + len(self.receive) + self.phase

    # ---- stable text form --------------------------------------------
    def text(self, actions: list[Action]) -> str:
        return json.dumps([PHASES[self.phase],
                           [actions[i].to_json() for i in self.broadcast],
                           [actions[i].to_json() for i in self.receive]],
                          separators=(",", ":"))

    @classmethod
    def from_text(cls, text: str, index: dict[Action, int]) -> "State":
        phase, b, r = json.loads(text)
        return cls(PHASES.index(phase),
                   tuple(sorted(index[Action.make(*a)] for a in b)),
                   tuple(sorted(index[Action.make(*a)] for a in r)))


def action_text(a: Action) -> str:
    return json.dumps(a.to_json(), separators=(",", ":"))


def action_from_text(text: str) -> Action:
    return Action.make(*json.loads(text))
