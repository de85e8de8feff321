"""Helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from contextlib import contextmanager

from rbengine.candidate import Candidate
from rbengine.errors import CandidateError, RbError
from rbengine.scenario import ATTACKERS, MODES


class UsageError(RbError):
    """Options that do not go together (one line, exit status 2)."""


def read_candidate(path: str) -> Candidate:
    """A candidate file (JSON or the compact notation); ``-`` is standard input."""
    if path == "-":
        try:
            text = sys.stdin.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise CandidateError(f"cannot read standard input: {exc}") from None
        try:
            return Candidate.loads(text)
        except CandidateError as exc:
            raise CandidateError(f"<stdin>: {exc}") from None
    return Candidate.load(path)


def add_candidate_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE",
                        help="candidate file, JSON or compact notation ('-' reads standard input)")


def at_least(low: int):
    """An argparse type: a whole number >= `low`."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected a number >= {low}, got {value}")
        return value
    parse.__name__ = f"number >= {low}"
    return parse


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def add_size_arguments(parser: argparse.ArgumentParser, n_help: str, f_help: str) -> None:
    parser.add_argument("--n", "-N", type=positive_int, metavar="N", help=n_help)
    parser.add_argument("--f", "-F", type=positive_int, metavar="F", help=f_help)


def add_attacker_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--attacker", choices=ATTACKERS, default="full",
                        help="Byzantine adversary: full (forges values, the default) "
                             "or same-value (sends only m)")


MODE_CHOICES = MODES


@contextmanager
def pause_on_signals(job, note=None, signals: list[int] | None = None):
    """While in the block, SIGINT and SIGTERM ask `job` (a run or a search) to
    stop at its next checkpoint and call `note`; a second signal aborts with
    KeyboardInterrupt. Yields the list of signals received (for the exit
    status); the previous handlers come back on leaving."""
    received: list[int] = [] if signals is None else signals

    def on_signal(signum, frame):
        received.append(signum)
        if job.stopping:
            raise KeyboardInterrupt
        job.stop()
        if note is not None:
            note()

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def pausing_note(printer, quiet: bool):
    """The note a learning run prints on its first Ctrl-C (none when quiet)."""
    if quiet:
        return None
    return lambda: printer.note("pausing after the current episode... (Ctrl-C again to abort)")


def signal_status(signum: int | None) -> int:
    """The shell's convention for a command ended by a signal, 128 + its
    number: 130 for Ctrl-C (SIGINT), 143 for SIGTERM (a pause from elsewhere
    is reported as 130, as if asked by Ctrl-C)."""
    return 128 + int(signum if signum is not None else signal.SIGINT)


class Style:
    """ANSI colour, only when writing to a terminal (and NO_COLOR is unset)."""

    def __init__(self, stream=None):
        stream = stream or sys.stdout
        self.enabled = (hasattr(stream, "isatty") and stream.isatty()
                        and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb")

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def good(self, text: str) -> str:
        return self._wrap("1;32", text)

    def bad(self, text: str) -> str:
        return self._wrap("1;31", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def bold(self, text: str) -> str:
        return self._wrap("1", text)
