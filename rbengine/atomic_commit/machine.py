"""A machine: the transition table (own state, multiset received) -> next state.

States are small integers: 0 LOCAL_COMMIT, 1 LOCAL_ABORT, 2 COMMIT, 3 ABORT,
4.. the unnamed U1..UK; as an input symbol LOST is 4 + K. A multiset is the
tuple of counts of every symbol among the N - 1 messages from the others.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from itertools import combinations
from typing import Any

from ..errors import CandidateError

LOCAL_COMMIT, LOCAL_ABORT, COMMIT, ABORT = 0, 1, 2, 3
NAMED = ("LOCAL_COMMIT", "LOCAL_ABORT", "COMMIT", "ABORT")

#: A multiset received: the count of every input symbol among the N - 1 messages.
Counts = tuple[int, ...]
#: An entry of a table: (own state, multiset received).
Key = tuple[int, Counts]


class MachineError(CandidateError):
    """A machine file that does not follow docs/semantics-atomic-commit.md §7."""


def state_names(k: int) -> tuple[str, ...]:
    """Names of the 4 + k states."""
    return NAMED + tuple(f"U{i}" for i in range(1, k + 1))


def symbol_names(k: int) -> tuple[str, ...]:
    """Names of the input symbols: the states, then LOST."""
    return state_names(k) + ("LOST",)


def actions(k: int) -> tuple[int, ...]:
    """The next states a machine may choose: COMMIT, ABORT, U1..UK."""
    return (COMMIT, ABORT) + tuple(range(4, 4 + k))


@cache
def multisets(n: int, k: int) -> tuple[Counts, ...]:
    """Every count vector of n - 1 messages over the 5 + k symbols, in a fixed order."""
    symbols, m = 5 + k, n - 1
    out: list[Counts] = []
    # stars and bars, lexicographic on the bar positions
    for bars in combinations(range(m + symbols - 1), symbols - 1):
        counts: list[int]
        counts, prev = [], -1
        for b in bars:
            counts.append(b - prev - 1)
            prev = b
        counts.append(m + symbols - 1 - prev - 1)
        out.append(tuple(counts))
    return tuple(sorted(out, reverse=True))


@cache
def keys(n: int, k: int) -> tuple[Key, ...]:
    """Every entry of a complete table."""
    return tuple((s, c) for s in range(4 + k) for c in multisets(n, k))


@dataclass
class Machine:
    """A (possibly partial, during the search) transition table for N processes."""

    n: int
    k: int
    table: dict[Key, int] = field(default_factory=dict)  # key -> next state

    @property
    def states(self) -> int:
        return 4 + self.k

    def complete(self) -> bool:
        return all(key in self.table for key in keys(self.n, self.k))

    def missing(self) -> list[Key]:
        return [key for key in keys(self.n, self.k) if key not in self.table]

    def hash(self) -> str:
        body = json.dumps([self.n, self.k, sorted((s, list(c), t) for (s, c), t in self.table.items())])
        return hashlib.sha256(body.encode()).hexdigest()[:16]

    def copy(self) -> "Machine":
        return Machine(self.n, self.k, dict(self.table))

    # -- files -------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        names, syms = state_names(self.k), symbol_names(self.k)
        rows = []
        for (s, c), t in sorted(self.table.items(), key=lambda kv: (kv[0][0], [-x for x in kv[0][1]])):
            rows.append({"from": names[s],
                         "received": {syms[i]: x for i, x in enumerate(c) if x},
                         "to": names[t]})
        return {"problem": "atomic-commit", "n": self.n, "unnamed": self.k, "transitions": rows}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=1)

    @classmethod
    def from_json(cls, d: object, n: int | None = None) -> "Machine":
        if not isinstance(d, dict):
            raise MachineError("a machine file is one JSON object")
        if d.get("problem", "atomic-commit") != "atomic-commit":
            raise MachineError(f"problem {d.get('problem')!r} is not atomic-commit")
        k = d.get("unnamed", 0)
        if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k <= 8:
            raise MachineError(f"'unnamed' must be a whole number 0..8, got {k!r}")
        file_n = d.get("n")
        n = n if n is not None else (file_n if file_n is not None else 3)
        if not isinstance(n, int) or isinstance(n, bool) or n < 2:
            raise MachineError(f"N must be a whole number >= 2, got {n!r}")
        names, syms = state_names(k), symbol_names(k)
        index = {name: i for i, name in enumerate(names)}
        sym_index = {name: i for i, name in enumerate(syms)}
        targets = {names[a] for a in actions(k)}

        def target(name: str, where: str) -> int:
            if name not in index:
                raise MachineError(f"{where}: unknown state {name!r} (known: {', '.join(names)})")
            if name not in targets:
                raise MachineError(f"{where}: {name} is a vote, not a next state")
            return index[name]

        table: dict[Key, int] = {}
        rows = d.get("transitions", [])
        if not isinstance(rows, list):
            raise MachineError("'transitions' must be a list")
        for i, row in enumerate(rows, 1):
            where = f"transition {i}"
            if not isinstance(row, dict) or not {"from", "received", "to"} <= set(row):
                raise MachineError(f"{where}: needs 'from', 'received' and 'to'")
            if row["from"] not in index:
                raise MachineError(f"{where}: unknown state {row['from']!r}")
            rec = row["received"]
            if not isinstance(rec, dict):
                raise MachineError(f"{where}: 'received' must map symbols to counts")
            counts = [0] * len(syms)
            for sym, x in rec.items():
                if sym not in sym_index:
                    raise MachineError(f"{where}: unknown symbol {sym!r}")
                if not isinstance(x, int) or isinstance(x, bool) or x < 0:
                    raise MachineError(f"{where}: count of {sym} must be a whole number >= 0")
                counts[sym_index[sym]] = x
            if sum(counts) != n - 1:
                raise MachineError(f"{where}: {sum(counts)} messages from the others, "
                                   f"N={n} means {n - 1}")
            key = (index[row["from"]], tuple(counts))
            if key in table:
                raise MachineError(f"{where}: a second transition for the same input")
            table[key] = target(row["to"], where)
        other = d.get("otherwise")
        if other is not None:
            if not isinstance(other, dict):
                raise MachineError("'otherwise' must map states to next states")
            for name, to in other.items():
                if name not in index:
                    raise MachineError(f"otherwise: unknown state {name!r}")
                s, t = index[name], target(to, f"otherwise {name}")
                for c in multisets(n, k):
                    table.setdefault((s, c), t)
        m = cls(n, k, table)
        gaps = m.missing()
        if gaps:
            s, c = gaps[0]
            text = ", ".join(f"{syms[i]}:{x}" for i, x in enumerate(c) if x)
            raise MachineError(f"{len(gaps)} inputs have no transition, e.g. from {names[s]} "
                               f"receiving {{{text}}} (add them or an 'otherwise')")
        return m

    @classmethod
    def loads(cls, text: str, n: int | None = None) -> "Machine":
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MachineError(f"not JSON: {exc.msg} (line {exc.lineno})") from None
        return cls.from_json(d, n)

    @classmethod
    def load(cls, path: str, n: int | None = None) -> "Machine":
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise MachineError(f"cannot read {path}: {exc}") from None
        try:
            return cls.loads(text, n)
        except MachineError as exc:
            raise MachineError(f"{path}: {exc}") from None

    def validate(self) -> "Machine":
        """Every next state is an action of this K (COMMIT, ABORT, U1..UK)."""
        acts = set(actions(self.k))
        for (s, _received), t in self.table.items():
            if t not in acts:
                raise MachineError(f"next state {t} from {state_names(self.k)[s]} is not one of "
                                   f"COMMIT, ABORT, U1..U{self.k}")
        return self

    @classmethod
    def from_rule(cls, n: int, k: int, rule: Callable[[int, Counts], int]) -> "Machine":
        """The table of rule(own state, counts) for every input: a protocol for any N."""
        return cls(n, k, {(s, c): rule(s, c) for s, c in keys(n, k)}).validate()
