"""``rbtui matrix FILE``: a candidate's generalisation matrix, one cell per (N, F).

Exit status 0 when every cell within the resilience bound is correct, 1
otherwise (a violation or a timeout there), 2 on an error.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from rbengine import matrix as matrix_mod
from rbengine import oracle
from rbengine.counterexample import Counterexample
from rbengine.scenario import MODES

from ._common import Style, add_attacker_argument, add_candidate_argument, at_least, read_candidate


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "matrix", help="verify a candidate at every (N, F): does it generalise?",
        description="Verify a candidate at every N of a range and every F from 1 to one past "
                    "the mode's resilience bound, in parallel worker processes (Dask), and "
                    "print one cell per (N, F): correct, the property violated, or timed out. "
                    "Exit status: 0 every cell within the bound correct, 1 otherwise, 2 error.")
    add_candidate_argument(p)
    p.add_argument("--n", "-N", metavar="LO..HI", default="3..10",
                   help="the range of N (default 3..10)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--target", choices=MODES, default=None,
                       help="check every mode up to this one (default: byzantine)")
    which.add_argument("--only", choices=MODES, metavar="MODE",
                       help="check this mode only (none, crash or byzantine)")
    add_attacker_argument(p)
    p.add_argument("--backend", choices=oracle.BACKENDS, default=None,
                   help="oracle backend (default: spin when installed, else builtin)")
    p.add_argument("--types", type=at_least(1), metavar="T", default=None,
                   help="message types a Byzantine process may send")
    p.add_argument("--timeout", type=float, metavar="S", default=None,
                   help="give up on a cell after S seconds (the cell reads 'timeout')")
    p.add_argument("--workers", type=int, metavar="K", default=None,
                   help="worker processes of the local Dask cluster (default: one per core)")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="an existing Dask scheduler (e.g. tcp://host:8786) instead of a "
                        "local cluster")
    p.add_argument("--counterexample", action="store_true",
                   help="also print the first failing cell's counterexample")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object: {mode, cells: [{n, f, status, ...}], ...}")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar on stderr")
    p.set_defaults(handler=run)
    return p


class Bar:
    """Cells done out of planned, on stderr: a redrawn line on a terminal,
    one line per cell otherwise."""

    def __init__(self, total: int, quiet: bool = False, stream=None):
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.total, self.quiet, self.done = total, quiet, 0
        self.t0 = time.monotonic()

    def __call__(self, m, cell) -> None:
        self.done += 1
        if self.quiet:
            return
        w = 20
        fill = int(w * self.done / max(1, self.total))
        text = (f"[{'#' * fill}{'.' * (w - fill)}] {self.done}/{self.total} cells"
                f" | N={cell.n} F={cell.f} {cell.text()} ({cell.seconds:.1f} s)"
                f" | {time.monotonic() - self.t0:.0f} s")
        if self.tty:
            self.stream.write("\r" + text.ljust(90))
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def run(args: argparse.Namespace) -> int:
    cand = read_candidate(args.file)
    lo, hi = matrix_mod.parse_range(args.n)
    target = None if args.only else (args.target or "byzantine")
    mode = matrix_mod.mode_of(target, args.only)
    if args.workers is not None and args.workers < 1:
        raise matrix_mod.MatrixError("--workers must be at least 1")
    bar = Bar(len(matrix_mod.sizes(mode, lo, hi)), quiet=args.quiet)
    m = matrix_mod.compute(cand, target=target, only=args.only, n_range=(lo, hi),
                           attacker=args.attacker, backend=args.backend, timeout=args.timeout,
                           types=args.types, workers=args.workers, scheduler=args.scheduler,
                           on_cell=bar)
    if args.json:
        print(json.dumps(m.to_json(counterexample=args.counterexample)))
    else:
        print(m.text())
        first = m.first_failure()
        if args.counterexample and first is not None and first.counterexample:
            style = Style()
            print()
            print(style.bold(f"Counterexample (N={first.n} F={first.f}):"))
            print(Counterexample.from_json(first.counterexample).text())
    return 0 if m.correct_within_bound() else 1
