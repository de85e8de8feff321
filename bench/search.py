"""The exhaustive search (rbtui search) measured: the speedup of 2 Dask workers
over 1, candidates verified per second per backend, and certified optima.

    python bench/search.py                        # everything, full sizes (hours for (b))
    python bench/search.py --small                # a quick run: small spaces, short budgets
    python bench/search.py --only speedup --speed-space crash --limit 0 --repeat 3
    python bench/search.py --only optima --db optima.sqlite --budget 3600   # resumable

Parts (--only, repeatable):
  speedup  the same search (--all, a fresh store each time) on a LocalCluster
           of 1 and of 2 workers, and in this process without Dask; medians
           of --repeat runs side by side, and the ratios (goal: 2 workers at
           least 1.8x faster than 1)
  rate     candidates verified per second by each backend on 2 workers
  verdict  what a search's check of one candidate costs when the backend is
           asked for a shortest counterexample and when it is asked for the
           verdict only (what searches and learning runs ask for): the same
           random candidates of optimum (b)'s space, both ways side by side
  optima   the certified cheapest correct candidates of
           (a) the sound vocabulary, full attacker, N=4 F=1, GH6 maximum 4
           (b) the 5-action space (GH6 maximum 5) at sizes N=4 F=1 and N=7 F=2
           each recorded in --db, so a search cut by --budget continues there
           next time; a search that does not finish reports how far it got and
           what the rest would cost on a cluster (--cluster-cores)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rbengine.config import RunConfig  # noqa: E402
from rbengine.fanout import Fanout, Serial  # noqa: E402
from rbengine.search import Search, histogram_text, report  # noqa: E402
from rbengine.space import Space, identity_key  # noqa: E402
from rbengine.store import Store  # noqa: E402

#: Spaces for the speedup and the rates: (description, configuration).
SPEED_SPACES = {
    "crash": {"target": "crash"},  # 20,460 candidates, N=3
    "crash-small": {"target": "crash", "heuristics": {"GH6": {"max": 3}}},  # 630
    # the sound vocabulary with 4 actions per handler: 113,658 candidates, N=4, about
    # 3 ms each (with 5, the default, 6.9 million, whose enumeration alone is minutes)
    "byzantine-sound": {"target": "byzantine", "vocabulary": "sound",
                        "heuristics": {"GH6": {"max": 4}}},
    "byzantine-small": {"target": "byzantine", "vocabulary": "sound",
                        "heuristics": {"GH6": {"max": 3}}},
}
OPTIMA = {
    "a": ("sound vocabulary, full attacker, N=4 F=1, GH6 maximum 4",
          {"target": "byzantine", "vocabulary": "sound", "attacker": "full", "n": 4, "f": 1,
           "heuristics": {"GH6": {"max": 4}}}),
    "b": ("5-action space (sound, GH6 maximum 5), sizes N=4 F=1 and N=7 F=2",
          {"target": "byzantine", "vocabulary": "sound", "attacker": "full",
           "sizes": "4:1,7:2", "heuristics": {"GH6": {"max": 5}}}),
}


def _fan(workers: int | None, scheduler: str | None):
    if scheduler:
        return Fanout(scheduler=scheduler)
    return Serial() if workers == 0 else Fanout(workers=workers)


def timed_search(cfg: RunConfig, fan, space: Space, limit: int | None = None,
                 batch: int | None = None) -> tuple[float, int, float, float]:
    """(seconds, candidates verified, worker seconds, steady rate) of one --all
    search in a fresh store, on `fan` (a Fanout or Serial already entered);
    `limit`: stop after about that many candidates. The steady rate counts
    from the first batch past a tenth of the candidates to the last: what a
    search of hours runs at, without the first small batches (a search sizes
    its batches by the first ones' cost) nor the time to first results."""
    with tempfile.TemporaryDirectory() as d, Store(Path(d) / "bench.sqlite") as st:
        s = Search.start(st, cfg, all_=True, space=space)
        busy = [0.0]
        marks: list[tuple[float, int]] = []

        def on_batch(k, result):
            busy[0] += result["seconds"]
            marks.append((time.perf_counter(), s.verified))
            if limit and s.verified >= limit:
                s.stop()

        t0 = time.perf_counter()
        s.execute(fan, batch=batch, on_batch=on_batch)
        seconds = time.perf_counter() - t0
        tenth = (limit or s.verified) / 10
        start = next((m for m in marks[:-1] if m[1] >= tenth), (t0, 0))
        end = marks[-1] if marks else (t0 + seconds, s.verified)
        steady = (end[1] - start[1]) / (end[0] - start[0]) if end[0] > start[0] else 0.0
        return seconds, s.verified, busy[0], steady


def settle(fan) -> None:
    """Wait until no task of an earlier search still runs on the cluster: a
    stopped search cancels its tasks in flight, but a batch already running
    finishes, and would slow the next timed search down."""
    client = getattr(fan, "client", None)
    while client is not None and any(client.processing().values()):
        time.sleep(0.05)


def timed_on_cluster(cfg: RunConfig, workers: int | None, space: Space, limit: int,
                     repeat: int, batch: int | None = None
                     ) -> tuple[list[tuple[float, int, float, float]], float]:
    """`repeat` timed searches on one cluster of `workers` (0: this process,
    no Dask), after a warm-up search that loads the oracle on every worker;
    and the seconds the cluster took to start and stop, which a search pays
    once however long it runs, so they are reported apart."""
    t0 = time.perf_counter()
    fan = _fan(workers, None)
    with fan:
        started = time.perf_counter() - t0
        timed_search(cfg, fan, space, limit=min(limit, 50 * max(1, workers or 1)))
        runs = []
        for _ in range(repeat):
            settle(fan)
            runs.append(timed_search(cfg, fan, space, limit=limit, batch=batch))
        t1 = time.perf_counter()
    return runs, started + time.perf_counter() - t1


def speedup(args) -> list[str]:
    """This process, 1 worker and 2 workers side by side, as `rbtui search`
    runs: each timed search on a cluster of its own, started for it (its start
    reported apart) and warmed up by a short search that loads the oracle on
    every worker. The three setups take turns (this process, 1, 2, this
    process, ...), so a slower minute of a shared machine falls on all three
    alike; medians of --repeat turns. (Several searches on one long-lived
    cluster, or clusters kept alive side by side, measured 1.3-1.6x here
    where fresh clusters measure about 2x: the bench measures the command.)"""
    cfg = RunConfig.from_dict(dict(SPEED_SPACES[args.speed_space], backend=args.backend))
    space = Space(cfg)
    limit = min(args.limit or len(space), len(space))
    lines = [f"speedup: {args.speed_space} ({len(space)} candidates, first {limit} "
             f"verified), backend {cfg.backend}, {args.repeat} turn(s), medians; each "
             f"search on a cluster of its own, started for it (its start apart), the three "
             f"setups taking turns"]
    setups = (("in this process", 0), ("1 worker", 1), ("2 workers", 2))
    runs: dict[int, list[tuple[float, int, float, float]]] = {w: [] for _, w in setups}
    started: dict[int, list[float]] = {w: [] for _, w in setups}
    for _ in range(args.repeat):
        for _, w in setups:
            timed, start = timed_on_cluster(cfg, w, space, limit, 1, args.batch)
            runs[w] += timed
            started[w].append(start)
    rate = {}
    for label, w in setups:
        secs = statistics.median(r[0] for r in runs[w])
        rate[w] = statistics.median(r[3] for r in runs[w])
        busy = statistics.median(r[2] / r[0] for r in runs[w])
        per = statistics.median(1000 * r[2] / r[1] for r in runs[w])
        extra = "" if w == 0 else (f"; workers busy {busy:.2f} of {w}; cluster start and "
                                   f"stop {statistics.median(started[w]):.1f} s")
        lines.append(f"  {label:<16} {secs:8.2f} s  {rate[w]:8.0f} candidates/s steady, "
                     f"{overall(runs, w):.0f} overall  "
                     f"({per:.2f} ms of oracle per candidate{extra})")
    lines.append(f"  2 workers over 1: {rate[2] / rate[1]:.2f}x steady (goal >= 1.8x), "
                 f"{overall(runs, 2) / overall(runs, 1):.2f}x overall; "
                 f"1 worker over this process: {rate[1] / rate[0]:.2f}x")
    lines.append("  2 workers over 1, each turn: " + "; ".join(
        f"{runs[2][i][3] / runs[1][i][3]:.2f}x" for i in range(args.repeat)))
    return lines


def overall(runs: dict[int, list[tuple[float, int, float, float]]], w: int) -> float:
    """The median rate of a setup's whole timed searches (start to stop)."""
    return statistics.median(r[1] / r[0] for r in runs[w])


def rates(args) -> list[str]:
    lines = [f"candidates per second on {args.workers or 2} workers ({args.rate_space}, "
             f"--all, first {args.limit or 'all'} candidates)"]
    for backend in args.backends.split(","):
        cfg = RunConfig.from_dict(dict(SPEED_SPACES[args.rate_space], backend=backend))
        space = Space(cfg)
        limit = args.limit or len(space)
        runs, _ = timed_on_cluster(cfg, args.workers or 2, space, limit, args.repeat,
                                   args.batch)
        secs = statistics.median(r[0] for r in runs)
        k = statistics.median(r[1] for r in runs)
        busy = statistics.median(r[2] for r in runs)
        lines.append(f"  {backend:<10} {k / secs:8.0f} candidates/s  ({k} in {secs:.2f} s; "
                     f"{1000 * busy / k:.2f} ms of worker time per candidate)")
    return lines


def verdict_cost(args) -> list[str]:
    """Shortest trails against verdict only, on the same candidates: each
    candidate checked both ways in turn (which goes first alternates), as a
    search checks it (sizes cheapest first, stopping at the first failure)."""
    import random

    from rbengine.oracle import verify
    d = OPTIMA["b"][1] if args.verdict_space == "b" else SPEED_SPACES[args.verdict_space]
    cfg = RunConfig.from_dict(dict(d, backend=args.backend))
    space = Space.of(cfg)
    rng = random.Random(args.seed)
    levels = [r for r in space.rewards if r >= -28]  # up to the learning runs' -28 (optimum (b) is -24)
    packed = [p for r in levels for p in space._levels[r]]
    count = min(len(packed), args.verdict_count)
    cands = [space.candidate(space.unpack(p)) for p in rng.sample(packed, count)]
    times: dict[bool, list[float]] = {True: [], False: []}
    differ = 0
    for i, c in enumerate(cands):
        verdicts = {}
        for shortest in ((True, False) if i % 2 == 0 else (False, True)):
            t0 = time.perf_counter()
            v = verify(c, target=cfg.target, attacker=cfg.attacker, backend=cfg.backend,
                       sizes=cfg.sizes, stop_early=True, shortest=shortest)
            times[shortest].append(time.perf_counter() - t0)
            verdicts[shortest] = (v.correct, [(ch.scenario, ch.property) for ch in v.checks])
        differ += verdicts[True] != verdicts[False]
    where = "optimum (b)'s space" if args.verdict_space == "b" else args.verdict_space
    lines = [f"a search's check, shortest counterexample vs verdict only ({args.backend}; "
             f"{count} random candidates of {where} with a total reward of -28 or better, "
             f"seed {args.seed}; sizes {cfg.sizes or cfg.n_value}, stopping at the first "
             f"failure)"]
    for shortest, label in ((True, "shortest"), (False, "verdict only")):
        t = times[shortest]
        lines.append(f"  {label:<13} median {1000 * statistics.median(t):8.2f} ms  mean "
                     f"{1000 * statistics.fmean(t):8.2f} ms  max {1000 * max(t):9.1f} ms  "
                     f"total {sum(t):7.2f} s")
    lines.append(f"  shortest / verdict only: {sum(times[True]) / sum(times[False]):.1f}x in total, "
                 f"{statistics.median(times[True]) / statistics.median(times[False]):.1f}x "
                 f"at the median; verdicts that differ: {differ} (must be 0)")
    return lines


def optimum(args, which: str) -> list[str]:
    title, d = OPTIMA[which]
    cfg = RunConfig.from_dict(dict(d, backend=args.backend))
    with Store(args.db) as st:
        key = identity_key(cfg)
        rows = [r for r in st.searches() if r["space"] == key]
        t0 = time.perf_counter()
        if rows and rows[-1]["status"] == "finished":
            s = None
            sid = rows[-1]["id"]
        else:
            s = Search.resume(st, rows[-1]["id"]) if rows else Search.start(st, cfg)
            sid = s.id
            timer = threading.Timer(args.budget, s.stop) if args.budget else None
            with _fan(args.workers, args.scheduler) as fan:
                if timer:
                    timer.start()
                try:
                    s.execute(fan, batch=args.batch)
                finally:
                    if timer:
                        timer.cancel()
        rep = report(st, sid)
    wall = time.perf_counter() - t0
    lines = [f"optimum ({which}) {title}: search s{sid} in {args.db}, {rep['status']}, "
             f"{rep['verified']}/{rep['total']} candidates verified, {rep['seconds']:.0f} s "
             f"of search in all ({wall:.0f} s now)"]
    hist = [(h["reward"], h["correct"], h["incorrect"], h["candidates"])
            for h in rep["histogram"] if h["correct"] + h["incorrect"]]
    lines += ["  " + ln for ln in histogram_text(hist).splitlines()]
    if rep["optimum"] is not None:
        lines.append(f"  certified optimum: total reward {rep['optimum']:g}")
        for c in rep["certified"]:
            m = c["metrics"]
            lines.append(f"    {c['reward']:g}; ({m['messages_n']}, {m['steps']}, "
                         f"{m['to_deliver_n']}): {c['notation'].replace(chr(10), ' | ')}")
    elif rep["status"] != "finished" and rep["verified"]:
        lines += estimate(args, rep, sid, s)
    if s is not None:
        lines.append(f"  decided by a renaming of types (rbengine.renaming) in this "
                     f"invocation: {s.renamed}")
    return lines


def estimate(args, rep: dict, sid: int, s) -> list[str]:
    """What the rest of an unfinished search costs: per size, the checks made
    so far (how many, mean seconds, how many correct) from the verdict cache;
    a candidate is checked at a size only when it is correct at the cheaper
    ones, so the rest costs (candidates left) x sum over sizes of (share
    reaching the size x mean seconds there)."""
    from rbengine.search import make_cache
    cfg = RunConfig.from_dict(rep["config"])
    cache = make_cache(cfg)
    with Store(args.db, readonly=True) as st:
        rows = {r["oracle_key"]: r for r in st._q(
            "SELECT oracle_key, count(*) AS k, avg(seconds) AS s, sum(correct) AS ok "
            "FROM verdicts WHERE candidate_hash IN (SELECT candidate_hash FROM search_verdicts "
            "WHERE search_id = ?) GROUP BY oracle_key", (sid,))}
    out = []
    reach, per = 1.0, 0.0
    for size, key in cache.sizes:
        r = rows.get(key)
        if r is None or not r["k"]:
            out.append(f"  size {size.text()}: no check yet (its cost is unknown)")
            continue
        per += reach * r["s"]
        out.append(f"  size {size.text()}: {r['k']} checks, {r['s'] * 1000:.1f} ms each on "
                   f"average, {r['ok']} correct")
        reach *= r["ok"] / r["k"]
    best = -s.best()[1][0] if s is not None and s.best() is not None else None
    need = sum(h["candidates"] for h in rep["histogram"] if best is None or h["reward"] >= best)
    rest = max(0, need - rep["verified"])
    hours = rest * per / 3600
    so_far = ("no correct candidate yet" if best is None else
              f"the cheapest correct found so far has total reward {best:g}")
    out.append(f"  not finished; {so_far}; {rest} candidates at most left to certify the "
               f"optimum, about {per * 1000:.1f} "
               f"ms each (the sizes weighted by the share of candidates reaching them): "
               f"{hours:.1f} core-hours, {hours / args.cluster_cores * 60:.1f} min on "
               f"{args.cluster_cores} cores (a lower bound while a size has no check yet)")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", action="append",
                    choices=("speedup", "rate", "verdict", "optima"),
                    help="the parts to run (default: all)")
    ap.add_argument("--small", action="store_true",
                    help="a quick run: small spaces, 1 repeat, 30 s budget per optimum")
    # byzantine: about 3 ms per candidate, so the one process that enumerates and
    # records (and hosts the scheduler) stays a small share of the work
    ap.add_argument("--speed-space", choices=sorted(SPEED_SPACES), default="byzantine-sound")
    ap.add_argument("--rate-space", choices=sorted(SPEED_SPACES), default="byzantine-sound")
    ap.add_argument("--backends", default="builtin,spin", help="backends for the rates")
    ap.add_argument("--backend", default="builtin", help="backend of the speedup and optima")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--limit", type=int, default=10000,
                    help="candidates verified per timed search (default 10000; 0: the whole space)")
    ap.add_argument("--batch", type=int, default=None, help="candidates per task")
    ap.add_argument("--optima", default="a,b", help="which optima (a, b or a,b)")
    ap.add_argument("--verdict-count", type=int, default=300,
                    help="candidates for the verdict part")
    ap.add_argument("--seed", type=int, default=7, help="sample of the verdict part")
    ap.add_argument("--verdict-space", choices=["b", *sorted(SPEED_SPACES)], default="b",
                    help="the space the verdict part samples (b: optimum (b)'s)")
    ap.add_argument("--db", default=str(ROOT / "bench" / "out" / "optima.sqlite"),
                    help="the store the optima searches live in (resumable)")
    ap.add_argument("--budget", type=float, default=None,
                    help="seconds per optimum search in this run (then it pauses)")
    ap.add_argument("--workers", type=int, default=None,
                    help="workers for the optima (default: one per core)")
    ap.add_argument("--scheduler", default=None, help="an existing cluster for the optima")
    ap.add_argument("--cluster-cores", type=int, default=256,
                    help="the cluster size the cost of an unfinished optimum is given for")
    args = ap.parse_args(argv)
    if args.small:
        args.speed_space = "byzantine-small" if args.speed_space == "byzantine-sound" \
            else args.speed_space
        args.rate_space = "byzantine-small" if args.rate_space == "byzantine-sound" \
            else args.rate_space
        args.repeat = 1
        args.budget = args.budget or 30
        args.verdict_space = "byzantine-small" if args.verdict_space == "b" \
            else args.verdict_space
        args.verdict_count = min(args.verdict_count, 40)
    parts = args.only or ["speedup", "rate", "verdict", "optima"]
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    if "speedup" in parts:
        print("\n".join(speedup(args) + [""]), flush=True)
    if "rate" in parts:
        print("\n".join(rates(args) + [""]), flush=True)
    if "verdict" in parts:
        print("\n".join(verdict_cost(args) + [""]), flush=True)
    if "optima" in parts:
        for which in args.optima.split(","):
            print("\n".join(optimum(args, which.strip()) + [""]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
