"""The oracle's answer: per-scenario results and, when incorrect, a counterexample."""

from __future__ import annotations

from dataclasses import dataclass, field

from .counterexample import Counterexample


@dataclass
class Check:
    mode: str
    n: int
    f: int
    scenario: str
    attacker: str | None
    correct: bool
    property: str | None = None
    states: int = 0
    seconds: float = 0.0
    counterexample: Counterexample | None = None

    def to_json(self) -> dict:
        return {"mode": self.mode, "n": self.n, "f": self.f, "scenario": self.scenario,
                "attacker": self.attacker, "correct": self.correct,
                "property": self.property, "states": self.states,
                "seconds": round(self.seconds, 6)}


@dataclass
class Verdict:
    correct: bool
    checks: list[Check] = field(default_factory=list)
    backend: str = ""
    candidate_hash: str = ""

    @property
    def counterexample(self) -> Counterexample | None:
        for c in self.checks:
            if not c.correct and c.counterexample is not None:
                return c.counterexample
        return None

    @property
    def states(self) -> int:
        return sum(c.states for c in self.checks)

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.checks)

    @property
    def failed(self) -> Check | None:
        return next((c for c in self.checks if not c.correct), None)

    def to_json(self) -> dict:
        cx = self.counterexample
        return {"correct": self.correct, "checks": [c.to_json() for c in self.checks],
                "counterexample": cx.to_json() if cx else None}

    def summary(self) -> str:
        if self.correct:
            return "correct"
        f = self.failed
        return f"incorrect ({f.property}, {f.mode} {f.scenario})" if f else "incorrect"
