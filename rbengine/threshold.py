"""Threshold tokens of docs/semantics.md §1 and their value for a given (N, F)."""

from __future__ import annotations

from .errors import CandidateError

ZERO = "0"
ORIGIN = "origin"

#: Every token the project understands, in increasing order of strength
#: (the order of the paper's Table 3: 0 < 1 <= F+1 <= (N+F)/2 <= N-F).
TOKENS: tuple[str, ...] = ("0", "1", "F+1", "(N+F)/2", "N-F", "2F+1", ORIGIN)

_ALIASES = {
    "f+1": "F+1",
    "(n+f)/2": "(N+F)/2",
    "n-f": "N-F",
    "2f+1": "2F+1",
}


def normalize(token: object) -> str:
    """Accept a token as written by a person (case, spaces) or as an int 0/1."""
    if isinstance(token, bool):
        raise CandidateError(f"unknown threshold token {token!r}")
    if isinstance(token, int):
        token = str(token)
    if not isinstance(token, str):
        raise CandidateError(f"unknown threshold token {token!r}")
    t = token.replace(" ", "")
    if t in TOKENS:
        return t
    t = _ALIASES.get(t.lower(), t)
    if t.lower() == ORIGIN:
        return ORIGIN
    if t in TOKENS:
        return t
    raise CandidateError(f"unknown threshold token {token!r} (known: {', '.join(TOKENS)})")


def value(token: str, n: int, f: int) -> int:
    """Number of distinct senders the token requires (origin counts as 1 sender,
    the broadcaster; callers treat it specially)."""
    if token == "0":
        return 0
    if token == "1" or token == ORIGIN:
        return 1
    if token == "F+1":
        return f + 1
    if token == "(N+F)/2":
        return (n + f) // 2 + 1
    if token == "N-F":
        return n - f
    if token == "2F+1":
        return 2 * f + 1
    raise CandidateError(f"unknown threshold token {token!r}")


def rank(token: str) -> int:
    """Position in TOKENS; used for sorting and for the runtime reward."""
    return TOKENS.index(token)
