"""``rbtui trail MODEL [TRAIL]``: the readable counterexample of a trail that
plain Spin wrote for a model exported by ``rbtui promela``.

The model names its candidate and scenario (its rbtui-model line); the trail is
replayed by ``spin -t`` and its moves are concretized and checked on the
concrete model, as the Spin backend does with its own trails. Exit status 0,
or 2 when the trail or the model cannot be used.
"""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "trail", help="show a trail of Spin on an exported model as a counterexample",
        description="Turn the trail that Spin's verifier wrote for a model exported by "
                    "`rbtui promela` (spin -a m.pml; gcc -o pan pan.c; ./pan writes "
                    "m.pml.trail) into the counterexample `rbtui verify` prints.")
    p.add_argument("model", metavar="MODEL", help="the exported model (m.pml)")
    p.add_argument("trail", metavar="TRAIL", nargs="?", default=None,
                   help="the trail (default: MODEL.trail)")
    p.set_defaults(handler=run)
    return p


def run(args: argparse.Namespace) -> int:
    from rbengine.oracle.spin import from_trail
    print(from_trail(args.model, args.trail).text())
    return 0
