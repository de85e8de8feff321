"""``rbtui search``: the certified cheapest correct candidates of a space, by an
exhaustive search in the cost order on Dask workers (rbengine.search).

Ctrl-C (or SIGTERM) pauses: the batches in flight are dropped, everything
verified is kept, and ``--resume ID`` continues. Exit status 0 when the
search ends with a certified cheapest correct candidate, 1 when the space
holds no correct candidate, 2 on an error, 128 + the signal's number when
paused or aborted by one (130 for Ctrl-C, 143 for SIGTERM).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace

from rbengine import oracle
from rbengine.config import HEURISTICS, ConfigError, RunConfig
from rbengine.fanout import Fanout, Serial
from rbengine.scenario import ATTACKERS, MODES
from rbengine.search import (
    FINISHED,
    PAUSED,
    Progress,
    Search,
    SearchError,
    difference,
    histogram_text,
    report,
    search_config,
)
from rbengine.space import Space
from rbengine.store import Store
from rbengine.vocabulary import PRESETS

from . import _atomic_commit_search
from ._common import pause_on_signals, positive_int, signal_status

#: Flags that describe the space (refused on --resume when they differ).
SPACE_FLAGS = ("target", "n", "f", "sizes", "attacker", "vocabulary", "max_actions", "off",
               "config")


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "search", help="find the certified cheapest correct candidates (exhaustive, on Dask)",
        description="Enumerate every candidate the heuristics allow, in the cost order (total "
                    "reward, then messages/steps/to deliver, then the vocabulary's order), and "
                    "verify them cheapest level first on Dask workers until a level holds a "
                    "correct candidate: its correct candidates are the certified cheapest. "
                    "Ctrl-C pauses (continue with --resume ID).")
    p.add_argument("--target", choices=MODES, default=None,
                   help="the failure mode to tolerate (every mode up to it is checked)")
    p.add_argument("--attacker", choices=ATTACKERS, default=None,
                   help="Byzantine adversary: full (default) or same-value")
    p.add_argument("--vocabulary", choices=sorted(PRESETS), default=None,
                   help="the actions: paper (Table 2, default) or sound")
    p.add_argument("--n", "-N", type=positive_int, metavar="N", default=None,
                   help="number of processes (default: 3 for none and crash, 4 for byzantine)")
    p.add_argument("--f", "-F", type=positive_int, metavar="F", default=None,
                   help="number of faulty processes (default: each mode's maximum)")
    p.add_argument("--sizes", metavar="LIST", default=None,
                   help="sizes to verify, e.g. 4,7:2 (N or N:F): a candidate is correct only "
                        "if it is correct at every size, checked cheapest first")
    p.add_argument("--max-actions", type=positive_int, metavar="K", default=None,
                   dest="max_actions", help="GH6: at most K actions per handler, STOP included")
    p.add_argument("--off", action="append", default=[], metavar="GHk",
                   help="switch a heuristic off (repeatable)")
    p.add_argument("--config", metavar="FILE", default=None,
                   help="a JSON or TOML run configuration (flags override it)")
    p.add_argument("--backend", choices=oracle.BACKENDS, default=None,
                   help="oracle backend on the workers (default builtin)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_int, metavar="K", default=None,
                       help="start a local Dask cluster of K worker processes (default: one "
                            "per core; 0 verifies in this process, without Dask)")
    where.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="use an existing Dask cluster, e.g. tcp://HOST:8786")
    p.add_argument("--connect-timeout", type=float, metavar="SECONDS", default=10.0,
                   dest="connect_timeout",
                   help="how long to wait for the scheduler and its workers (default 10)")
    p.add_argument("--all", action="store_true",
                   help="verify the whole space (the histogram of every total reward)")
    p.add_argument("--resume", metavar="ID", default=None,
                   help="continue a paused or interrupted search (s3, 3 or its name)")
    p.add_argument("--batch", type=positive_int, metavar="K", default=None,
                   help="candidates per task (default: about a second of work)")
    p.add_argument("--count", action="store_true",
                   help="only count the candidates per total reward (no verification)")
    p.add_argument("--name", default=None, help="a name for the search")
    p.add_argument("--json", action="store_true", help="print the search as one JSON object")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    _atomic_commit_search.add_arguments(p)
    p.set_defaults(handler=main)
    return p


# ----------------------------------------------------------------- config --
def build_config(args, base: RunConfig | None = None) -> RunConfig:
    if args.config:
        cfg = RunConfig.load(args.config)
    elif base is not None:
        cfg = base
    else:
        if args.target is None:
            raise ConfigError("give --target (none, crash or byzantine), --config FILE or "
                              "--resume ID")
        cfg = RunConfig()
    kw = dict(target=args.target, n=args.n, f=args.f, attacker=args.attacker,
              vocabulary=args.vocabulary, backend=args.backend)
    if args.sizes is not None:
        kw["sizes"] = args.sizes
    cfg = cfg.override(**kw)
    h = cfg.heuristics
    if args.max_actions is not None:
        if args.max_actions < h.min_actions:
            raise ConfigError(f"--max-actions {args.max_actions} is below GH6's minimum "
                              f"{h.min_actions}")
        h = replace(h, max_actions=args.max_actions)
    if args.off:
        off = set()
        for gh in args.off:
            if gh.upper() not in HEURISTICS:
                raise ConfigError(f"--off {gh}: unknown heuristic (known: GH1..GH10)")
            off.add(gh.upper())
        h = replace(h, on=h.on - off)
    return replace(cfg, heuristics=h).validate()


# --------------------------------------------------------------- progress --
def _clock(s: float) -> str:
    s = int(s)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class ProgressPrinter:
    """A one-line bar on a terminal; a line every `every` seconds otherwise."""

    def __init__(self, stream=None, every: float = 5.0, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.every = every
        self.quiet = quiet
        self.last = -1e9
        self.width = 0

    @property
    def interval(self) -> float:
        return 0.2 if self.tty else min(self.every, 1.0)

    @staticmethod
    def line(p: Progress) -> str:
        pct = 100.0 * p.verified / p.total if p.total else 100.0
        level = "-" if p.level is None else f"{p.level:g}"
        best = "-" if p.best is None else f"{p.best_reward:g}"
        eta = "" if p.eta is None else f" | ETA {_clock(p.eta)} (whole space)"
        return (f"{p.verified}/{p.total} {pct:5.1f}% | level {level} | {p.rate:.0f} cand/s"
                f" | correct {p.correct} incorrect {p.incorrect} | cheapest correct {best}"
                f" | {_clock(p.elapsed)}{eta}")

    def __call__(self, p: Progress) -> None:
        if self.quiet:
            return
        if self.tty:
            bar_w = 20
            filled = int(bar_w * p.verified / p.total) if p.total else bar_w
            text = f"[{'#' * filled}{'.' * (bar_w - filled)}] " + self.line(p)
            self.stream.write("\r" + text + " " * max(0, self.width - len(text)))
            self.width = len(text)
            self.stream.flush()
            return
        now = time.monotonic()
        if now - self.last >= self.every or p.verified >= p.total or p.status != "running":
            self.stream.write(f"search s{p.search_id}: " + self.line(p) + "\n")
            self.stream.flush()
            self.last = now

    def note(self, text: str) -> None:
        if self.quiet:
            return
        self.done()
        self.stream.write(text + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty and self.width:
            self.stream.write("\n")
            self.stream.flush()
            self.width = 0


# ------------------------------------------------------------------- text --
def summary(rep: dict) -> str:
    lines = [f"search {rep['id']}" + (f" ({rep['name']})" if rep["name"] else "")
             + f" {rep['status']}: target {rep['target']}, "
             + (f"N={rep['n']} F={rep['f']}" if len(rep["sizes"]) < 2
                else f"sizes {','.join(rep['sizes'])}")
             + (f", attacker {rep['attacker']}" if rep["target"] == "byzantine" else "")
             + f", vocabulary {rep['vocabulary'] if isinstance(rep['vocabulary'], str) else 'custom'}"
             + f": {rep['verified']}/{rep['total']} candidates verified in {rep['seconds']:.1f} s"
             + (f" - {rep['message']}" if rep["message"] else "")]
    hist = [(h["reward"], h["correct"], h["incorrect"], h["candidates"])
            for h in rep["histogram"]]
    if not rep["all"]:  # the levels not reached say nothing
        hist = [h for h in hist if h[1] + h[2]]
    lines.append(histogram_text(hist))
    if rep["optimum"] is not None:
        lines.append(f"certified cheapest correct candidates: total reward {rep['optimum']:g} "
                     f"(every cheaper candidate verified incorrect); "
                     f"messages, steps, to deliver at N={rep['n']} F={rep['f']}:")
        for c in rep["certified"]:
            m = c["metrics"]
            lines.append(f"  {c['reward']:g}; ({m['messages_n']}, {m['steps']}, "
                         f"{m['to_deliver_n']}): {c['notation'].replace(chr(10), ' | ')}")
    elif rep["status"] == FINISHED:
        lines.append("no candidate of the space is correct")
    return "\n".join(lines)


# ------------------------------------------------------------------- main --
def _fanout(args):
    if args.scheduler:
        return Fanout(scheduler=args.scheduler, timeout=args.connect_timeout)
    if args.workers == 0:
        return Serial()
    return Fanout(workers=args.workers, timeout=args.connect_timeout)


def _hint(sid: int, db) -> str:
    return f"rbtui search --resume s{sid}" + (f" --db {db}" if db else "")


def main(args: argparse.Namespace) -> int:
    status = _atomic_commit_search.dispatch(args)
    if status is not None:
        return status
    db = getattr(args, "db", None)
    printer = ProgressPrinter(quiet=args.quiet or args.json)
    if args.count:
        if args.resume:
            raise ConfigError("--count takes a space (--target ...), not --resume")
        cfg = build_config(args)
        space = Space.of(cfg)
        counts = space.counts()
        if args.json:
            print(json.dumps({"total": len(space),
                              "levels": [{"reward": r, "candidates": k} for r, k in counts.items()]},
                             indent=2))
        else:
            print(f"{len(space)} candidates in {len(counts)} levels (total reward: candidates)")
            for r, k in counts.items():
                print(f"  {r:6g}: {k}")
        return 0
    store = Store(db)
    try:
        cfg = None
        if args.resume is not None:
            row = store.search(args.resume)
            given = [f for f in SPACE_FLAGS if getattr(args, f, None) not in (None, [])]
            if given:
                stored = RunConfig.from_dict(json.loads(row["config"]))
                cfg = build_config(args, base=stored)
                diff = difference(stored, search_config(cfg))
                if diff:
                    raise SearchError(f"search s{row['id']} has another configuration "
                                      f"({diff}); start a new search for it")
        else:
            cfg = build_config(args)
        # the cluster first: an unreachable scheduler changes nothing in the store
        with _fanout(args) as fan:
            if args.resume is not None:
                search = Search.resume(store, args.resume, config=cfg, all_=args.all or None,
                                       backend=args.backend)
            else:
                printer.note("counting the space...")
                search = Search.start(store, cfg, all_=args.all, name=args.name)
            signals: list[int] = []
            status = _execute(args, search, fan, printer, store, db, signals)
        if status is None:
            return signal_status(signals[-1] if signals else None)
        rep = report(store, search.id)
        if status == PAUSED:
            print(f"rbtui: search s{search.id} paused after {search.verified}/{rep['total']} "
                  f"candidates; resume with: {_hint(search.id, db)}", file=sys.stderr)
        print(json.dumps(rep, indent=2) if args.json else summary(rep))
        if status == PAUSED:
            return signal_status(signals[0] if signals else None)
        return 0 if rep["optimum"] is not None else 1
    finally:
        store.close()


def _execute(args, search: Search, fan, printer: ProgressPrinter, store: Store, db,
             signals: list[int]):
    """The search's loop with Ctrl-C pausing it; None when aborted. The
    signals received are appended to `signals` (for the exit status)."""
    def note():
        printer.note("pausing after the batches in flight... (Ctrl-C again to abort)")

    try:
        with pause_on_signals(search, note, signals):
            c = search.config
            printer.note(f"search s{search.id}: target {c.target}, N={c.n_value}, "
                         f"{len(search.space)} candidates in {len(search.space.counts())} "
                         f"levels, {fan.workers} worker(s) ({c.backend}), store {store.path}")
            try:
                return search.execute(fan, progress=printer,
                                      progress_interval=printer.interval, batch=args.batch)
            except KeyboardInterrupt:
                printer.done()
                print(f"rbtui: search s{search.id} aborted after {search.verified} "
                      f"candidates (all recorded); resume with: {_hint(search.id, db)}",
                      file=sys.stderr)
                return None
    finally:
        printer.done()
