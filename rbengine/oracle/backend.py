"""The contract every verification backend keeps, and the one place they are registered.

A backend decides one scenario at a time; the oracle (``rbengine.oracle``)
composes scenarios into verdicts, sizes and caches. Backends differ only in
how they search, never in what they answer: the differential tests hold each
one to the verdicts of the others and of docs/semantics.md.

To add a backend: write a module in this package with a class that satisfies
``Backend``, expose an instance as ``BACKEND``, and name the module in
``REGISTRY``. Nothing else in the project (CLI, app, config validation) keeps
its own list.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import NamedTuple, Protocol, runtime_checkable

from ..candidate import Candidate
from ..counterexample import Counterexample
from ..errors import OracleError
from ..scenario import Scenario

#: name -> module (imported only when the backend is used: spin needs jinja2).
REGISTRY: dict[str, str] = {
    "spin": "rbengine.oracle.spin",
    "builtin": "rbengine.oracle.builtin",
    "reference": "rbengine.oracle.reference",
}


class ScenarioResult(NamedTuple):
    """One scenario's answer: the highest-priority violated property (None:
    correct), the states the search stored, and a replayed counterexample
    when a property is violated."""

    violated: str | None
    states: int
    counterexample: Counterexample | None


@runtime_checkable
class Backend(Protocol):
    """What the oracle asks of a backend.

    ``check`` must honour ``cancel`` (polled during the search) and
    ``timeout`` (seconds for this scenario) by raising OracleError, and must
    raise OracleError (or a subclass) for every failure of its own (a missing
    tool, memory, a state limit), never another exception type: callers show
    one readable line and keep the store untouched.
    """

    name: str
    #: one line for help texts and the app's backend menu
    description: str

    def unavailable(self) -> str | None:
        """None when the backend can run here, else why not (e.g. 'spin is not installed')."""
        ...

    def check(self, candidate: Candidate, scenario: Scenario, *, types: int | None = None,
              cancel: Callable[[], bool] | None = None, timeout: float | None = None,
              **options: object) -> ScenarioResult:
        ...


def names() -> tuple[str, ...]:
    """Every registered backend, available here or not."""
    return tuple(REGISTRY)


def get(name: str) -> Backend:
    """The backend called `name` (OracleError if unknown or not loadable)."""
    if name not in REGISTRY:
        raise OracleError(f"unknown backend {name!r} (known: {', '.join(REGISTRY)})")
    try:
        module = importlib.import_module(REGISTRY[name])
    except ImportError as exc:  # a missing dependency, e.g. jinja2 for spin
        raise OracleError(f"backend {name!r} cannot be loaded: {exc}") from None
    backend: Backend = module.BACKEND
    return backend


def why_unavailable(name: str) -> str | None:
    """None when `name` can run here, else the reason (unknown names included)."""
    try:
        return get(name).unavailable()
    except OracleError as exc:
        return str(exc)


def available() -> list[str]:
    """The backends that can run here, in registry order."""
    return [n for n in REGISTRY if why_unavailable(n) is None]


def preferred() -> str:
    """The backend a new verification uses when none is named: Spin, the
    paper's oracle, when it and gcc are installed, else the built-in checker."""
    return "spin" if why_unavailable("spin") is None else "builtin"


def interactive() -> str:
    """The app's default: the built-in checker (answers in milliseconds, no
    compiler), else whatever can run."""
    ok = available()
    return "builtin" if "builtin" in ok else (ok[0] if ok else "reference")
