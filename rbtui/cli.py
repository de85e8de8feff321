"""The ``rbtui`` command: the Textual app without a subcommand, headless
subcommands otherwise (``rbtui --help`` lists them).

Exit status: 0 success (a correct candidate), 1 an incorrect candidate,
2 a usage error or a failure the user can act on, 128 + the signal's number
when a run or a search is paused or aborted by one (130 Ctrl-C, 143 SIGTERM).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import sys

from rbengine import __version__
from rbengine.errors import RbError

#: Subcommand modules of rbtui.commands, in help order. Adding a command is
#: adding its module name here.
COMMANDS: tuple[str, ...] = (
    "verify",
    "matrix",
    "prove",
    "promela",
    "trail",
    "show_candidate",
    "run",
    "search",
    "runs",
    "show",
    "export",
)

#: The commands that read or write a store; the others take no --db (it would
#: be ignored) and refuse it.
STORE_COMMANDS: frozenset[str] = frozenset({"run", "search", "runs", "show", "export"})

PROG = "rbtui"
_STORE_SUFFIXES = (".sqlite", ".sqlite3", ".db")


class Parser(argparse.ArgumentParser):
    """Usage errors as one line (exit 2), like every other error of rbtui."""

    def error(self, message: str):
        command = self.prog[len(PROG):].strip()
        where = f"{command}: " if command else ""
        self.exit(2, f"{PROG}: error: {where}{message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description="Generate Reliable Broadcast algorithms with reinforcement learning and "
                    "verify them. Without a command, opens the workbench on the store.",
        epilog="rbtui STORE.sqlite opens the workbench on that store.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--db", metavar="PATH", default=None,
                        help="the store (an SQLite file) to open or record runs in")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name in COMMANDS:
        module = importlib.import_module(f"rbtui.commands.{name}")
        module.add_parser(sub)
    for name, sp in sub.choices.items():
        # --db is accepted after the command too; SUPPRESS keeps a global value.
        # A command without a store parses it only to refuse it (see main).
        if "--db" not in sp._option_string_actions:
            sp.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS,
                            help="the store (an SQLite file)" if name in STORE_COMMANDS
                            else argparse.SUPPRESS)
    parser.set_defaults(handler=None)
    parser.commands = dict(sub.choices)  # type: ignore[attr-defined]
    return parser


def _store_argument(argv: list[str], commands) -> tuple[list[str], str | None]:
    """``rbtui PATH`` (one argument that is not a command but names a store)
    means ``rbtui --db PATH``."""
    rest, i = [], 0
    positional = []
    while i < len(argv):
        a = argv[i]
        if a == "--db" and i + 1 < len(argv):
            rest += argv[i:i + 2]
            i += 2
            continue
        if not a.startswith("-") or a == "-":
            positional.append((len(rest), a))
        rest.append(a)
        i += 1
    if len(positional) != 1:
        return argv, None
    idx, word = positional[0]
    if word in commands:
        return argv, None
    if os.path.exists(word) or word.endswith(_STORE_SUFFIXES) or os.sep in word:
        return rest[:idx] + rest[idx + 1:], word
    return argv, None


def _make_app(app_class, db: str | None):
    """Build the app, handing it the store path under whichever name it takes."""
    if db is None:
        return app_class()
    params = inspect.signature(app_class).parameters
    for name in ("db", "db_path", "store", "store_path", "path"):
        if name in params:
            return app_class(**{name: db})
    return app_class(db)


def launch_app(db: str | None) -> int:
    try:
        from rbtui.app import RbtuiApp
    except ImportError as exc:
        print(f"{PROG}: error: the workbench app is not available ({exc})", file=sys.stderr)
        return 2
    app = _make_app(RbtuiApp, db)
    # a store named on the command line that does not exist (a typo?) is created
    # only when the user says so, in a dialog; the default store is made on first use
    app.ask_create = db is not None and not os.path.exists(db)
    result = app.run()
    return result if isinstance(result, int) else 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser()
        argv, store = _store_argument(argv, parser.commands)  # type: ignore[attr-defined]
        args = parser.parse_args(argv)
        if store is not None:
            if args.db is not None:
                parser.error(f"two stores given: {store} and --db {args.db}")
            args.db = store
        if args.command is None:
            return launch_app(args.db)
        if args.db is not None and args.command not in STORE_COMMANDS:
            parser.commands[args.command].error(  # type: ignore[attr-defined]
                f"{args.command} uses no store: drop --db")
        return int(args.handler(args))
    except RbError as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (rbtui ... | head): not an error of ours
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
