"""Failure modes as objects: what a mode means lives here, once.

A mode fixes who may misbehave and how (docs/semantics.md §3-4): nobody
(none), up to F processes that stop (crash), or up to F processes that send
what they like (byzantine). Code asks a mode for its attributes (its default
F, the paper's N, its resilience bound, how its faulty processes are called)
instead of comparing names, so a new mode is one entry below.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import OracleError


@dataclass(frozen=True)
class Mode:
    name: str
    #: the N of the paper's experiments for this mode
    paper_n: int
    #: correct only when N > bound * F (None: no faulty processes, no bound)
    bound: int | None
    #: how a faulty process is called in text ("" when there are none)
    faulty_label: str
    #: what a faulty process may do, for help texts and reports
    misbehaviour: str
    #: whether the adversary has a strategy to choose (the byzantine attackers)
    has_attacker: bool = False

    @property
    def has_faults(self) -> bool:
        return self.bound is not None

    def max_f(self, n: int) -> int:
        """The largest F within the bound at N: the default F (0 without faults)."""
        return 0 if self.bound is None else (n - 1) // self.bound

    def f_for(self, n: int, f: int | None) -> int:
        """The F checked at N when `f` is asked for (None: the default); always 0 without faults."""
        if not self.has_faults:
            return 0
        return self.max_f(n) if f is None else f

    def within_bound(self, n: int, f: int) -> bool:
        return self.bound is None or n > self.bound * f

    def bound_text(self) -> str:
        return "" if self.bound is None else f"N > {self.bound}F"

    def __str__(self) -> str:
        return self.name


NONE = Mode("none", paper_n=3, bound=None, faulty_label="",
            misbehaviour="every process follows the algorithm")
CRASH = Mode("crash", paper_n=3, bound=2, faulty_label="crash-prone",
             misbehaviour="a faulty process may stop at any point, even mid-send")
BYZANTINE = Mode("byzantine", paper_n=4, bound=3, faulty_label="Byzantine",
                 misbehaviour="a faulty process may send any message to anyone",
                 has_attacker=True)

#: weakest first: a target is correct only if every mode up to it is
ALL: tuple[Mode, ...] = (NONE, CRASH, BYZANTINE)
BY_NAME: dict[str, Mode] = {m.name: m for m in ALL}


def get(name: str | Mode) -> Mode:
    """The mode called `name` (OracleError if unknown)."""
    if isinstance(name, Mode):
        return name
    try:
        return BY_NAME[name]
    except KeyError:
        raise OracleError(f"unknown mode {name!r} (known: {', '.join(BY_NAME)})") from None
