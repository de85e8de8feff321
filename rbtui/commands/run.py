"""``rbtui run``: a headless learning run, with a progress bar on stderr.

Ctrl-C (or SIGTERM) pauses after the episode in flight, checkpoints and prints
how to resume; a second Ctrl-C aborts (the last checkpoint stays). A finished
run's report adds the checks of rbengine.run_checks (--no-report-checks skips
them). Exit status 0 when the run found a correct candidate, 1 when it did
not, 2 on an error or when two backends disagree, 128 + the signal's number
when paused or aborted by one (130 for Ctrl-C, 143 for SIGTERM).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace

from rbengine import metrics, oracle, run_checks
from rbengine.config import HEURISTICS, ConfigError, RunConfig
from rbengine.notation import pseudo
from rbengine.report import optimum_text, run_report
from rbengine.run import FINISHED, PAUSED, Progress, Run
from rbengine.scenario import ATTACKERS, MODES
from rbengine.store import Store
from rbengine.vocabulary import PRESETS

from . import _atomic_commit_run
from ._checks import add_checks_argument, report_disagreements
from ._common import pause_on_signals, pausing_note, positive_int, signal_status


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "run", help="learn a Reliable Broadcast algorithm or an atomic commit protocol (headless)",
        description="Run the RB-Learner for a target failure mode and record the run in the "
                    "store: Q-learning with UCB over episodes, then the optimisation episode. "
                    "Ctrl-C pauses (resume with --resume RUN).")
    p.add_argument("--target", choices=MODES, default=None,
                   help="the failure mode to tolerate (every mode up to it is checked)")
    p.add_argument("--resume", metavar="RUN", default=None,
                   help="continue a paused or interrupted run (id or name)")
    p.add_argument("--config", metavar="FILE", default=None,
                   help="a JSON or TOML run configuration (flags override it)")
    p.add_argument("--episodes", type=positive_int, metavar="N", default=None,
                   help="learning episodes (default 12000; with --resume: the new total)")
    p.add_argument("--seed", type=positive_int, metavar="S", default=None,
                   help="random seed (default: drawn and recorded)")
    p.add_argument("--n", "-N", type=positive_int, metavar="N", default=None,
                   help="number of processes (default: 3 for none and crash, 4 for byzantine)")
    p.add_argument("--f", "-F", type=positive_int, metavar="F", default=None,
                   help="number of faulty processes (default: the maximum of each mode)")
    p.add_argument("--sizes", metavar="SIZES", default=None,
                   help="learn against several sizes, e.g. 4,7:2 (a candidate is correct only "
                        "if it is correct at every size; cheapest checked first); not with --n/--f")
    p.add_argument("--attacker", choices=ATTACKERS, default=None,
                   help="Byzantine adversary: full (default) or same-value")
    p.add_argument("--vocabulary", choices=sorted(PRESETS), default=None,
                   help="actions to learn from: paper (Table 2, default) or sound")
    p.add_argument("--backend", choices=oracle.BACKENDS, default=None,
                   help="oracle backend (default builtin)")
    p.add_argument("--alpha", type=float, default=None, help="learning rate")
    p.add_argument("--gamma", type=float, default=None, help="discount")
    p.add_argument("--ucb-c", type=float, default=None, dest="ucb_c",
                   help="UCB exploration constant")
    p.add_argument("--untried", choices=("first", "initial", "guided"), default=None,
                   help="which untried action UCB tries: first at random (default), by its "
                        "initial value, or guided by the candidates that got furthest "
                        "(docs/learner.md)")
    p.add_argument("--descend", action="store_true", default=None,
                   help="descend from each new best correct candidate to cheaper correct "
                        "ones, one change at a time, and repair near misses into correct "
                        "candidates (docs/learner.md)")
    p.add_argument("--checkpoint-every", type=positive_int, metavar="K", default=None,
                   dest="checkpoint_every", help="checkpoint every K episodes (default 1)")
    p.add_argument("--off", action="append", default=[], metavar="GHk",
                   help="switch a heuristic off (repeatable), e.g. --off GH9")
    p.add_argument("--name", default=None, help="a name for the run")
    add_checks_argument(p)
    p.add_argument("--json", action="store_true", help="print the run as one JSON object at the end")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    _atomic_commit_run.add_arguments(p)
    p.set_defaults(handler=main)
    return p


# ---------------------------------------------------------------- progress --
class ProgressPrinter:
    """A one-line bar on a terminal; a line every `every` seconds otherwise."""

    def __init__(self, stream=None, every: float = 5.0, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.every = every
        self.quiet = quiet
        self.last = 0.0
        self.width = 0

    @property
    def interval(self) -> float:
        return 0.2 if self.tty else min(self.every, 1.0)

    def line(self, p: Progress) -> str:
        pct = 100.0 * p.episode / p.planned if p.planned else 100.0
        eta = ""
        if p.episodes_per_s > 0 and p.planned > p.episode:
            s = int((p.planned - p.episode) / p.episodes_per_s)
            eta = f" | ETA {s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
        return (f"{p.episode}/{p.planned} {pct:5.1f}% | {p.episodes_per_s:.0f} ep/s"
                f" | cache {100 * p.cache_hit_rate:.0f}%"
                f" | correct {p.correct} incorrect {p.incorrect}"
                f" | best {p.cost_text()}{eta}")

    def __call__(self, p: Progress) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if self.tty:
            bar_w = 20
            filled = int(bar_w * p.episode / p.planned) if p.planned else bar_w
            text = f"[{'#' * filled}{'.' * (bar_w - filled)}] " + self.line(p)
            pad = max(0, self.width - len(text))
            self.stream.write("\r" + text + " " * pad)
            self.width = len(text)
            self.stream.flush()
        elif now - self.last >= self.every or p.episode >= p.planned:
            self.stream.write(f"run {p.run_id}: " + self.line(p) + "\n")
            self.stream.flush()
            self.last = now

    def note(self, text: str) -> None:
        if self.tty and self.width:
            self.stream.write("\n")
            self.width = 0
        self.stream.write(text + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty and self.width and not self.quiet:
            self.stream.write("\n")
            self.stream.flush()
            self.width = 0


# ------------------------------------------------------------------- config --
def build_config(args) -> RunConfig:
    if args.config:
        cfg = RunConfig.load(args.config)
    else:
        if args.target is None:
            raise ConfigError("give --target (none, crash or byzantine), --config FILE or --resume RUN")
        cfg = RunConfig()
    if args.sizes is not None and (args.n is not None or args.f is not None):
        raise ConfigError("give --sizes or --n/--f, not both")
    cfg = cfg.override(target=args.target, n=args.n, f=args.f, sizes=args.sizes,
                       attacker=args.attacker,
                       vocabulary=args.vocabulary, backend=args.backend, episodes=args.episodes,
                       seed=args.seed, alpha=args.alpha, gamma=args.gamma, ucb_c=args.ucb_c,
                       untried=args.untried, descend=args.descend,
                       checkpoint_every=args.checkpoint_every)
    if args.off:
        off = set()
        for gh in args.off:
            if gh.upper() not in HEURISTICS:
                raise ConfigError(f"--off {gh}: unknown heuristic (known: GH1..GH10)")
            off.add(gh.upper())
        cfg = replace(cfg, heuristics=replace(cfg.heuristics, on=cfg.heuristics.on - off))
    return cfg.validate()


def _sizes_text(cfg: RunConfig) -> str:
    if cfg.sizes is None:
        return f"N={cfg.n_value}"
    return "sizes " + ", ".join(f"N={s.n} F={s.f_for(cfg.target)}" for s in cfg.size_list())


def _resume_hint(run_id: int, db: str | None) -> str:
    return f"rbtui run --resume {run_id}" + (f" --db {db}" if db else "")


# --------------------------------------------------------------------- main --
def main(args: argparse.Namespace) -> int:
    status = _atomic_commit_run.dispatch(args)
    if status is not None:
        return status
    db = getattr(args, "db", None)
    if args.resume is not None:
        given = [f for f in ("target", "config", "seed", "n", "f", "sizes", "attacker", "vocabulary",
                             "backend", "alpha", "gamma", "ucb_c", "untried", "descend",
                             "checkpoint_every")
                 if getattr(args, f) is not None] + (["off"] if args.off else [])
        if given:
            raise ConfigError("--resume continues a run with its own configuration; "
                              f"drop --{given[0].replace('_', '-')} (only --episodes may change)")
        cfg = None
    else:
        cfg = build_config(args)
        for note in oracle.notes(cfg.target, None, cfg.n, cfg.f, cfg.sizes) if cfg.sizes \
                else oracle.notes(cfg.target, None, cfg.n_value, cfg.f):
            print(f"rbtui: warning: {note.text()}", file=sys.stderr)
    printer = ProgressPrinter(quiet=args.quiet)
    # a new run creates its store (and directories); a resumed one needs it
    store = Store(db, create=cfg is not None)
    try:
        run = Run.resume(store, args.resume, episodes=args.episodes) if cfg is None \
            else Run.start(store, cfg, name=args.name)

        signals: list[int] = []
        try:
            with pause_on_signals(run, pausing_note(printer, args.quiet), signals):
                if not args.quiet:
                    printer.note(f"run {run.id}: target {run.learner.config.target}, "
                                 f"{_sizes_text(run.learner.config)}, {run.planned} episodes, "
                                 f"seed {run.learner.config.seed}, store {store.path}")
                try:
                    status = run.execute(progress=printer, progress_interval=printer.interval)
                except KeyboardInterrupt:
                    printer.done()
                    print(f"rbtui: run {run.id} aborted after {run.learner.episodes_done} "
                          f"episodes (kept up to the last checkpoint); resume with: "
                          f"{_resume_hint(run.id, db)}", file=sys.stderr)
                    return signal_status(signals[-1] if signals else None)
        finally:
            printer.done()
        if status == PAUSED:
            print(f"rbtui: run {run.id} paused after {run.learner.episodes_done}/{run.planned} "
                  f"episodes; resume with: {_resume_hint(run.id, db)}", file=sys.stderr)
        report = run_report(store, run.id)
        if status == FINISHED and not args.no_report_checks:
            if not args.quiet:
                printer.note(f"run {run.id}: checking its answer at more sizes"
                             + (" and with Spin" if run.learner.config.backend != "spin"
                                and run_checks.spin_installed() else "") + "...")
            checks = run_checks.compute(store, run.id)
            if checks is not None:
                run_checks.record(store, run.id, checks)
            report["checks"] = checks
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            print_summary(report, run)
            if report.get("checks"):
                print()
                print(run_checks.text(report["checks"]))
        if report_disagreements(report.get("checks")):
            return 2
        if status == PAUSED:
            return signal_status(signals[0] if signals else None)
        return 0 if report["result"] is not None else 1
    finally:
        store.close()


def print_summary(report: dict, run: Run) -> None:
    L = run.learner
    eps = report["episodes"]
    secs = report["seconds"]
    rate = eps["done"] / secs if secs else 0.0
    print(f"run {report['id']} {report['status']}: {eps['done']}/{eps['planned']} episodes in "
          f"{secs:.1f} s ({rate:.0f} episodes/s), cache hit rate "
          f"{100 * report['cache']['hit_rate']:.0f}%")
    print(f"correct {eps['correct']} / incorrect {eps['incorrect']} episodes "
          f"({report['candidates']['correct']} / {report['candidates']['incorrect']} distinct "
          f"candidates), {report['states']} states explored")
    if report["message"]:
        print(report["message"])
    fin = report["final"]
    if fin is not None:
        print(f"\noptimisation episode ({fin['verdict']['summary'] if fin['verdict'] else '?'}):")
        print(pseudo(L.final.candidate if L.final else _load(fin)))
    res = report["result"]
    if res is None:
        print("\nno correct candidate found")
        return
    cand = _load(res)
    if fin is None or res["hash"] != fin["hash"]:
        print("\nresult: the most efficient correct candidate seen:")
        print(pseudo(cand))
    print()
    print(metrics.text(cand, L.config.n_value, L.config.f_value))
    opt = optimum_text(report.get("optimum"))
    if opt:
        print(opt)
    best = report["best"]
    if best is not None and best["hash"] != res["hash"]:
        print("\nmost efficient correct candidate seen:")
        print(pseudo(_load(best)))


def _load(entry: dict):
    from rbengine.candidate import Candidate
    return Candidate.from_json(entry["candidate"])
