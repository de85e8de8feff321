"""``rbtui verify FILE --problem atomic-commit``: a machine file checked by the
atomic commit verifiers (docs/semantics-atomic-commit.md).

Kept apart from verify.py, which only adds these options and dispatches here.
Same exit status and JSON shape as the Reliable Broadcast verification.
"""

from __future__ import annotations

import argparse
import json
import sys

from rbengine import problem as problems
from rbengine.errors import CandidateError, OracleError

from ._common import Style

PROBLEMS = problems.names()
BACKENDS = ("builtin", "z3")
DEFAULT_ROUNDS = 2


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("atomic commit (with --problem atomic-commit)")
    g.add_argument("--problem", choices=PROBLEMS, default="reliable-broadcast",
                   help="the problem FILE solves (default: reliable-broadcast)")
    g.add_argument("--rounds", "-R", type=int, metavar="R", default=None,
                   help=f"synchronous rounds of a run (default: {DEFAULT_ROUNDS})")
    g.add_argument("--properties", choices=("classical", "paper"), default=None,
                   help="classical (commit only if all voted commit, the default) or the "
                        "paper's P1-P5")
    backend = p._option_string_actions.get("--backend")
    if backend is not None and backend.choices is not None and "z3" not in backend.choices:
        backend.choices = tuple(backend.choices) + ("z3",)


def dispatch(args: argparse.Namespace) -> int | None:
    """The exit status for an atomic commit file; None for a broadcast candidate."""
    if getattr(args, "problem", "reliable-broadcast") != "atomic-commit":
        for opt in ("rounds", "properties"):
            if getattr(args, opt, None) is not None:
                raise CandidateError(f"--{opt} is an option of --problem atomic-commit")
        if getattr(args, "backend", None) == "z3":
            raise CandidateError("the z3 backend verifies --problem atomic-commit")
        return None
    return run(args)


def run(args: argparse.Namespace) -> int:
    from rbengine.atomic_commit import checker, smt
    from rbengine.atomic_commit.machine import Machine
    from rbengine.atomic_commit.model import Model
    from rbengine.atomic_commit.properties import property_set

    for opt, value in (("only", args.only), ("target", args.target), ("types", args.types)):
        if value is not None:
            raise CandidateError(f"--{opt} is not an option of --problem atomic-commit")
    backend = args.backend or "builtin"
    if backend not in BACKENDS:
        raise OracleError(f"backend {backend!r} does not verify atomic commit "
                          f"(known: {', '.join(BACKENDS)})")
    if args.file == "-":
        machine = Machine.loads(sys.stdin.read(), args.n)
    else:
        machine = problems.get("atomic-commit").load_candidate(args.file, n=args.n)
    set_name = args.properties or "classical"
    rounds = DEFAULT_ROUNDS if args.rounds is None else args.rounds
    base = Model(machine.n, rounds, f=args.f, properties=set_name)
    verify = checker.check if backend == "builtin" else smt.check
    from .verify import _deadline
    checks, cx = [], None
    with _deadline(args.timeout):
        for prop in property_set(set_name):
            model = Model(base.n, base.rounds, f=base.f, properties=(prop,))
            r = verify(machine, model)
            checks.append({"mode": "crash", "n": model.n, "f": model.f,
                           "scenario": f"rounds={rounds}", "attacker": None,
                           "correct": r.correct, "property": None if r.correct else r.property,
                           "checked": prop, "states": r.configs,
                           "seconds": round(r.seconds, 6)})
            if cx is None and not r.correct:
                cx = r.counterexample
    correct = all(c["correct"] for c in checks)
    if args.json:
        out = {"correct": correct, "checks": checks,
               "counterexample": cx.to_json() if cx else None,
               "problem": "atomic-commit", "properties": set_name, "backend": backend,
               "machine_hash": machine.hash()}
        print(json.dumps(out))
    else:
        print(human(correct, checks, cx, machine, backend, set_name, Style()))
    return 0 if correct else 1


def human(correct, checks, cx, machine, backend, set_name, style) -> str:
    from rbengine.atomic_commit.properties import DESCRIPTION
    first = next((c for c in checks if not c["correct"]), None)
    head = style.good("correct") if correct else style.bad(f"incorrect ({first['property']})")
    seconds = sum(c["seconds"] for c in checks)
    lines = [f"{head}  " + style.dim(f"atomic commit, machine {machine.hash()}, N={machine.n}, "
                                     f"K={machine.k}, {checks[0]['scenario']}, {set_name} "
                                     f"properties, backend {backend}, {seconds:.2f} s")]
    for c in checks:
        text = (style.good if c["correct"] else style.bad)("holds" if c["correct"] else "fails")
        lines.append(f"  {c['checked']:<3} {text}  {DESCRIPTION[c['checked']]}")
    if cx is not None:
        lines += ["", style.bold("Counterexample:"), cx.text()]
    return "\n".join(lines)
