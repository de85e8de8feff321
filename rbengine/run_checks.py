"""The extra checks of a finished run's report: does its answer hold beyond
the sizes it learned at, and does a second backend agree with its verdicts?

- The matrix of the run's answer (its result, else the optimisation episode's
  candidate): N from the run's smallest size to SPAN more, every F to one past
  the bound, with the run's backend and a time budget per cell, computed in
  this process one cell after another (a small matrix costs less than
  starting a Dask cluster).
- Spin's verdict on the result and the optimisation episode's candidate, at
  the run's own sizes, when the run learned with another backend and Spin is
  installed: the paper's oracle confirming the learner's.

A disagreement (Spin against the recorded verdict, or a matrix cell against
the recorded verdict of the same scenarios) means one backend is wrong: it is
listed in `disagreements`, and the commands print it as an error and exit 2.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from . import matrix as matrix_mod
from .cache import VerdictCache, oracle_key
from .candidate import Candidate
from .config import RunConfig
from .errors import OracleError
from .size import MAX_N

if TYPE_CHECKING:
    from .store import Store

SPAN = 3  # the matrix covers N from the run's smallest size to SPAN more
CELL_SECONDS = 10.0  # budget of one matrix cell
SPIN_SECONDS = 120.0  # budget of one Spin confirmation
CONFIRMER = "spin"


def spin_installed() -> bool:
    return bool(shutil.which("spin") and shutil.which("gcc"))


def _subject(report: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The run's answer: its result, else the optimisation episode's candidate."""
    for role in ("result", "final"):
        if report.get(role) is not None:
            return role, report[role]
    return None


def _matrix(cfg: RunConfig, cand: Candidate, span: int, cell_seconds: float | None,
            stop: Callable[[], bool] | None = None) -> matrix_mod.Matrix:
    lo = max(2, min(s.n for s in cfg.size_list()))
    hi = min(MAX_N, lo + span)
    m = matrix_mod.Matrix(matrix_mod.mode_of(cfg.target, None), cfg.target, None, cfg.attacker,
                          cfg.backend, lo, hi, cell_seconds)
    t0 = time.perf_counter()
    for job in matrix_mod.jobs(cand, m):
        if stop is not None and stop():
            break
        cell = matrix_mod.compute_cell(job)
        m.cells[(cell.n, cell.f)] = cell
    m.seconds = time.perf_counter() - t0
    return m


def _cell_disagreements(cfg: RunConfig, m: matrix_mod.Matrix, h: str, cache: VerdictCache) -> list[str]:
    """Cells that check exactly the scenarios of a recorded size but answer otherwise."""
    out: list[str] = []
    recorded = dict(cache.parts(h))
    for (n, f), cell in sorted(m.cells.items()):
        if cell.status not in (matrix_mod.CORRECT, matrix_mod.VIOLATED):
            continue
        rec = recorded.get(oracle_key(cfg.target, n, None if m.mode == "none" else f,
                                      cfg.attacker))
        if rec is not None and rec.correct != (cell.status == matrix_mod.CORRECT):
            said = "correct" if rec.correct else "incorrect"
            out.append(f"matrix cell N={n} F={f} ({cfg.backend}) says {cell.text()}, the run's "
                       f"recorded verdict of the same scenarios says {said}")
    return out


def _confirm(cfg: RunConfig, role: str, entry: dict[str, Any],
             seconds: float | None) -> dict[str, Any]:
    """Spin's verdict on one candidate at the run's sizes, next to the recorded one."""
    from . import oracle
    cand = Candidate.from_json(entry["candidate"])
    recorded = None if entry.get("verdict") is None else bool(entry["verdict"]["correct"])
    out: dict[str, Any] = {"role": role, "hash": entry["hash"], "recorded": recorded, "confirmer": None,
           "agrees": None, "summary": None, "seconds": 0.0, "message": None}
    deadline = None if seconds is None else time.monotonic() + seconds
    t0 = time.perf_counter()
    try:
        v = oracle.verify(cand, backend=CONFIRMER, stop_early=True,
                          cancel=None if deadline is None else (lambda: time.monotonic() > deadline),
                          **cast("dict[str, Any]", {} if seconds is None else {"timeout": seconds}),
                          **cfg.oracle_settings())
    except OracleError as exc:
        out["message"] = " ".join(str(exc).split())
    else:
        out["confirmer"], out["summary"] = v.correct, v.summary()
        out["agrees"] = None if recorded is None else v.correct == recorded
    out["seconds"] = round(time.perf_counter() - t0, 3)
    return out


def compute(store: Store, run_id: int | str, span: int = SPAN,
            cell_seconds: float | None = CELL_SECONDS,
            spin_seconds: float | None = SPIN_SECONDS, confirm: bool | None = None,
            stop: Callable[[], bool] | None = None) -> dict[str, Any] | None:
    """The checks of a run's report (None: the run has no candidate to check).

    confirm: ask Spin (None: when the run did not learn with Spin and Spin is
    installed). stop(): polled between matrix cells."""
    from .report import run_report
    report = run_report(store, run_id)
    subject = _subject(report)
    if subject is None:
        return None
    import json
    cfg = RunConfig.from_dict(json.loads(store.run(run_id)["config"]))
    role, entry = subject
    cand = Candidate.from_json(entry["candidate"])
    cache = VerdictCache(cfg.target, cfg.n, cfg.f, cfg.attacker, cfg.backend, store=store,
                         sizes=cfg.sizes)
    t0 = time.perf_counter()
    m = _matrix(cfg, cand, span, cell_seconds, stop)
    disagreements = _cell_disagreements(cfg, m, entry["hash"], cache)
    if confirm is None:
        confirm = cfg.backend != CONFIRMER and spin_installed()
    confirmation: dict[str, Any]
    if cfg.backend == CONFIRMER:
        confirmation = {"backend": CONFIRMER, "skipped": "the run learned with Spin"}
    elif not confirm:
        confirmation = {"backend": CONFIRMER, "skipped": "Spin is not installed"
                        if not spin_installed() else "not asked"}
    else:
        entries = [(r, report[r]) for r in ("result", "final") if report.get(r) is not None]
        entries = [(r, e) for i, (r, e) in enumerate(entries)
                   if e["hash"] not in {x["hash"] for _, x in entries[:i]}]
        confirmation = {"backend": CONFIRMER, "skipped": None,
                        "candidates": [_confirm(cfg, r, e, spin_seconds) for r, e in entries]}
        for c in confirmation["candidates"]:
            if c["agrees"] is False:
                disagreements.append(
                    f"Spin says the {c['role']} candidate ({c['hash'][:12]}) is "
                    f"{c['summary']}, the run's recorded verdict ({cfg.backend}) says "
                    f"{'correct' if c['recorded'] else 'incorrect'}")
    return {"role": role, "hash": entry["hash"], "sizes": [s.text() for s in cfg.size_list()],
            "matrix": m.to_json(), "confirmation": confirmation,
            "disagreements": disagreements, "seconds": round(time.perf_counter() - t0, 3)}


def record(store: Store, run_id: int | str, checks: dict[str, Any]) -> None:
    store.put_run_checks(int(store.run(run_id)["id"]), checks["hash"], checks)


def current(store: Store, run_id: int | str, report: dict[str, Any]) -> dict[str, Any] | None:
    """The recorded checks if they are about the run's present answer."""
    subject = _subject(report)
    checks = store.run_checks(int(report["id"]))
    if subject is None or checks is None or checks.get("hash") != subject[1]["hash"]:
        return None
    return checks


def text(checks: dict[str, Any]) -> str:
    """The checks as the report prints them."""
    m = matrix_mod.Matrix.from_json(checks["matrix"])
    lines = [f"generalisation of the {checks['role']} candidate "
             f"(learned at sizes {', '.join(checks['sizes'])}; "
             f"{m.timeout:g} s per cell):" if m.timeout else
             f"generalisation of the {checks['role']} candidate:", m.text()]
    conf = checks["confirmation"]
    if conf.get("skipped"):
        lines.append(f"confirmation by Spin: skipped ({conf['skipped']})")
    else:
        for c in conf["candidates"]:
            if c["confirmer"] is None:
                state = f"not confirmed ({c['message']})"
            elif c["agrees"]:
                state = f"confirmed ({c['summary']})"
            elif c["agrees"] is None:
                state = f"Spin says {c['summary']} (no recorded verdict to compare)"
            else:
                state = f"DISAGREES: Spin says {c['summary']}"
            lines.append(f"confirmation by Spin of the {c['role']} candidate: {state}, "
                         f"{c['seconds']:.1f} s")
    for d in checks["disagreements"]:
        lines.append(f"BACKENDS DISAGREE: {d}")
    return "\n".join(lines)
