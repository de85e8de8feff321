"""Sizes: the (N, F) pairs a verification covers.

An algorithm checked at one size says nothing about the others (a candidate
learned at N=4 F=1 may break at N=7 F=2), so a verification takes a list of
sizes, each checked with every mode of the target. A size is written ``N``
(each mode's maximal F for N, as a single --n does) or ``N:F``; a list is
comma-separated, e.g. ``4,7:2,10:3``.

F outside a mode's resilience bound (byzantine N <= 3F, crash N <= 2F) is
allowed and labelled: it is how one shows that a bound is tight. A faulty mode
with F = 0 (byzantine at N <= 3) is vacuous: nothing can fail, so "correct"
there says nothing about fault tolerance; callers warn about it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .errors import RbError
from .mode import get as _mode

#: The largest N a scenario may have: Spin's models keep per-process bit sets
#: in a `short` (the built-in and reference searches have no such limit; at
#: that size only time does, and every verification can be given a timeout).
MAX_N = 15


class SizeError(RbError):
    """A list of sizes that cannot be read or checked."""


@dataclass(frozen=True, order=True)
class Size:
    n: int
    f: int | None = None  # None: each mode's maximal F for n

    def f_for(self, mode: str) -> int:
        """F this size gives `mode` (none: always 0)."""
        return _mode(mode).f_for(self.n, self.f)

    def text(self) -> str:
        return str(self.n) if self.f is None else f"{self.n}:{self.f}"

    def label(self, mode: str) -> str:
        """``N=7 F=2`` as checked with `mode`."""
        return f"N={self.n} F={self.f_for(mode)}"

    def cost(self, mode: str) -> tuple[int, int]:
        """Sort key: smaller N, then smaller F, is cheaper to check."""
        return (self.n, self.f_for(mode))

    def to_json(self) -> list[int | None]:
        return [self.n, self.f]


def max_f(mode: str, n: int) -> int:
    """The largest F within `mode`'s resilience bound at N (0 for none)."""
    return _mode(mode).max_f(n)


def within_bound(mode: str, n: int, f: int) -> bool:
    """N > 3F (byzantine), N > 2F (crash); always for none."""
    return _mode(mode).within_bound(n, f)


def bound_text(mode: str) -> str:
    return _mode(mode).bound_text()


def parse_one(text: str) -> Size:
    t = text.strip()
    if not t:
        raise SizeError("empty size (write N or N:F, e.g. 4 or 7:2)")
    n_text, sep, f_text = t.partition(":")
    try:
        n = int(n_text)
        f = int(f_text) if sep else None
    except ValueError:
        raise SizeError(f"bad size {t!r} (write N or N:F, e.g. 4 or 7:2)") from None
    if not 2 <= n <= MAX_N:
        raise SizeError(f"size {t!r}: N={n} is out of range (2..{MAX_N})")
    if f is not None and not 0 <= f < n:
        raise SizeError(f"size {t!r}: F={f} is out of range for N={n} (0..{n - 1})")
    return Size(n, f)


def parse(spec: object) -> list[Size]:
    """Sizes from ``"4,7:2"``, a Size, an int, or a list of those / of [N, F] pairs.

    Duplicates are dropped; the order is kept (``ordered`` sorts)."""
    if isinstance(spec, Size):
        items = [spec]
    elif isinstance(spec, bool):
        raise SizeError(f"bad sizes {spec!r}")
    elif isinstance(spec, int):
        items = [parse_one(str(spec))]
    elif isinstance(spec, str):
        items = [parse_one(p) for p in spec.split(",")]
    elif isinstance(spec, (list, tuple)):
        items = []
        for x in spec:
            if isinstance(x, Size):
                items.append(x)
            elif isinstance(x, (list, tuple)) and len(x) == 2:
                items.append(parse_one(f"{x[0]}" + ("" if x[1] is None else f":{x[1]}")))
            elif isinstance(x, (str, int)) and not isinstance(x, bool):
                items.extend(parse(x))
            else:
                raise SizeError(f"bad size {x!r} (write N or N:F, e.g. 4 or 7:2)")
    else:
        raise SizeError(f"bad sizes {spec!r} (write e.g. 4,7:2,10:3)")
    if not items:
        raise SizeError("no size given")
    out: list[Size] = []
    for s in items:
        if s not in out:
            out.append(s)
    return out


def ordered(sizes: Iterable[Size], mode: str) -> list[Size]:
    """Cheapest first (for `mode`, the target's strongest mode)."""
    return sorted(sizes, key=lambda s: s.cost(mode))


def text(sizes: Iterable[Size]) -> str:
    return ",".join(s.text() for s in sizes)


@dataclass(frozen=True)
class Note:
    """Something a user must know about a size: ``vacuous`` or ``beyond-bound``."""

    kind: str
    mode: str
    n: int
    f: int

    def text(self) -> str:
        if self.kind == "vacuous":
            return (f"{self.mode} at N={self.n} has F=0: no process can fail, so this "
                    f"check says nothing about fault tolerance")
        return (f"{self.mode} N={self.n} F={self.f} is beyond the resilience bound "
                f"{bound_text(self.mode)}: failures there are expected")


def notes(sizes: Iterable[Size], modes: Sequence[str]) -> list[Note]:
    """The vacuous and beyond-bound (mode, N, F) of a verification, in order."""
    out: list[Note] = []
    for s in sizes:
        for mode in modes:
            if not _has_faults(mode):
                continue
            f = s.f_for(mode)
            if f == 0:
                note = Note("vacuous", mode, s.n, 0)
            elif not within_bound(mode, s.n, f):
                note = Note("beyond-bound", mode, s.n, f)
            else:
                continue
            if note not in out:
                out.append(note)
    return out


def check_label(mode: str, n: int, f: int) -> str:
    """``""``, ``"vacuous"`` or ``"beyond bound"`` for one (mode, N, F)."""
    if not _has_faults(mode):
        return ""
    if f == 0:
        return "vacuous"
    return "" if within_bound(mode, n, f) else "beyond bound"


def _has_faults(mode: str) -> bool:
    return _mode(mode).has_faults
