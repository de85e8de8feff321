"""``rbtui run --problem atomic-commit``: a learning run of an atomic commit
protocol (rbengine.atomic_commit.run), recorded in the store like a Reliable
Broadcast run. Kept apart from run.py, which adds these options and dispatches
here. Same exit status: 0 a correct machine found, 1 none, 2 error, 128 + the
signal's number when paused or aborted by one (130 Ctrl-C, 143 SIGTERM).
"""

from __future__ import annotations

import argparse
import json
import sys

from rbengine import problem as problems
from rbengine.config import ConfigError
from rbengine.store import Store

from ._common import pause_on_signals, pausing_note, positive_int, signal_status

AC = "atomic-commit"
#: run.py's options that only Reliable Broadcast has
RB_ONLY = ("target", "config", "sizes", "attacker", "vocabulary", "backend", "alpha", "gamma",
           "ucb_c")
AC_ONLY = ("learner", "rounds", "states", "properties", "check_every")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--problem", choices=problems.names(), default=None,
                   help="what to learn (default: reliable-broadcast)")
    g = p.add_argument_group("atomic commit (with --problem atomic-commit)")
    g.add_argument("--learner", choices=problems.get(AC).learners, default=None,
                   help="dqn (the paper's deep Q-learning, the default) or tabular (UCB)")
    g.add_argument("--rounds", "-R", type=positive_int, metavar="R", default=None,
                   help="synchronous rounds of a run (default 2)")
    g.add_argument("--states", "-K", type=positive_int, metavar="K", default=None,
                   help="unnamed states U1..UK of the machine (default 1)")
    g.add_argument("--properties", choices=("classical", "paper"), default=None,
                   help="classical (the default) or the paper's P1-P5")
    g.add_argument("--check-every", type=positive_int, metavar="E", default=None,
                   dest="check_every", help="verify the greedy machine every E episodes "
                                            "(default 50)")


def _problem_of(args) -> str:
    if args.resume is not None:
        with Store(getattr(args, "db", None), readonly=True) as store:
            row = store.run(args.resume)
        found = Store.problem_of(row)
        if args.problem is not None and args.problem != found:
            raise ConfigError(f"run {row['id']} is a {found} run, not {args.problem}")
        return found
    return args.problem or problems.DEFAULT


def dispatch(args: argparse.Namespace) -> int | None:
    """The exit status of an atomic commit run; None for a Reliable Broadcast one."""
    which = _problem_of(args)
    if which != AC:
        given = [o for o in AC_ONLY if getattr(args, o, None) is not None]
        if given:
            raise ConfigError(f"--{given[0].replace('_', '-')} is an option of "
                              f"--problem atomic-commit")
        return None
    given = [o for o in RB_ONLY if getattr(args, o, None) is not None]
    if args.off:
        given.append("off")
    if given:
        raise ConfigError(f"--{given[0].replace('_', '-')} is not an option of "
                          f"--problem atomic-commit")
    return main(args)


def build_config(args):
    from rbengine.atomic_commit.run import ACRunConfig
    kw = {"n": args.n, "f": args.f, "rounds": args.rounds, "k": args.states,
          "properties": args.properties, "learner": args.learner, "episodes": args.episodes,
          "seed": args.seed, "check_every": args.check_every,
          "checkpoint_every": args.checkpoint_every}
    return ACRunConfig(**{k: v for k, v in kw.items() if v is not None}).validate()


def main(args: argparse.Namespace) -> int:
    from rbengine.atomic_commit.run import PAUSED

    entry = problems.get(AC)
    db = getattr(args, "db", None)
    if args.resume is not None:
        given = [o for o in ("n", "f", "seed", "checkpoint_every") + AC_ONLY
                 if getattr(args, o, None) is not None]
        if given:
            raise ConfigError("--resume continues a run with its own configuration; "
                              f"drop --{given[0].replace('_', '-')} (only --episodes may change)")
        cfg = None
    else:
        cfg = build_config(args)
    printer = Printer(quiet=args.quiet)
    store = Store(db, create=cfg is not None)
    try:
        run = entry.resume_run(store, args.resume, episodes=args.episodes) if cfg is None \
            else entry.start_run(store, cfg, name=args.name)

        signals: list[int] = []
        hint = f"rbtui run --resume {run.id}" + (f" --db {db}" if db else "")
        try:
            with pause_on_signals(run, pausing_note(printer, args.quiet), signals):
                if not args.quiet:
                    start = f" from episode {run.episodes_done}" if cfg is None else ""
                    printer.note(f"run {run.id}: atomic commit {run.cfg.text()}, learner "
                                 f"{run.cfg.learner}, {run.planned} episodes{start}, seed "
                                 f"{run.cfg.seed}, store {store.path}")
                try:
                    status = run.execute(progress=printer, progress_interval=printer.interval)
                except KeyboardInterrupt:
                    printer.done()
                    print(f"rbtui: run {run.id} aborted after {run.episodes_done} episodes "
                          f"(kept up to the last checkpoint); resume with: {hint}",
                          file=sys.stderr)
                    return signal_status(signals[-1] if signals else None)
        finally:
            printer.done()
        report = entry.report(store, store.run(run.id), full=args.json)
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            print(summary(report))
        if status == PAUSED:
            print(f"rbtui: run {run.id} paused after {run.episodes_done}/{run.planned} "
                  f"episodes; resume with: {hint}", file=sys.stderr)
            return signal_status(signals[0] if signals else None)
        return 0 if report["result"] is not None else 1
    finally:
        store.close()


def Printer(quiet: bool = False):
    """run.py's progress bar with an atomic commit line (run.py imports this
    module, so its printer is reached at call time)."""
    from .run import ProgressPrinter

    class ACPrinter(ProgressPrinter):
        def line(self, p) -> str:
            pct = 100.0 * p.episode / p.planned if p.planned else 100.0
            first = "-" if p.first_correct is None else f"episode {p.first_correct}"
            return (f"{p.episode}/{p.planned} {pct:5.1f}% | {p.episodes_per_s:.0f} ep/s"
                    f" | {p.verified} machines verified | first correct {first}")
    return ACPrinter(quiet=quiet)


def summary(r: dict) -> str:
    """A run's report as text (rbtui run, rbtui show)."""
    from rbengine.atomic_commit.machine import Machine
    from rbengine.atomic_commit.table import table_text
    eps = r["episodes"]
    lines = [f"run {r['id']}" + (f" ({r['name']})" if r["name"] else "") + f": {r['status']}"
             + (f" - {r['message']}" if r["message"] else ""),
             f"atomic commit, N={r['n']} f={r['f']} R={r['rounds']} K={r['states']}, "
             f"{r['properties']} properties, learner {r['learner']}, seed {r['seed']}",
             f"episodes {eps['done']}/{eps['planned']} in {r['seconds']:.1f} s; "
             f"{r['verified']} machines verified ({r['candidates']['correct']} correct / "
             f"{r['candidates']['incorrect']} incorrect distinct)"]
    fc = r["first_correct"]
    if fc:
        lines.append(f"first correct machine: episode {fc['episode']}, after {fc['verified']} "
                     f"machines verified, {fc['seconds']:.2f} s, hash {fc['hash']}")
    res = r["result"]
    if res is not None:
        lines += ["", "result:", table_text(Machine.from_json(res["machine"]))]
    else:
        lines.append("no correct machine found")
        last = r.get("last")
        if last is not None:
            lines += ["", f"last machine verified (episode {last['episode']}, violates "
                          f"{last['property']}):", table_text(Machine.from_json(last["machine"]))]
    return "\n".join(lines)
