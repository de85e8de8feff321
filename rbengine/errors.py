"""Errors the user can act on: each carries one readable line."""


class RbError(Exception):
    """Base of every error rbengine reports to a user (one line, exit code 2)."""


class CandidateError(RbError):
    """A candidate file or notation that does not follow docs/semantics.md §1/§6."""


class OracleError(RbError):
    """The oracle could not give a verdict (tool missing, out of memory/time...).

    Raised instead of returning a verdict: no verdict is better than a wrong one.
    """


class StateLimitError(OracleError):
    """A search reached its state budget: no verdict, and the caller may try a
    smaller size or another backend (tests skip such cases)."""


class StoreError(RbError):
    """A store that cannot be used safely (newer schema, corrupt file)."""
