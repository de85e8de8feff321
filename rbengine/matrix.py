"""The generalisation matrix: a candidate's verdict at every (N, F).

One cell per N and per F from 1 to one past the mode's resilience bound (the
last column shows whether the bound is tight); under the none mode F is 0.
Each cell is an independent verification of the target (or of one mode) at
that size: correct, the property violated, or timed out, with seconds and
states. Cells are computed in parallel through rbengine.fanout, cheapest
first, and reported as they complete; the CLI and the app share this module.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from .candidate import Candidate
from .errors import OracleError, RbError
from .mode import get as get_mode
from .scenario import MODES, modes_for_target
from .size import MAX_N, max_f, within_bound

if TYPE_CHECKING:
    from .verdict import Check

CORRECT, VIOLATED, TIMEOUT, ERROR = "correct", "violated", "timeout", "error"


class MatrixError(RbError):
    """A matrix that cannot be computed as asked (bad range, bad mode)."""


def parse_range(text: str) -> tuple[int, int]:
    """``3..10`` (or ``3-10``, or one N) to (low, high)."""
    t = str(text).strip()
    for sep in ("..", "-"):
        if sep in t:
            lo_t, _, hi_t = t.partition(sep)
            break
    else:
        lo_t = hi_t = t
    try:
        lo, hi = int(lo_t), int(hi_t)
    except ValueError:
        raise MatrixError(f"bad range {text!r} (write e.g. 3..10)") from None
    if not 2 <= lo <= hi <= MAX_N:
        raise MatrixError(f"range {text!r} must be within 2..{MAX_N}, low to high")
    return lo, hi


def mode_of(target: str | None, only: str | None) -> str:
    """The mode whose bound the columns follow: `only`, else the target's strongest."""
    if only is not None:
        if only not in MODES:
            raise MatrixError(f"unknown mode {only!r} (known: {', '.join(MODES)})")
        return only
    return modes_for_target(target or "byzantine")[-1]


def sizes(mode: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """The (N, F) of the cells, cheapest first: F in 1..max_f(N)+1 (and F < N)."""
    out: list[tuple[int, int]] = []
    for n in range(lo, hi + 1):
        fs = range(1, min(max_f(mode, n) + 1, n - 1) + 1) if get_mode(mode).has_faults else [0]
        out.extend((n, f) for f in fs)
    return sorted(out, key=lambda nf: (nf[0] + 3 * nf[1], nf))


@dataclass
class Cell:
    n: int
    f: int
    status: str  # correct | violated | timeout | error
    within_bound: bool
    property: str | None = None
    scenario: str | None = None  # the failing scenario, "mode name"
    seconds: float = 0.0
    states: int = 0
    message: str | None = None  # timeout/error text
    counterexample: dict[str, Any] | None = None  # Counterexample.to_json() of a violated cell
    verdict: dict[str, Any] | None = None  # Verdict.to_json() without the counterexample

    def text(self) -> str:
        if self.status == CORRECT:
            return "ok"
        if self.status == VIOLATED:
            return self.property or "violated"
        return self.status

    def to_json(self, counterexample: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {
            "n": self.n, "f": self.f, "status": self.status, "within_bound": self.within_bound,
            "property": self.property, "scenario": self.scenario,
            "seconds": round(self.seconds, 4), "states": self.states, "message": self.message}
        if counterexample:
            d["counterexample"] = self.counterexample
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Cell":
        return cls(d["n"], d["f"], d["status"], d["within_bound"], d.get("property"),
                   d.get("scenario"), d.get("seconds", 0.0), d.get("states", 0),
                   d.get("message"), d.get("counterexample"))


@dataclass(frozen=True)
class Job:
    """Everything one cell needs, picklable for a Dask worker."""

    candidate: dict[str, Any]  # Candidate.to_json()
    target: str | None
    only: str | None
    n: int
    f: int
    attacker: str
    backend: str
    timeout: float | None
    types: int | None = None


def compute_cell(job: Job, cancel: Callable[[], bool] | None = None) -> Cell:
    """Verify one (N, F): runs on a worker; a timeout or a failing tool is a
    cell status, not an exception, so the other cells go on. cancel(): True
    abandons the cell (the caller then ignores what is returned)."""
    from . import oracle
    cand = Candidate.from_json(job.candidate)
    mode = mode_of(job.target, job.only)
    inside = within_bound(mode, job.n, job.f)
    deadline = None if job.timeout is None else time.monotonic() + job.timeout

    def late() -> bool:
        return (deadline is not None and time.monotonic() > deadline) or \
            (cancel is not None and cancel())

    options: dict[str, float] = {} if job.timeout is None else {"timeout": job.timeout}
    t0 = time.perf_counter()
    try:
        v = oracle.verify(cand, target=job.target, only=job.only, n=job.n,
                          f=job.f if get_mode(mode).has_faults else None, attacker=job.attacker,
                          backend=job.backend, stop_early=True, types=job.types,
                          cancel=late, **options)
    except OracleError as exc:
        secs = time.perf_counter() - t0
        msg = " ".join(str(exc).split())
        timed_out = late() or "time" in msg.lower()
        return Cell(job.n, job.f, TIMEOUT if timed_out else ERROR, inside, seconds=secs,
                    message=msg)
    secs = time.perf_counter() - t0
    data = v.to_json()
    data.pop("counterexample", None)
    if v.correct:
        return Cell(job.n, job.f, CORRECT, inside, seconds=secs, states=v.states, verdict=data)
    bad = cast("Check", v.failed)  # incorrect: some check failed
    cx = v.counterexample
    return Cell(job.n, job.f, VIOLATED, inside, bad.property, f"{bad.mode} {bad.scenario}",
                secs, v.states, counterexample=cx.to_json() if cx else None, verdict=data)


@dataclass
class Matrix:
    """The cells of one candidate, with what they were computed for."""

    mode: str
    target: str | None
    only: str | None
    attacker: str
    backend: str
    lo: int
    hi: int
    timeout: float | None = None
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)  # (n, f) -> Cell
    seconds: float = 0.0  # wall time

    @property
    def planned(self) -> list[tuple[int, int]]:
        return sizes(self.mode, self.lo, self.hi)

    @property
    def done(self) -> bool:
        return all(nf in self.cells for nf in self.planned)

    def first_failure(self) -> Cell | None:
        """The cheapest violated cell within the bound (else beyond it)."""
        bad = [c for nf, c in sorted(self.cells.items(), key=lambda kv: sizes_key(kv[0]))
               if c.status == VIOLATED]
        inside: list[Cell | None] = [c for c in bad if c.within_bound]
        return (inside or bad or [None])[0]

    def correct_within_bound(self) -> bool:
        """Every cell within the resilience bound computed and correct."""
        return all(self.cells.get(nf) is not None and self.cells[nf].status == CORRECT
                   for nf in self.planned if within_bound(self.mode, *nf))

    def columns(self) -> list[int]:
        return sorted({f for _, f in self.planned})

    def text(self) -> str:
        """Rows N, columns F; ``*`` marks F beyond the bound."""
        cols = self.columns()
        width = 22
        head = "N \\ F " + "".join(f"{f}".ljust(width) for f in cols)
        m = get_mode(self.mode)
        lines = [f"{self.target or self.only} matrix"
                 + (f" ({self.attacker})" if m.has_attacker else "")
                 + f", backend {self.backend}, N={self.lo}..{self.hi}"
                 + (f"; * = beyond the bound {m.bound_text()}" if m.has_faults else ""),
                 head.rstrip()]
        planned = set(self.planned)
        for n in range(self.lo, self.hi + 1):
            row = f"{n:<6}"
            for f in cols:
                if (n, f) not in planned:
                    row += "".ljust(width)
                    continue
                c = self.cells.get((n, f))
                mark = "" if within_bound(self.mode, n, f) else "*"
                if c is None:
                    cell = "..."
                else:
                    cell = f"{c.text()}{mark} {c.seconds:.1f}s"
                    if c.status in (CORRECT, VIOLATED):
                        cell += f" {c.states}"
                row += cell.ljust(width)
            lines.append(row.rstrip())
        n_ok = sum(1 for c in self.cells.values() if c.status == CORRECT)
        lines.append(f"{n_ok}/{len(planned)} cells correct; wall time {self.seconds:.1f} s; "
                     + ("correct at every size within the bound" if self.correct_within_bound()
                        else "NOT correct at every size within the bound"))
        return "\n".join(lines)

    def to_json(self, counterexample: bool = False) -> dict[str, Any]:
        first = self.first_failure()
        return {"mode": self.mode, "target": self.target, "only": self.only,
                "attacker": self.attacker, "backend": self.backend,
                "n": [self.lo, self.hi], "timeout": self.timeout,
                "seconds": round(self.seconds, 3),
                "correct_within_bound": self.correct_within_bound(),
                "cells": [self.cells[nf].to_json() for nf in self.planned if nf in self.cells],
                "counterexample": (first.counterexample if counterexample and first else None)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Matrix":
        m = cls(d["mode"], d.get("target"), d.get("only"), d["attacker"], d["backend"],
                d["n"][0], d["n"][1], d.get("timeout"), seconds=d.get("seconds", 0.0))
        for c in d.get("cells", ()):
            m.cells[(c["n"], c["f"])] = Cell.from_json(c)
        return m


def sizes_key(nf: tuple[int, int]) -> tuple[int, tuple[int, int]]:
    return (nf[0] + 3 * nf[1], nf)


def jobs(candidate: Candidate, matrix: Matrix, types: int | None = None) -> list[Job]:
    cj = candidate.to_json()
    return [Job(cj, matrix.target, matrix.only, n, f, matrix.attacker, matrix.backend,
                matrix.timeout, types) for n, f in matrix.planned]


def compute(candidate: Candidate, target: str | None = "byzantine", only: str | None = None,
            n_range: tuple[int, int] = (3, 10), attacker: str = "full",
            backend: str | None = None, timeout: float | None = None, types: int | None = None,
            workers: int | None = None, scheduler: str | None = None,
            on_cell: Callable[[Matrix, Cell], object] | None = None,
            stop: Callable[[], bool] | None = None) -> Matrix:
    """Compute every cell on a Dask cluster (rbengine.fanout).

    on_cell(matrix, cell): called in this thread as each cell completes.
    stop(): polled between cells; True abandons the rest (cells not done
    stay missing; the matrix is returned as it is)."""
    from .fanout import Fanout
    from .oracle import default_backend
    if only is not None:
        target = None
    mode = mode_of(target, only)
    lo, hi = n_range
    if not 2 <= lo <= hi <= MAX_N:
        raise MatrixError(f"N range {lo}..{hi} must be within 2..{MAX_N}")
    if timeout is not None and timeout <= 0:
        raise MatrixError("the cell timeout must be positive")
    m = Matrix(mode, target, only, attacker, backend or default_backend(), lo, hi, timeout)
    todo = jobs(candidate, m, types)
    t0 = time.perf_counter()
    with Fanout(workers=workers, scheduler=scheduler) as fan:
        for _, cell in fan.map(compute_cell, todo):
            m.cells[(cell.n, cell.f)] = cell
            m.seconds = time.perf_counter() - t0
            if on_cell is not None:
                on_cell(m, cell)
            if stop is not None and stop():
                break
    m.seconds = time.perf_counter() - t0
    return m
