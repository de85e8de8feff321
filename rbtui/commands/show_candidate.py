"""``rbtui show-candidate FILE``: print a candidate in another form."""

from __future__ import annotations

import argparse
import json

from rbengine import metrics
from rbengine.notation import latex, pseudo

from ._common import add_candidate_argument, add_size_arguments, read_candidate

FORMATS = ("notation", "json", "pseudo", "latex", "metrics")


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "show-candidate", help="print a candidate as notation, JSON, pseudo-code, LaTeX or metrics",
        description="Read a candidate (JSON or compact notation) and print it in another form.")
    add_candidate_argument(p)
    p.add_argument("--format", choices=FORMATS, default="notation",
                   help="notation (default), json (the interchange format), pseudo (the "
                        "paper's pseudo-code), latex, or metrics (efficiency)")
    add_size_arguments(p, n_help="N for the metrics (default 4)",
                       f_help="F for the metrics (default floor((N-1)/3))")
    p.add_argument("--json", action="store_true", help="with --format metrics: print JSON")
    p.set_defaults(handler=run)
    return p


def run(args: argparse.Namespace) -> int:
    c = read_candidate(args.file)
    if args.format == "notation":
        print(c.notation())
    elif args.format == "json":
        print(c.dumps(), end="")
    elif args.format == "pseudo":
        print(pseudo(c))
    elif args.format == "latex":
        print(latex(c))
    else:
        n = 4 if args.n is None else args.n
        f = (n - 1) // 3 if args.f is None else args.f
        if args.json:
            print(json.dumps(metrics.to_json(c, n, f)))
        else:
            print(metrics.text(c, n, f))
    return 0
