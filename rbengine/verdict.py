"""The oracle's answer: per-scenario results grouped by size and, when
incorrect, a counterexample."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Any

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
    size: str = ""  # the size (rbengine.size) this scenario belongs to, e.g. "7:2"

    @builtins.property  # `property` is a field here
    def label(self) -> str:
        """"vacuous", "beyond bound" or "" (rbengine.size.check_label)."""
        from .size import check_label
        return check_label(self.mode, self.n, self.f)

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "n": self.n, "f": self.f, "scenario": self.scenario,
                "attacker": self.attacker, "correct": self.correct,
                "property": self.property, "states": self.states,
                "seconds": round(self.seconds, 6), "size": self.size, "label": self.label}

    @classmethod
    def from_json(cls, c: dict[str, Any]) -> "Check":
        return cls(c["mode"], c["n"], c["f"], c["scenario"], c.get("attacker"), c["correct"],
                   c.get("property"), c.get("states", 0), c.get("seconds", 0.0),
                   size=c.get("size") or f"{c['n']}")


@dataclass
class Verdict:
    correct: bool
    checks: list[Check] = field(default_factory=list)
    backend: str = ""
    candidate_hash: str = ""
    #: the sizes asked for, in checking order (cheapest first), as Size.text()
    sizes: list[str] = field(default_factory=list)
    #: rbengine.size.Note texts: vacuous modes and sizes beyond the bound
    notes: list[str] = field(default_factory=list)

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

    def per_size(self) -> list[dict[str, Any]]:
        """One entry per size asked for: its checks and whether it is correct
        (None: not checked, after an earlier size failed with stop_early)."""
        sizes = self.sizes or list(dict.fromkeys(c.size for c in self.checks))
        out = []
        for s in sizes:
            checks = [c for c in self.checks if c.size == s]
            ok = None if not checks else all(c.correct for c in checks)
            out.append({"size": s, "correct": ok, "checks": checks,
                        "states": sum(c.states for c in checks),
                        "seconds": sum(c.seconds for c in checks)})
        return out

    def to_json(self) -> dict[str, Any]:
        cx = self.counterexample
        return {"correct": self.correct, "checks": [c.to_json() for c in self.checks],
                "counterexample": cx.to_json() if cx else None,
                "sizes": [{"size": e["size"], "correct": e["correct"], "states": e["states"],
                           "seconds": round(e["seconds"], 6),
                           "scenarios": [c.to_json() for c in e["checks"]]}
                          for e in self.per_size()],
                "notes": list(self.notes)}

    @classmethod
    def from_json(cls, data: dict[str, Any], backend: str = "") -> "Verdict":
        """The inverse of to_json (the counterexample goes to its failing check)."""
        cx = data.get("counterexample")
        counterexample = Counterexample.from_json(cx) if cx else None
        checks = []
        for c in data.get("checks", ()):
            check = Check.from_json(c)
            if counterexample is not None and not check.correct \
                    and (counterexample.mode, counterexample.scenario, counterexample.n,
                         counterexample.f) == (check.mode, check.scenario, check.n, check.f):
                check.counterexample = counterexample
            checks.append(check)
        sizes = [e["size"] for e in data.get("sizes", ())]
        return cls(bool(data.get("correct")), checks, backend, sizes=sizes,
                   notes=list(data.get("notes", ())))

    def summary(self) -> str:
        if self.correct:
            return "correct"
        f = self.failed
        if f is None:
            return "incorrect"
        at = f", N={f.n} F={f.f}" if len(self.sizes) > 1 else ""
        return f"incorrect ({f.property}, {f.mode} {f.scenario}{at})"
