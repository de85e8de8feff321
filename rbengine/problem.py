"""What the learner core, store, runs, search and app need from a problem, and
the registry of problems (`get`, `names`, `for_run`).

Two layers. `Problem` is what a generic learner needs of one sized instance
(the shape of a candidate, an episode, a verdict): `AtomicCommit` implements
it. A registry entry (`ProblemEntry`) is what the command line, the store and
the app need: load a candidate, verify it, start and resume a run, report a
run, present a counterexample. Reliable Broadcast is registered as a thin
adapter over its existing modules (behaviour unchanged), atomic commit as the
second entry; a run's `problem` column names its entry. The vocabulary:

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

if TYPE_CHECKING:
    from .atomic_commit.machine import Machine
    from .atomic_commit.run import ACRun, ACRunConfig
    from .candidate import Candidate
    from .config import RunConfig
    from .run import Run
    from .store import Row, Store


@dataclass(frozen=True)
class Shape:
    """Decision points of a candidate and the choices at each."""

    points: Sequence[Any]
    choices: Callable[[Any], Sequence[Any]]


@runtime_checkable
class Problem(Protocol):
    name: str
    backends: tuple[str, ...]

    def sizes(self) -> dict[str, Any]: ...
    def shape(self) -> Shape: ...
    def loads(self, text: str) -> Any: ...
    def dumps(self, candidate: Any) -> str: ...
    def candidate_hash(self, candidate: Any) -> str: ...
    def allowed(self, point: Any, choice: Any, partial: dict[Any, Any]) -> bool: ...
    def episode(self, choose: Callable[[Any], Any],
                rng: random.Random) -> list[tuple[Any, Any, float]]: ...
    def verify(self, candidate: Any, backend: str | None = None) -> dict[str, Any]: ...
    def counterexample_text(self, counterexample: dict[str, Any]) -> str: ...


class AtomicCommit:
    """The atomic commit problem (docs/semantics-atomic-commit.md) behind Problem."""

    name = "atomic-commit"
    backends = ("builtin", "z3")

    def __init__(self, n: int = 3, rounds: int = 2, k: int = 1, properties: str = "classical",
                 f: int | None = None, partial: bool = True):
        from .atomic_commit.model import Model
        self.model = Model(n, rounds, f=f, partial=partial, properties=properties)
        self.k = k

    def sizes(self) -> dict[str, Any]:
        m = self.model
        return {"n": m.n, "rounds": m.rounds, "k": self.k, "f": m.f,
                "properties": m.set_name, "partial": m.partial}

    def shape(self) -> Shape:
        from .atomic_commit.machine import actions, keys
        acts = actions(self.k)
        return Shape(keys(self.model.n, self.k), lambda point: acts)

    def loads(self, text: str) -> Machine:
        from .atomic_commit.machine import Machine
        return Machine.loads(text, self.model.n)

    def dumps(self, candidate: Machine) -> str:
        return candidate.dumps()

    def candidate_hash(self, candidate: Machine) -> str:
        return candidate.hash()

    def allowed(self, point: object, choice: object, partial: dict[Any, Any]) -> bool:
        return True

    def episode(self, choose: Callable[[Any], int],
                rng: random.Random) -> list[tuple[Any, Any, float]]:
        """One self-play run; choose(point) -> choice. Returns (point, choice, target)."""
        from .atomic_commit.episode import play, sample_scenario
        votes, crashes = sample_scenario(self.model, rng)
        ep = play(self.model, self.k, votes, crashes,
                  lambda r, asks: [choose(key) for _, key in asks])
        return ep.targets(self.model.rounds)

    def verify(self, candidate: Machine, backend: str | None = None) -> dict[str, Any]:
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

    def counterexample_text(self, counterexample: dict[str, Any]) -> str:
        return cast(str, counterexample["text"])


PROBLEMS = {"atomic-commit": AtomicCommit}


# ---- the registry ---------------------------------------------------------------------
@runtime_checkable
class ProblemEntry(Protocol):
    name: str
    title: str
    learners: tuple[str, ...]

    @property
    def backends(self) -> tuple[str, ...]: ...

    def load_candidate(self, path: str, **sizes: Any) -> Any: ...
    def verify(self, candidate: Any, **options: Any) -> dict[str, Any]: ...
    # a run of the problem's own kind (rbengine.run.Run, ...atomic_commit.run.ACRun)
    def start_run(self, store: Store, config: Any, name: str | None = None) -> Any: ...
    def resume_run(self, store: Store, run_id: int | str, episodes: int | None = None) -> Any: ...
    def report(self, store: Store, row: Row, full: bool = False) -> dict[str, Any]: ...
    def counterexample_text(self, counterexample: dict[str, Any]) -> str: ...


class ReliableBroadcastEntry:
    """Reliable Broadcast through rbengine's own modules, unchanged."""

    name = "reliable-broadcast"
    title = "Reliable Broadcast"
    learners: tuple[str, ...] = ("tabular",)

    @property
    def backends(self) -> tuple[str, ...]:
        from . import oracle
        return tuple(oracle.BACKENDS)

    def load_candidate(self, path: str, **sizes: Any) -> Candidate:
        from .candidate import Candidate
        return Candidate.load(path)

    def verify(self, candidate: Candidate, **options: Any) -> dict[str, Any]:
        from . import oracle
        return oracle.verify(candidate, **options).to_json()

    def start_run(self, store: Store, config: RunConfig, name: str | None = None) -> Run:
        from .run import Run
        return Run.start(store, config, name=name)

    def resume_run(self, store: Store, run_id: int | str, episodes: int | None = None) -> Run:
        from .run import Run
        return Run.resume(store, run_id, episodes=episodes)

    def report(self, store: Store, row: Row, full: bool = False) -> dict[str, Any]:
        from .report import run_report
        return dict(run_report(store, row["id"], full=full), problem=self.name)

    def counterexample_text(self, counterexample: dict[str, Any]) -> str:
        from .counterexample import Counterexample
        return Counterexample.from_json(counterexample).text()


class AtomicCommitEntry:
    """Atomic commit (docs/semantics-atomic-commit.md): machines, two verifiers,
    the DQN and tabular learners, runs of rbengine.atomic_commit.run."""

    name = "atomic-commit"
    title = "Atomic commit"
    backends = AtomicCommit.backends
    learners: tuple[str, ...] = ("dqn", "tabular")

    def instance(self, n: int = 3, rounds: int = 2, k: int = 1,
                 properties: str = "classical") -> AtomicCommit:
        return AtomicCommit(n, rounds, k, properties)

    def load_candidate(self, path: str, **sizes: Any) -> Machine:
        from .atomic_commit.machine import Machine
        return Machine.load(path, sizes.get("n"))

    def verify(self, candidate: Machine, rounds: int = 2, properties: str = "classical",
               f: int | None = None, backend: str | None = None, **_: Any) -> dict[str, Any]:
        problem = AtomicCommit(candidate.n, rounds, candidate.k, properties, f=f)
        return problem.verify(candidate, backend)

    def start_run(self, store: Store, config: ACRunConfig, name: str | None = None) -> ACRun:
        from .atomic_commit.run import ACRun
        return ACRun.start(store, config, name=name)

    def resume_run(self, store: Store, run_id: int | str, episodes: int | None = None) -> ACRun:
        from .atomic_commit.run import ACRun
        return ACRun.resume(store, run_id, episodes=episodes)

    def report(self, store: Store, row: Row, full: bool = False) -> dict[str, Any]:
        from .atomic_commit.run import report
        return report(store, row, full=full)

    def counterexample_text(self, counterexample: dict[str, Any]) -> str:
        return cast(str, counterexample["text"])


REGISTRY: dict[str, ProblemEntry] = {}
DEFAULT = "reliable-broadcast"


def register(entry: ProblemEntry) -> ProblemEntry:
    REGISTRY[entry.name] = entry
    return entry


register(ReliableBroadcastEntry())
register(AtomicCommitEntry())


def names() -> tuple[str, ...]:
    return tuple(REGISTRY)


def get(name: str | None) -> ProblemEntry:
    from .errors import RbError
    name = name or DEFAULT
    if name not in REGISTRY:
        raise RbError(f"unknown problem {name!r} (known: {', '.join(REGISTRY)})")
    return REGISTRY[name]


def for_run(row: Row) -> ProblemEntry:
    """The entry of a run row (a row from before problems were named: RB)."""
    return get(row.get("problem") or DEFAULT)


def run_report(store: Store, run_id: int | str, full: bool = False) -> dict[str, Any]:
    """A run of any problem as a user reads it."""
    row = store.run(run_id)
    return for_run(row).report(store, row, full=full)
