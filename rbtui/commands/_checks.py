"""The report checks' flag and their loud failure, shared by `run` and `show`."""

from __future__ import annotations

import sys


def add_checks_argument(p) -> None:
    p.add_argument("--no-report-checks", action="store_true", dest="no_report_checks",
                   help="skip the report's extra checks of a finished run (its answer's "
                        "matrix at more sizes, Spin's confirmation of its verdicts)")


def report_disagreements(checks: dict | None) -> bool:
    """Print each disagreement between backends as an error; True if any."""
    bad = (checks or {}).get("disagreements") or []
    for d in bad:
        print(f"rbtui: error: backends disagree: {d}", file=sys.stderr)
    return bool(bad)
