"""``rbtui verify FILE``: check a candidate with the RB-Oracle.

Exit status 0 when correct, 1 when incorrect, 2 when the file or the tool fails.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from contextlib import contextmanager

from rbengine import oracle
from rbengine.errors import OracleError
from rbengine.scenario import MODES, PAPER_N
from rbengine.verdict import Check, Verdict

from . import _atomic_commit
from ._common import (
    Style,
    add_attacker_argument,
    add_candidate_argument,
    add_size_arguments,
    at_least,
    read_candidate,
)


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "verify", help="check a candidate's correctness",
        description="Check a candidate in every scenario of every failure mode up to the "
                    "target (or of one mode) and print the verdict and, when incorrect, "
                    "a counterexample. Exit status: 0 correct, 1 incorrect, 2 error.")
    add_candidate_argument(p)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--target", choices=MODES, default=None,
                       help="check every mode up to this one (default: byzantine)")
    which.add_argument("--only", choices=MODES, metavar="MODE",
                       help="check this mode only (none, crash or byzantine)")
    add_size_arguments(
        p, n_help="number of processes (default: the paper's N of the last mode: "
                  + ", ".join(f"{m} {n}" for m, n in PAPER_N.items()) + ")",
        f_help="number of faulty processes (default: floor((N-1)/2) for crash, "
               "floor((N-1)/3) for byzantine)")
    p.add_argument("--sizes", metavar="SIZES", default=None,
                   help="check several sizes, e.g. 4,7:2,10:3 (N alone: each mode's maximal "
                        "F); correct only if correct at every size. Not with --n/--f")
    add_attacker_argument(p)
    p.add_argument("--backend", choices=oracle.BACKENDS, default=None,
                   help="spin (the default when Spin and gcc are installed), builtin "
                        "(the built-in checker) or reference (unreduced, slow)")
    p.add_argument("--types", type=at_least(1), metavar="T", default=None,
                   help="message types a Byzantine process may send (default: 2, or more "
                        "when the candidate uses more)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object: {correct, candidate_hash, backend, states, "
                        "seconds, checks, sizes, notes, counterexample}")
    p.add_argument("--timeout", type=float, metavar="S", default=None,
                   help="give up after S seconds (exit status 2)")
    _atomic_commit.add_arguments(p)
    p.set_defaults(handler=run)
    return p


class _Timeout(BaseException):
    """Not an Exception, so that no backend's error handling swallows it."""


@contextmanager
def _deadline(seconds: float | None):
    """Raise OracleError when the block runs longer than `seconds` (main thread only)."""
    usable = (seconds is not None and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return
    if seconds <= 0:
        raise OracleError("--timeout must be positive")

    def on_alarm(signum, frame):
        raise _Timeout()

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Timeout:
        raise OracleError(f"verification timed out after {seconds:g} s") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run(args: argparse.Namespace) -> int:
    status = _atomic_commit.dispatch(args)
    if status is not None:
        return status
    candidate = read_candidate(args.file)
    backend = args.backend or oracle.default_backend()
    sizes = getattr(args, "sizes", None)
    if sizes is not None and (args.n is not None or args.f is not None):
        raise OracleError("give --sizes or --n/--f, not both")
    target = args.target or "byzantine"
    oracle.plan(target, args.only, args.n, args.f, args.attacker, sizes)  # bad sizes: exit 2
    for note in oracle.notes(target, args.only, args.n, args.f, sizes):
        print(f"rbtui: warning: {note.text()}", file=sys.stderr)
    if args.types is not None and args.types < candidate.types():
        print(f"rbtui: note: --types {args.types} is raised to {candidate.types()}: the "
              f"candidate uses type{candidate.types() - 1} (docs/semantics.md §1)", file=sys.stderr)
    try:
        with _deadline(args.timeout):
            verdict = oracle.verify(candidate, target=target, only=args.only,
                                    n=args.n, f=args.f, attacker=args.attacker,
                                    backend=backend, types=args.types, sizes=sizes)
    except ImportError as exc:
        raise OracleError(f"backend {backend!r} is not available ({exc})") from None
    if args.json:
        print(json.dumps(as_json(verdict)))
    else:
        print(human(verdict, Style()))
    return 0 if verdict.correct else 1


def as_json(verdict: Verdict) -> dict:
    """The verdict with what the human output's first line also says: which
    candidate (its hash, as in the store) and which backend judged it."""
    return {"correct": verdict.correct, "candidate_hash": verdict.candidate_hash,
            "backend": verdict.backend, "states": verdict.states,
            "seconds": round(verdict.seconds, 6),
            **{k: v for k, v in verdict.to_json().items() if k != "correct"}}


def _mode(c: Check) -> str:
    return f"{c.mode} ({c.attacker})" if c.attacker else c.mode


def _label(c: Check) -> str:
    return f" ({c.label})" if c.label else ""


def human(verdict: Verdict, style: Style | None = None) -> str:
    style = style or Style()
    head = style.good("correct") if verdict.correct else style.bad(verdict.summary())
    info = (f"candidate {verdict.candidate_hash}, backend {verdict.backend}, "
            f"{verdict.states} states, {verdict.seconds:.2f} s")
    lines = [f"{head}  {style.dim(info)}"]
    width = max((len(_mode(c)) for c in verdict.checks), default=0)
    per = verdict.per_size()
    several = len(per) > 1
    for entry in per:
        if several:
            ok = entry["correct"]
            word = ("correct" if ok else "incorrect") if ok is not None else "not checked"
            paint = style.good if ok else (style.bad if ok is False else style.dim)
            lines.append(f"size {entry['size']}: {paint(word)}"
                         + (style.dim(f"  {entry['states']} states, {entry['seconds']:.2f} s")
                            if entry["checks"] else ""))
        for c in entry["checks"]:
            plain = "correct" if c.correct else f"incorrect: {c.property}"
            pad = " " * max(0, 20 - len(plain))
            result = (style.good if c.correct else style.bad)(plain) + pad
            lines.append(f"  {_mode(c):<{width}}  N={c.n} F={c.f}  {c.scenario:<19}  {result}"
                         f"  {c.states:>8} states  {c.seconds:6.2f} s{style.dim(_label(c))}")
    cx = verdict.counterexample
    if cx is not None:
        lines.append("")
        lines.append(style.bold("Counterexample:"))
        lines.append(cx.text())
    return "\n".join(lines)
