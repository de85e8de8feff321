"""The semantics of a run (contract §2-§4): rounds, crashes, lost messages.

`simulate` is the one definition of what a machine does in a scenario (votes +
crash pattern); every verifier's counterexample is replayed through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from ..errors import RbError
from .machine import ABORT, COMMIT, Counts, Machine, state_names, symbol_names
from .properties import DEFAULT_SET, decision, property_set, violated


class ModelError(RbError):
    """Sizes outside the contract (N < 2, R < 1, f outside 0..N-1)."""


@dataclass(frozen=True)
class Model:
    """What is checked: N processes, R rounds, at most f crashes, a property set."""

    n: int = 3
    rounds: int = 2
    f: int | None = None
    partial: bool = True  # a crashing process's last message reaches any subset
    properties: str | tuple[str, ...] = DEFAULT_SET

    def __post_init__(self) -> None:
        if not isinstance(self.n, int) or self.n < 2:
            raise ModelError(f"N must be at least 2, got {self.n}")
        if not isinstance(self.rounds, int) or self.rounds < 1:
            raise ModelError(f"the number of rounds must be at least 1, got {self.rounds}")
        if self.f is None:
            object.__setattr__(self, "f", self.n - 1)
        if not 0 <= cast(int, self.f) <= self.n - 1:  # set just above when None
            raise ModelError(f"f must be in 0..N-1 = 0..{self.n - 1}, got {self.f}")
        property_set(self.properties)

    @property
    def props(self) -> tuple[str, ...]:
        return property_set(self.properties)

    @property
    def set_name(self) -> str:
        return self.properties if isinstance(self.properties, str) else "+".join(self.properties)


# process -> (round, frozenset of processes its last message reaches)
Crashes = dict[int, tuple[int, frozenset[int]]]


@dataclass
class Run:
    """A whole run: states[r][i] is p_i's state after round r (r = 0: the vote)."""

    votes: tuple[int, ...]
    crashes: Crashes
    states: list[tuple[int, ...]]
    lost: list[tuple[tuple[int, int], ...]]  # lost[r-1]: LOST inputs (sender, receiver) in round r
    flags: tuple[int, ...]
    violation: str | None = None
    k: int = 0
    machine_hash: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def crashed(self) -> bool:
        return bool(self.crashes)

    @property
    def rounds(self) -> int:
        return len(self.states) - 1

    @property
    def decisions(self) -> tuple[str, ...]:
        return tuple(decision(f) for f in self.flags)

    def to_json(self) -> dict[str, Any]:
        names = state_names(self.k)
        return {
            "property": self.violation,
            "votes": [names[v] for v in self.votes],
            "crashes": {f"p{p}": {"round": r, "reaches": [f"p{q}" for q in sorted(to)]}
                        for p, (r, to) in sorted(self.crashes.items())},
            "states": [[names[s] for s in row] for row in self.states],
            "lost": [[[f"p{a}", f"p{b}"] for a, b in row] for row in self.lost],
            "decisions": list(self.decisions),
            "text": self.text(),
        }

    def text(self) -> str:
        names = state_names(self.k)
        n = len(self.votes)
        width = max(12, *(len(x) for x in names)) + 2
        head = "round  " + "".join(f"{'p' + str(i):<{width}}" for i in range(n)) + "lost"
        lines = [head]
        for r, row in enumerate(self.states):
            cells = []
            for i, s in enumerate(row):
                mark = ""
                if i in self.crashes and self.crashes[i][0] <= r:
                    mark = "x" if self.crashes[i][0] == r else "-"
                cells.append(f"{names[s] + mark:<{width}}")
            lost = "" if r == 0 else " ".join(f"p{a}->p{b}" for a, b in self.lost[r - 1])
            lines.append(f"{r:<7}" + "".join(cells) + lost)
        if self.crashes:
            lines.append("(x: crashes in this round, -: crashed; lost: the messages a process "
                         "that moved in the round did not receive)")
        for p, (r, to) in sorted(self.crashes.items()):
            reach = ", ".join(f"p{q}" for q in sorted(to)) or "nobody"
            lines.append(f"p{p} crashes in round {r}; its last message reaches {reach}")
        lines.append("decisions: " + ", ".join(f"p{i} {d}" for i, d in enumerate(self.decisions)))
        if self.violation:
            from .properties import DESCRIPTION
            lines.append(f"violates {self.violation}: {DESCRIPTION[self.violation]}")
        return "\n".join(lines)


def step_inputs(states: Sequence[int], alive_before: Sequence[bool], crashes: Crashes, r: int,
                n: int, k: int) -> dict[int, tuple[Counts, list[tuple[int, int]]]]:
    """Per receiver that transitions in round r: (counts, lost senders)."""
    lost_sym = 4 + k
    out: dict[int, tuple[Counts, list[tuple[int, int]]]] = {}
    for i in range(n):
        if not alive_before[i] or (i in crashes and crashes[i][0] == r):
            continue
        counts = [0] * (5 + k)
        lost = []
        for j in range(n):
            if j == i:
                continue
            if alive_before[j] and (j not in crashes or crashes[j][0] > r
                                    or i in crashes[j][1]):
                counts[states[j]] += 1
            else:
                counts[lost_sym] += 1
                lost.append((j, i))
        out[i] = (tuple(counts), lost)
    return out


def simulate(machine: Machine, model: Model, votes: Sequence[int],
             crashes: Crashes | None = None) -> Run:
    """Play the machine in one scenario for model.rounds rounds."""
    n, k = model.n, machine.k
    if machine.n != n:
        raise ModelError(f"the machine is for N={machine.n}, the model for N={model.n}")
    crashes = {p: (r, frozenset(to)) for p, (r, to) in (crashes or {}).items()}
    states = [tuple(votes)]
    lost_rows: list[tuple[tuple[int, int], ...]] = []
    flags = [0] * n
    cur = list(votes)
    for r in range(1, model.rounds + 1):
        alive_before = [not (i in crashes and crashes[i][0] < r) for i in range(n)]
        inputs = step_inputs(cur, alive_before, crashes, r, n, k)
        nxt = list(cur)
        lost_row = []
        for i, (counts, lost) in inputs.items():
            t = machine.table.get((cur[i], counts))
            if t is None:
                raise ModelError(f"the machine has no transition from {state_names(k)[cur[i]]} "
                                 f"receiving {counts}")
            nxt[i] = t
            if t == COMMIT:
                flags[i] |= 1
            elif t == ABORT:
                flags[i] |= 2
            lost_row.extend(lost)
        cur = nxt
        states.append(tuple(cur))
        lost_rows.append(tuple(sorted(lost_row)))
    run = Run(tuple(votes), crashes, states, lost_rows, tuple(flags), k=k,
              machine_hash=machine.hash())
    run.violation = violated(run.votes, run.flags, run.crashed, model.props)
    return run


def describe_symbol(k: int, index: int) -> str:
    return symbol_names(k)[index]
