"""``rbtui promela FILE --only MODE``: print the standalone Spin model of one scenario."""

from __future__ import annotations

import argparse

from rbengine.errors import OracleError
from rbengine.scenario import MODES, PAPER_N, scenarios

from ._common import add_attacker_argument, add_candidate_argument, add_size_arguments, read_candidate

SCENARIOS = ("broadcaster-correct", "broadcaster-faulty")


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "promela", help="print the Promela model Spin checks for one scenario",
        description="Print the standalone Promela model of one scenario of one failure "
                    "mode (run it with: spin -a model.pml && gcc -o pan pan.c && ./pan).")
    add_candidate_argument(p)
    p.add_argument("--only", choices=MODES, metavar="MODE", required=True,
                   help="failure mode: none, crash or byzantine")
    add_size_arguments(p, n_help="number of processes (default: the paper's N for the mode)",
                       f_help="number of faulty processes (default: the mode's maximum)")
    add_attacker_argument(p)
    p.add_argument("--scenario", choices=SCENARIOS, default=None,
                   help="which scenario of a faulty mode (default: broadcaster-correct)")
    p.set_defaults(handler=run)
    return p


def pick_scenario(mode: str, n: int | None, f: int | None, attacker: str, name: str | None):
    n = PAPER_N[mode] if n is None else n
    options = scenarios(mode, n, f, attacker)
    if name is None:
        return options[0]
    for sc in options:
        if sc.name == name:
            return sc
    have = ", ".join(sc.name for sc in options)
    raise OracleError(f"{mode} with N={n} has no {name} scenario (it has: {have})")


def run(args: argparse.Namespace) -> int:
    candidate = read_candidate(args.file)
    scenario = pick_scenario(args.only, args.n, args.f, args.attacker, args.scenario)
    try:
        from rbengine.oracle.spin import promela
    except ImportError as exc:
        raise OracleError(f"the Spin backend is not available ({exc})") from None
    text = promela(candidate, scenario)
    print(text, end="" if text.endswith("\n") else "\n")
    return 0
