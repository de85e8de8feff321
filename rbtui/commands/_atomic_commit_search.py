"""``rbtui search --problem atomic-commit``: the certified search over state
machines (rbengine.atomic_commit.search), complete: a correct machine of K
unnamed states and R rounds if one exists, else the certificate that none does.
Exit status 0 a machine found, 1 none exists (certified), 2 error or a node
limit reached before an answer.
"""

from __future__ import annotations

import argparse
import json

from rbengine import problem as problems
from rbengine.config import ConfigError
from rbengine.errors import RbError

from ._common import positive_int

AC = "atomic-commit"
RB_ONLY = ("target", "attacker", "vocabulary", "sizes", "max_actions", "config", "backend",
           "workers", "scheduler", "resume", "batch")
AC_ONLY = ("rounds", "states", "properties", "node_limit")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--problem", choices=problems.names(), default=None,
                   help="the problem whose space is searched (default: reliable-broadcast)")
    g = p.add_argument_group("atomic commit (with --problem atomic-commit)")
    g.add_argument("--rounds", "-R", type=positive_int, metavar="R", default=None,
                   help="rounds (default 2; with --grow the largest tried, default 3)")
    g.add_argument("--states", "-K", type=positive_int, metavar="K", default=None,
                   help="unnamed states (default 1; with --grow the largest tried, default 2)")
    g.add_argument("--properties", choices=("classical", "paper"), default=None,
                   help="classical (the default) or the paper's P1-P5")
    g.add_argument("--grow", action="store_true",
                   help="from few states and rounds upwards: the smallest (K, R) that admit "
                        "a correct machine")
    g.add_argument("--node-limit", type=positive_int, metavar="M", default=None,
                   dest="node_limit", help="stop after M search nodes (no certificate then)")


def dispatch(args: argparse.Namespace) -> int | None:
    if (args.problem or problems.DEFAULT) != AC:
        given = [o for o in AC_ONLY if getattr(args, o, None) is not None]
        if args.grow:
            given.append("grow")
        if given:
            raise ConfigError(f"--{given[0].replace('_', '-')} is an option of "
                              f"--problem atomic-commit")
        return None
    given = [o for o in RB_ONLY if getattr(args, o, None) is not None]
    given += [o for o in ("off", "all", "count") if getattr(args, o, None)]
    if given:
        raise ConfigError(f"--{given[0].replace('_', '-')} is not an option of "
                          f"--problem atomic-commit")
    return main(args)


def main(args: argparse.Namespace) -> int:
    from rbengine.atomic_commit import search
    from rbengine.atomic_commit.model import Model
    from rbengine.atomic_commit.table import table_text
    props = args.properties or "classical"
    n = 3 if args.n is None else args.n
    Model(n, 1, f=args.f, properties=props)  # bad N, f: one line, exit 2
    if args.grow:
        g = search.grow(n, props, max_k=2 if args.states is None else args.states,
                        max_rounds=3 if args.rounds is None else args.rounds,
                        node_limit=args.node_limit)
        tried = [{"k": r.k, "rounds": r.rounds, "exists": r.exists, "nodes": r.nodes,
                  "seconds": round(r.seconds, 3)} for r in g.results]
        if args.json:
            print(json.dumps({"problem": AC, "n": n, "properties": props, "tried": tried,
                              "smallest": [list(p) for p in g.smallest]}, indent=2))
        else:
            for t in tried:
                word = {True: "a correct machine", False: "none (certified)",
                        None: "unknown (node limit)"}[t["exists"]]
                print(f"K={t['k']} R={t['rounds']}: {word}, {t['nodes']} nodes, "
                      f"{t['seconds']:.2f} s")
            print("smallest (K, R): " + (", ".join(f"({k}, {r})" for k, r in g.smallest)
                                         or "none within the bounds"))
        return 0 if g.smallest else 1
    k = 1 if args.states is None else args.states
    rounds = 2 if args.rounds is None else args.rounds
    res = search.find(n, k, rounds, props, f=args.f, node_limit=args.node_limit)
    if args.json:
        print(json.dumps({"problem": AC, "n": n, "k": k, "rounds": rounds,
                          "properties": props, "exists": res.exists, "nodes": res.nodes,
                          "seconds": round(res.seconds, 3),
                          "machine": res.machine.to_json() if res.machine else None}, indent=2))
    else:
        head = f"atomic commit N={n} K={k} R={rounds} {props}: "
        if res.machine is not None:
            print(head + f"a correct machine ({res.nodes} nodes, {res.seconds:.2f} s), "
                         f"hash {res.machine.hash()}")
            print(table_text(res.machine))
        elif res.exists is False:
            print(head + f"no correct machine exists (the search is complete: {res.nodes} "
                         f"nodes, {res.seconds:.2f} s)")
        else:
            print(head + f"no answer within {res.nodes} nodes")
    if res.exists is None:
        raise RbError(f"the node limit ({args.node_limit}) was reached before an answer")
    return 0 if res.exists else 1
