"""P1-P5 of the paper's appendix and the classical validity V (the contract §5).

A process's record is (vote, flags): flags bit 1 = reached COMMIT, bit 2 =
reached ABORT. `crashed` is the paper's L.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from ..errors import RbError

REACHED_COMMIT, REACHED_ABORT = 1, 2

PROPERTY_SETS = {
    "classical": ("P1", "V", "P3", "P4", "P5"),
    "paper": ("P1", "P2", "P3", "P4", "P5"),
}
DEFAULT_SET = "classical"
SAFETY = ("P1", "P2", "V", "P3")
LIVENESS = ("P4", "P5")

DESCRIPTION = {
    "P1": "no process reaches both COMMIT and ABORT",
    "P2": "a process that voted LOCAL_ABORT never reaches COMMIT",
    "V": "a process reaches COMMIT only if every process voted LOCAL_COMMIT",
    "P3": "no process reaches COMMIT while another reaches ABORT",
    "P4": "without crashes, if some process voted LOCAL_ABORT every process decides abort",
    "P5": "without crashes, if every process voted LOCAL_COMMIT every process decides commit",
}

DECISIONS = ("FINAL_UNDECIDED", "FINAL_COMMIT", "FINAL_ABORT", "FINAL_CONFLICTING")


class PropertyError(RbError):
    """An unknown property set or property name."""


def property_set(name_or_names: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(name_or_names, str):
        if name_or_names not in PROPERTY_SETS:
            raise PropertyError(f"unknown property set {name_or_names!r} "
                                f"(known: {', '.join(PROPERTY_SETS)})")
        return PROPERTY_SETS[name_or_names]
    props = tuple(name_or_names)
    for p in props:
        if p not in DESCRIPTION:
            raise PropertyError(f"unknown property {p!r} (known: {', '.join(DESCRIPTION)})")
    return props


def decision(flags: int) -> str:
    return DECISIONS[flags]


def violated_safety(votes: Sequence[int], flags: Sequence[int], props: Iterable[str]) -> str | None:
    """The first safety property of `props` the records violate (monotone in flags)."""
    for p in props:
        if p == "P1":
            if any(f == 3 for f in flags):
                return p
        elif p == "P2":
            if any(v == 1 and f & 1 for v, f in zip(votes, flags)):
                return p
        elif p == "V":
            if any(votes) and any(f & 1 for f in flags):
                return p
        elif p == "P3":
            if any(f & 1 for f in flags) and any(f & 2 for f in flags):
                return p
    return None


def violated_liveness(votes: Sequence[int], flags: Sequence[int], crashed: bool,
                      props: Iterable[str]) -> str | None:
    """P4/P5, judged after the last round of a run."""
    if crashed:
        return None
    for p in props:
        if p == "P4":
            if any(votes) and any(f != 2 for f in flags):
                return p
        elif p == "P5":
            if not any(votes) and any(f != 1 for f in flags):
                return p
    return None


def violated(votes: Sequence[int], flags: Sequence[int], crashed: bool,
             props: Iterable[str]) -> str | None:
    return violated_safety(votes, flags, props) or violated_liveness(votes, flags, crashed, props)


def reward(votes: Sequence[int], flags: Sequence[int], crashed: bool,
           props: Collection[str]) -> list[float]:
    """Per-process final reward: the paper's rules 1-6 (contract §6)."""
    any_commit = any(f & 1 for f in flags)
    any_abort = any(f & 2 for f in flags)
    global_bad = ("P3" in props and any_commit and any_abort) or \
                 ("V" in props and any(votes) and any_commit)
    out: list[float] = []
    for v, f in zip(votes, flags):
        bad = global_bad or ("P1" in props and f == 3) or ("P2" in props and v == 1 and f & 1)
        if not crashed:
            if "P4" in props and any(votes) and any(g != 2 for g in flags):
                bad = True
            if "P5" in props and not any(votes) and any(g != 1 for g in flags):
                bad = True
        if bad:
            out.append(-2000.0)
        elif not crashed:
            out.append(100.0)
        elif f == 0:
            out.append(-0.5)
        else:
            out.append(0.0)
    return out
