"""What the learner core, store, runs, search and app need from a problem.

A sketch of the interface both problems will implement; today only atomic
commit does (`AtomicCommit` below). Reliable Broadcast is still wired through
the engine directly. The vocabulary of the interface:

- a *candidate* is what is learned and verified (RB: two handlers of actions;
  atomic commit: a transition table); it has a stable hash and a text form;
- its *shape* is the list of decision points and the choices at each (RB: the
  action slots of a handler, the vocabulary; atomic commit: the table's inputs,
  the next states);
- an *episode* builds or plays a candidate and ends with rewards per decision;
- *heuristics* prune choices before they are tried (RB: GH1-GH10; atomic commit:
  none, its search prunes with the verifier instead);
- *backends* verify; every verdict is {correct, checks, counterexample} and a
  counterexample can be presented as text and as JSON.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable, Protocol, Sequence, runtime_checkable


@dataclass(frozen=True)
class Shape:
    """Decision points of a candidate and the choices at each."""

    points: Sequence[Any]
    choices: Callable[[Any], Sequence[Any]]


@runtime_checkable
class Problem(Protocol):
    name: str
    backends: tuple[str, ...]

    def sizes(self) -> dict: ...
    def shape(self) -> Shape: ...
    def loads(self, text: str) -> Any: ...
    def dumps(self, candidate: Any) -> str: ...
    def candidate_hash(self, candidate: Any) -> str: ...
    def allowed(self, point: Any, choice: Any, partial: dict) -> bool: ...
    def episode(self, choose: Callable, rng: random.Random) -> list[tuple[Any, Any, float]]: ...
    def verify(self, candidate: Any, backend: str | None = None) -> dict: ...
    def counterexample_text(self, counterexample: dict) -> str: ...


class AtomicCommit:
    """The atomic commit problem (docs/semantics-atomic-commit.md) behind Problem."""

    name = "atomic-commit"
    backends = ("builtin", "z3")

    def __init__(self, n: int = 3, rounds: int = 2, k: int = 1, properties: str = "classical",
                 f: int | None = None, partial: bool = True):
        from .atomic_commit.model import Model
        self.model = Model(n, rounds, f=f, partial=partial, properties=properties)
        self.k = k

    def sizes(self) -> dict:
        m = self.model
        return {"n": m.n, "rounds": m.rounds, "k": self.k, "f": m.f,
                "properties": m.set_name, "partial": m.partial}

    def shape(self) -> Shape:
        from .atomic_commit.machine import actions, keys
        acts = actions(self.k)
        return Shape(keys(self.model.n, self.k), lambda point: acts)

    def loads(self, text: str):
        from .atomic_commit.machine import Machine
        return Machine.loads(text, self.model.n)

    def dumps(self, candidate) -> str:
        return candidate.dumps()

    def candidate_hash(self, candidate) -> str:
        return candidate.hash()

    def allowed(self, point, choice, partial) -> bool:
        return True

    def episode(self, choose, rng):
        """One self-play run; choose(point) -> choice. Returns (point, choice, target)."""
        from .atomic_commit.episode import play, sample_scenario
        votes, crashes = sample_scenario(self.model, rng)
        ep = play(self.model, self.k, votes, crashes,
                  lambda r, asks: [choose(key) for _, key in asks])
        return ep.targets(self.model.rounds)

    def verify(self, candidate, backend: str | None = None) -> dict:
        from .atomic_commit import checker, smt
        from .errors import OracleError
        backend = backend or "builtin"
        if backend not in self.backends:
            raise OracleError(f"unknown backend {backend!r} (known: {', '.join(self.backends)})")
        r = (checker.check if backend == "builtin" else smt.check)(candidate, self.model)
        return {"correct": r.correct,
                "checks": [{"property": r.property, "correct": r.correct,
                            "states": r.configs, "seconds": round(r.seconds, 6)}],
                "counterexample": r.counterexample.to_json() if r.counterexample else None}

    def counterexample_text(self, counterexample: dict) -> str:
        return counterexample["text"]


PROBLEMS = {"atomic-commit": AtomicCommit}
