"""What a verdict costs, three ways, on the same candidates, side by side.

(a) the paper's method: per candidate and scenario, render a PROMELA model,
    spin -a, gcc -O2, run pan;
(b) the Spin backend: one verifier compiled per (mode, N, F, attacker, T),
    the candidate's table read at run time;
(c) the built-in backend.

Prints per mode the medians (and 90th percentiles) per candidate, the ratios
a/b and a/c, how many verdicts differ (must be 0), the costliest Byzantine
`full` candidate, and Bracha's cost.

    python bench/oracle.py                      # 200 candidates per mode
    python bench/oracle.py --count 50 --paper-count 20   # quicker
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rbengine.oracle import (  # noqa: E402
    plan,
    spin,  # noqa: E402
    verify,
)
from rbengine.sampling import corpus, reference  # noqa: E402

MODES = [("none", 3, "full"), ("crash", 3, "full"),
         ("byzantine", 4, "same-value"), ("byzantine", 4, "full")]


def paper_method(candidate, mode: str, n: int, attacker: str, workdir: Path) -> bool:
    """Render, spin -a, gcc -O2, pan, for every scenario of the mode."""
    correct = True
    for sc in plan(only=mode, n=n, attacker=attacker):
        src = spin.promela(candidate, sc)
        d = Path(tempfile.mkdtemp(dir=workdir))
        (d / "model.pml").write_text(src)
        subprocess.run(["spin", "-a", "model.pml"], cwd=d, check=True, capture_output=True)
        subprocess.run(["gcc", "-O2", *spin.CFLAGS, f"-DMEMLIM={spin.DEFAULT_MEMORY}",
                        "-o", "pan", "pan.c"], cwd=d, check=True, capture_output=True)
        out = subprocess.run(["./pan", "-m100000"], cwd=d, capture_output=True, text=True).stdout
        shutil.rmtree(d, ignore_errors=True)
        if "errors: 0" not in out:
            correct = False
    return correct


def timed(fn):
    t = time.perf_counter()
    r = fn()
    return r, time.perf_counter() - t


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def p90(xs):
    return sorted(xs)[int(0.9 * (len(xs) - 1))] if xs else float("nan")


def ms(x):
    return f"{x * 1e3:9.2f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=200, help="candidates per mode (b, c)")
    ap.add_argument("--paper-count", type=int, default=None,
                    help="candidates per mode for (a), the first of the same list (default: all)")
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args(argv)
    if not (shutil.which("spin") and shutil.which("gcc")):
        print("needs spin and gcc (apt-get install spin gcc)", file=sys.stderr)
        return 2
    cands = corpus(args.seed, args.count, "paper")
    pcount = args.count if args.paper_count is None else min(args.paper_count, args.count)
    work = Path(tempfile.mkdtemp(prefix="rbtui-bench-"))
    rows = []
    worst_full = (0.0, None, None)
    print(f"{len(cands)} candidates per mode (paper vocabulary, seed {args.seed}); "
          f"(a) on the first {pcount}", flush=True)
    try:
        for mode, n, att in MODES:
            # one-time cost of (b): compile the verifiers, outside the per-candidate timings
            t0 = time.perf_counter()
            verify(cands[0], only=mode, n=n, attacker=att, backend="spin")
            compile_s = time.perf_counter() - t0
            ta, tb, tc = [], [], []
            differ = 0
            for i, c in enumerate(cands):
                vb, db = timed(lambda: verify(c, only=mode, n=n, attacker=att, backend="spin"))
                vc, dc = timed(lambda: verify(c, only=mode, n=n, attacker=att, backend="builtin"))
                tb.append(db)
                tc.append(dc)
                if vb.correct != vc.correct:
                    differ += 1
                if i < pcount:
                    va, da = timed(lambda: paper_method(c, mode, n, att, work))
                    ta.append(da)
                    if va != vb.correct:
                        differ += 1
                if mode == "byzantine" and att == "full" and max(db, dc) > worst_full[0]:
                    worst_full = (max(db, dc), c, (db, dc, vb.states, vc.states, vc.summary()))
            rows.append((mode, n, att, ta, tb, tc, differ, compile_s))
            print(f"  {mode:9} {att:10} done: a {ms(med(ta))} ms  b {ms(med(tb))} ms  "
                  f"c {ms(med(tc))} ms", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print()
    print("per-candidate cost, median [90th percentile], milliseconds")
    print(f"{'mode':10} {'N':>2} {'attacker':10} {'(a) paper':>20} {'(b) spin':>20} "
          f"{'(c) builtin':>20} {'a/b':>7} {'a/c':>8} {'differ':>6} {'compile b':>9}")
    for mode, n, att, ta, tb, tc, differ, comp in rows:
        ab = med(ta) / med(tb) if ta else float("nan")
        ac = med(ta) / med(tc) if ta else float("nan")
        print(f"{mode:10} {n:>2} {att if mode == 'byzantine' else '-':10} "
              f"{ms(med(ta))} [{ms(p90(ta)).strip():>7}] {ms(med(tb))} [{ms(p90(tb)).strip():>7}] "
              f"{ms(med(tc))} [{ms(p90(tc)).strip():>7}] {ab:7.0f} {ac:8.0f} {differ:>6} {comp:8.1f}s")
    if worst_full[1] is not None:
        db, dc, sb, sc_, summary = worst_full[2]
        print()
        print("costliest Byzantine full candidate (N=4):")
        print("  " + worst_full[1].notation().replace("\n", "\n  "))
        print(f"  spin {db:.3f} s ({sb} states), builtin {dc:.3f} s ({sc_} states): {summary}")
    print()
    print("Bracha (T=3, origin, 2F+1), N=4:")
    b = reference("bracha")
    for mode, _n, att in MODES:
        for backend in ("spin", "builtin"):
            verify(b, only=mode, n=4, attacker=att, backend=backend)  # warm: T=3 verifiers
            v, d = timed(lambda: verify(b, only=mode, n=4, attacker=att, backend=backend))
            print(f"  {mode:9} {att if mode == 'byzantine' else '':10} {backend:8} "
                  f"{d * 1e3:9.1f} ms {v.states:>8} states  {v.summary()}")
    for backend in ("spin", "builtin"):
        v, d = timed(lambda: verify(b, target="byzantine", n=4, attacker="full", backend=backend))
        print(f"  target byzantine (full), {backend:8} {d * 1e3:9.1f} ms {v.states:>8} states  "
              f"{v.summary()}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
