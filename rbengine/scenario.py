"""Failure modes, F for a given N, and the scenarios checked per mode (docs/semantics.md §4).

Processes are numbered p0..p(N-1); p0 is the broadcaster. Other choices of the
faulty set follow by symmetry, so two scenarios per faulty mode suffice: the
broadcaster correct with p1..pF faulty, and the broadcaster faulty with
p1..p(F-1).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import mode as modes
from .errors import OracleError
from .mode import Mode
from .size import MAX_N

#: the modes' names, weakest first (CLI choices, store columns, cache keys)
MODES = tuple(m.name for m in modes.ALL)
ATTACKERS = ("full", "same-value")
#: The paper's defaults: N=3 for the none and crash experiments, N=4 for Byzantine.
PAPER_N = {m.name: m.paper_n for m in modes.ALL}


def default_f(mode: str, n: int) -> int:
    """The largest F within the mode's resilience bound (0 for none)."""
    return modes.get(mode).max_f(n)


def modes_for_target(target: str) -> tuple[str, ...]:
    """A target is correct only if every mode up to it is (byzantine => none, crash)."""
    if target not in MODES:
        raise OracleError(f"unknown target {target!r} (known: {', '.join(MODES)})")
    return MODES[: MODES.index(target) + 1]


@dataclass(frozen=True)
class Scenario:
    mode: str
    n: int
    f: int
    name: str  # "all-correct" | "broadcaster-correct" | "broadcaster-faulty"
    faulty: tuple[int, ...]
    attacker: str | None = None  # for byzantine only

    @property
    def failure(self) -> Mode:
        """The failure mode as an object (its bound, labels, attacker)."""
        return modes.get(self.mode)

    @property
    def correct(self) -> tuple[int, ...]:
        return tuple(p for p in range(self.n) if p not in self.faulty)

    @property
    def broadcaster_correct(self) -> bool:
        return 0 not in self.faulty

    @property
    def crash_prone(self) -> tuple[int, ...]:
        return self.faulty if self.failure is modes.CRASH else ()

    @property
    def byzantine(self) -> tuple[int, ...]:
        return self.faulty if self.failure is modes.BYZANTINE else ()

    def label(self) -> str:
        att = f" {self.attacker}" if self.failure.has_attacker else ""
        return f"{self.mode}{att} N={self.n} F={self.f} {self.name}"


def scenarios(mode: str, n: int, f: int | None = None, attacker: str = "full") -> list[Scenario]:
    m = modes.get(mode)
    f = m.f_for(n, f)
    if n < 2 or n > MAX_N:
        raise OracleError(f"N={n} is out of range (2..{MAX_N})")
    if f < 0 or f >= n:
        raise OracleError(f"F={f} is out of range for N={n}")
    if m.has_attacker and attacker not in ATTACKERS:
        raise OracleError(f"unknown attacker {attacker!r} (known: {', '.join(ATTACKERS)})")
    att = attacker if m.has_attacker else None
    if f == 0:
        return [Scenario(mode, n, 0, "all-correct", (), att)]
    return [
        Scenario(mode, n, f, "broadcaster-correct", tuple(range(1, f + 1)), att),
        Scenario(mode, n, f, "broadcaster-faulty", tuple(range(0, f)), att),
    ]
