"""How the checkers scale in N: the built-in and Spin backends side by side.

Byzantine mode, full attacker, every N of a range and every F within the bound
(N > 3F), on Bracha (examples/bracha.txt) and on the learned candidate of total
reward -18 (correct at N=4 F=1, the certified optimum of bench/search.py's
space (a)). Per cell and backend: seconds (median of --repeat runs when a run
is cheap), states stored by the verdict's searches, peak memory of the
process and of pan; Spin's compile time is apart (once per setting, cached).
Then Bracha's crash mode at N=7 F=2, the wall time of Bracha's generalisation
matrix (rbengine.matrix on a local Dask cluster of 2 workers), and the goals.

Each cell runs in a fresh process, killed at --timeout seconds per run (the
cell reads "timeout"), so a cell that runs out of memory or time cannot take
the others with it.

    python bench/scaling.py                       # N=4..10, 120 s per cell
    python bench/scaling.py --n 4..7 --timeout 30 --out bench/results/scaling.txt
    python bench/scaling.py --n 4..4 --quick      # a smoke run (tests/test_bench.py)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rbengine.candidate import Candidate  # noqa: E402
from rbengine.size import max_f  # noqa: E402

CANDIDATES = {
    "bracha": (ROOT / "examples" / "bracha.txt").read_text(),
    "learned-18": ("broadcast: send_myself type0\nreceive: send_all type0 if type0 from origin; "
                   "send_all type1 if type0 from (N+F)/2; deliver if type1 from F+1\n"),
}
BACKENDS = ("builtin", "spin")
#: (what, candidate, backend, n, f, limit in seconds): the goals of the project
GOALS = [
    ("built-in Bracha byzantine full N=7 F=2", "bracha", "builtin", 7, 2, 1.0),
    ("built-in Bracha byzantine full N=10 F=3", "bracha", "builtin", 10, 3, 10.0),
]


# ---------------------------------------------------------------- one cell (child process)

def _peak_mb() -> float:
    """Peak resident memory of this process and of its largest child (pan), MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


#: the other verifications of Bracha at N=7 F=2 (the single-value models, and
#: all of them together as a learning run at sizes 4:1,7:2 checks the larger one)
OTHER_MODES = [("crash mode", "crash", "full"),
               ("byzantine mode, same-value attacker", "byzantine", "same-value"),
               ("the byzantine target (none, crash, byzantine full)", "target", "full")]


def run_cell(spec: dict) -> dict:
    """Verify one (candidate, mode, N, F, backend) `repeat` times in this
    process; a run is repeated only while runs take less than `cheap` seconds."""
    from rbengine import oracle
    from rbengine.errors import OracleError
    cand = Candidate.loads(spec["notation"])
    # mode "target": the byzantine target (none, crash and byzantine), as a learner checks it
    scope = {"target": "byzantine"} if spec["mode"] == "target" else {"only": spec["mode"]}
    kw = dict(scope, n=spec["n"], f=spec["f"], attacker=spec.get("attacker", "full"),
              backend=spec["backend"])
    out = {"runs": [], "compile": 0.0}
    if spec["backend"] == "spin":
        from rbengine.oracle import spin
        t0 = time.perf_counter()
        t = spin._types(cand, None)
        for sc in oracle.plan(**{k: kw[k] for k in (*scope, "n", "f", "attacker")}):
            spin.binary(sc, t)
        out["compile"] = time.perf_counter() - t0
    for _ in range(spec["repeat"]):
        deadline = time.monotonic() + spec["timeout"]
        t0 = time.perf_counter()
        try:
            v = oracle.verify(cand, timeout=spec["timeout"],
                              cancel=lambda: time.monotonic() > deadline, **kw)
        except OracleError as exc:
            msg = " ".join(str(exc).split())
            out["error"] = ("timeout" if "time" in msg or "cancel" in msg
                            else "out of memory" if "memory" in msg else "error")
            out["message"] = msg
            break
        out["runs"].append(time.perf_counter() - t0)
        out["states"] = v.states
        out["verdict"] = "ok" if v.correct else v.failed.property
        if out["runs"][-1] > spec["cheap"]:
            break
    out["mb"] = _peak_mb()
    return out


def cell(spec: dict, hard: float) -> dict:
    """run_cell in a fresh process of its own group, killed with pan after `hard` s."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--cell", json.dumps(spec)]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=hard)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"runs": [], "error": "timeout", "message": f"killed after {hard:.0f} s"}
    if proc.returncode != 0:
        last = (stderr.strip().splitlines() or ["(no output)"])[-1]
        kind = "out of memory" if "MemoryError" in stderr or proc.returncode == -9 else "error"
        return {"runs": [], "error": kind, "message": last}
    return json.loads(stdout)


# ---------------------------------------------------------------- the table (parent)

def measure(args, name: str, mode: str, n: int, f: int, backend: str,
            attacker: str = "full") -> dict:
    spec = {"notation": CANDIDATES[name], "mode": mode, "n": n, "f": f, "backend": backend,
            "attacker": attacker, "repeat": args.repeat, "cheap": args.cheap,
            "timeout": args.timeout}
    # the in-process limit ends a run at --timeout; the kill is the backstop
    # (plus Spin's one-time compilation)
    r = cell(spec, hard=args.timeout * args.repeat + args.compile_allowance)
    r["median"] = statistics.median(r["runs"]) if r["runs"] else None
    return r


def secs(r: dict) -> str:
    if r.get("error"):
        return r["error"]
    return f"{r['median']:.3f}" + ("" if len(r["runs"]) > 1 else "*")


def row(name: str, n: int, f: int, res: dict) -> str:
    b, s = res["builtin"], res["spin"]
    ratio = (f"{s['median'] / b['median']:.1f}" if b.get("median") and s.get("median")
             else "-")
    verdicts = {r["verdict"] for r in (b, s) if r.get("verdict")}
    verdict = verdicts.pop() if len(verdicts) == 1 else ("DIFFER" if verdicts else "-")
    return (f"{name:<11} {n:>2} {f:>2}  {secs(b):>9} {b.get('states', '-'):>9} "
            f"{b.get('mb', 0):>6.0f}  {secs(s):>9} {s.get('states', '-'):>9} "
            f"{s.get('mb', 0):>6.0f} {s.get('compile', 0):>8.1f}  {ratio:>8}  {verdict}")


HEAD = (f"{'candidate':<11} {'N':>2} {'F':>2}  {'builtin s':>9} {'states':>9} {'MB':>6}  "
        f"{'spin s':>9} {'states':>9} {'MB':>6} {'compile':>8}  {'spin/bi':>8}  verdict")


def matrix_wall(args) -> tuple[float, str]:
    from rbengine import matrix
    m = matrix.compute(Candidate.loads(CANDIDATES["bracha"]), target="byzantine",
                       n_range=args.matrix_n, attacker="full", backend=args.matrix_backend,
                       timeout=args.timeout, workers=args.workers)
    return m.seconds, m.text()


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def parse_n(text: str) -> tuple[int, int]:
    from rbengine.matrix import parse_range
    return parse_range(text)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=parse_n, default=(4, 10), metavar="LO..HI",
                    help="the range of N (default 4..10)")
    ap.add_argument("--timeout", type=float, default=120.0,
                    help="seconds per run of a cell (default 120); past it: 'timeout'")
    ap.add_argument("--repeat", type=int, default=3, help="runs per cell, median (default 3)")
    ap.add_argument("--cheap", type=float, default=10.0,
                    help="a cell is repeated only while a run takes less (default 10 s)")
    ap.add_argument("--compile-allowance", type=float, default=600.0,
                    help="seconds allowed for compiling Spin's verifiers of a cell")
    ap.add_argument("--candidates", default=",".join(CANDIDATES),
                    help=f"which candidates (default {','.join(CANDIDATES)})")
    ap.add_argument("--backends", default=",".join(BACKENDS))
    ap.add_argument("--matrix-n", type=parse_n, default=None, metavar="LO..HI",
                    help="N range of the timed matrix (default: --n)")
    ap.add_argument("--matrix-backend", default="builtin")
    ap.add_argument("--workers", type=int, default=2, help="Dask workers of the matrix")
    ap.add_argument("--no-matrix", action="store_true")
    ap.add_argument("--quick", action="store_true",
                    help="one run per cell, 30 s per cell, the crash line skipped")
    ap.add_argument("--out", type=Path, default=None, help="also write the output here")
    ap.add_argument("--cell", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.cell:
        print(json.dumps(run_cell(json.loads(args.cell))))
        return 0
    if args.quick:
        args.repeat, args.timeout = 1, min(args.timeout, 30.0)
    args.matrix_n = args.matrix_n or args.n
    backends = args.backends.split(",")
    lines: list[str] = []

    def say(text: str = "") -> None:
        lines.append(text)
        print(text, flush=True)

    say("$ python3 bench/scaling.py " + " ".join(sys.argv[1:] if argv is None else argv))
    say(f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, {load()} at the start "
        "(the machine is shared with other work: medians, not means)")
    say(f"byzantine mode (both scenarios), full attacker; seconds: median of up to "
        f"{args.repeat} runs (* one run: a run past {args.cheap:g} s is not repeated); "
        f"states: stored by the verdict's searches; MB: peak resident memory of the cell's "
        f"process and of pan; compile: Spin's verifiers, once per setting (cached on disk); "
        f"{args.timeout:g} s per run")
    say()
    say(HEAD)
    table: dict = {}
    for name in args.candidates.split(","):
        for n in range(args.n[0], args.n[1] + 1):
            for f in range(1, max_f("byzantine", n) + 1):
                res = {b: (measure(args, name, "byzantine", n, f, b) if b in backends
                           else {"runs": [], "error": "-"}) for b in BACKENDS}
                table[(name, n, f)] = res
                say(row(name, n, f, res))
    if not args.quick:
        say()
        for title, mode, attacker in OTHER_MODES:
            say(f"Bracha, {title}, N=7 F=2:")
            res = {b: measure(args, "bracha", mode, 7, 2, b, attacker) for b in backends}
            for b, r in res.items():
                say(f"  {b:<8} {secs(r):>9}{'' if r.get('error') else ' s'}  "
                    f"{r.get('states', '-')} states  {r.get('mb', 0):.0f} MB  "
                    f"{r.get('verdict') or r.get('message', '')}")
            if all(r.get("median") for r in res.values()) and len(res) == 2:
                say(f"  spin/builtin {res['spin']['median'] / res['builtin']['median']:.1f}")
    goals = []
    for what, name, b, n, f, limit in GOALS:
        r = table.get((name, n, f), {}).get(b)
        if r is not None:
            got = r.get("median")
            goals.append(f"  {what} <= {limit:g} s: "
                         + (f"{got:.3f} s, {'met' if got <= limit else 'NOT met'}"
                            if got is not None else f"{r.get('error')}, NOT met"))
    r7 = table.get(("bracha", 7, 2))
    if r7 is not None and "spin" in backends and "builtin" in backends:
        s, b = r7["spin"], r7["builtin"]
        if s.get("median") and b.get("median"):
            k = s["median"] / b["median"]
            goals.append(f"  Spin Bracha N=7 F=2 without running out of memory and within 10x "
                         f"of built-in: {s['median']:.2f} s, {s['mb']:.0f} MB, "
                         f"{k:.1f}x built-in, {'met' if k <= 10 else 'NOT met'}")
        else:
            goals.append(f"  Spin Bracha N=7 F=2 without running out of memory and within 10x "
                         f"of built-in: {s.get('error')}: {s.get('message', '')}, NOT met")
    if not args.no_matrix:
        say()
        lo, hi = args.matrix_n
        say(f"Bracha's generalisation matrix, target byzantine, N={lo}..{hi}, backend "
            f"{args.matrix_backend}, {args.workers} Dask workers, {args.timeout:g} s per cell:")
        wall, text = matrix_wall(args)
        say("  " + text.replace("\n", "\n  "))
        if (lo, hi) == (4, 10) and args.workers == 2:
            goals.append(f"  Bracha matrix N=4..10 <= 60 s on 2 cores: {wall:.1f} s, "
                         f"{'met' if wall <= 60 else 'NOT met'}")
        else:
            goals.append(f"  (Bracha matrix N={lo}..{hi}: {wall:.1f} s wall time)")
    say()
    say("goals:")
    for g in goals:
        say(g)
    say(f"({load()} at the end)")
    if args.out:
        args.out.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
