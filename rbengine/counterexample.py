"""A counterexample: the ordered concrete steps from the initial state to a
quiescent state that violates a property (docs/semantics.md §5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

VALUES = ("m", "m'")


def msg_text(t: int, v: int) -> str:
    return f"<type{t}, {VALUES[v]}>"


@dataclass(frozen=True)
class Step:
    """One concrete step.

    kind: ``broadcast`` (p0 runs RB-Broadcast), ``receive`` (process receives a
    message and runs its handler), ``emit`` (a crash-prone process performs one
    pending point-to-point send), ``crash``, ``byzantine`` (a Byzantine process
    sends a message to a correct one).
    """

    kind: str
    process: int
    sender: int | None = None
    msg: tuple[int, int] | None = None  # (type, value index)
    fired: tuple[str, ...] = ()  # actions fired, in the compact notation
    sends: tuple[tuple[int, int, int], ...] = ()  # (destination, type, value)
    delivered: int | None = None  # value delivered at this step
    dropped: tuple[tuple[int, int, int], ...] = ()  # pending sends lost at a crash

    def text(self) -> str:
        p = f"p{self.process}"
        if self.kind == "broadcast":
            head = f"{p} RB-Broadcast(m)"
        elif self.kind == "receive":
            msg = cast("tuple[int, int]", self.msg)  # a receive step has its message
            head = f"{p} receives {msg_text(*msg)} from p{self.sender}"
        elif self.kind == "emit":
            d, t, v = self.sends[0]
            return f"{p} sends {msg_text(t, v)} to p{d}"
        elif self.kind == "crash":
            extra = f" ({len(self.dropped)} pending send(s) lost)" if self.dropped else ""
            return f"{p} crashes{extra}"
        elif self.kind == "byzantine":
            d, t, v = self.sends[0]
            return f"{p} (Byzantine) sends {msg_text(t, v)} to p{d}"
        else:
            head = f"{p} {self.kind}"
        parts = [head]
        if self.fired:
            parts.append("fires " + ", ".join(self.fired))
        if self.sends:
            parts.append("sends " + ", ".join(f"{msg_text(t, v)}->p{d}" for d, t, v in self.sends))
        if self.delivered is not None:
            parts.append(f"DELIVERS {VALUES[self.delivered]}")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        # by hand: dataclasses.asdict deep-copies every tuple, and a search
        # serialises a counterexample per candidate (its fields are immutable)
        return {"kind": self.kind, "process": self.process, "sender": self.sender,
                "msg": self.msg, "fired": self.fired, "sends": self.sends,
                "delivered": self.delivered, "dropped": self.dropped, "text": self.text()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Step":
        return cls(kind=d["kind"], process=d["process"], sender=d.get("sender"),
                   msg=tuple(d["msg"]) if d.get("msg") is not None else None,
                   fired=tuple(d.get("fired", ())),
                   sends=tuple(tuple(s) for s in d.get("sends", ())),
                   delivered=d.get("delivered"),
                   dropped=tuple(tuple(s) for s in d.get("dropped", ())))


@dataclass(frozen=True)
class Counterexample:
    mode: str
    n: int
    f: int
    scenario: str
    attacker: str | None
    faulty: tuple[int, ...]
    property: str  # validity | agreement | integrity
    steps: tuple[Step, ...] = ()
    delivered: dict[int, int | None] = field(default_factory=dict)  # correct process -> value index or None
    #: False when the backend was asked for a verdict, not a shortest trail
    #: (learning runs and searches): a real counterexample, maybe a longer one.
    shortest: bool = True

    def text(self) -> str:
        who = ", ".join(f"p{p}" for p in self.faulty) or "none"
        lines = [f"RB-{self.property.capitalize()} violated: {self.mode}"
                 + (f" ({self.attacker})" if self.attacker else "")
                 + f", N={self.n}, F={self.f}, {self.scenario} (faulty: {who})"
                 + ("" if self.shortest else "; not necessarily a shortest counterexample")]
        for i, s in enumerate(self.steps, 1):
            lines.append(f"{i:>3}. {s.text()}")
        final = ", ".join(f"p{p}: {VALUES[v] if v is not None else '-'}"
                          for p, v in sorted(self.delivered.items()))
        lines.append(f"  quiescent; delivered by correct processes: {final}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "n": self.n, "f": self.f, "scenario": self.scenario,
                "attacker": self.attacker, "faulty": list(self.faulty),
                "property": self.property, "steps": [s.to_json() for s in self.steps],
                "delivered": {str(p): v for p, v in self.delivered.items()},
                "shortest": self.shortest}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Counterexample":
        return cls(mode=d["mode"], n=d["n"], f=d["f"], scenario=d["scenario"],
                   attacker=d.get("attacker"), faulty=tuple(d["faulty"]),
                   property=d["property"],
                   steps=tuple(Step.from_json(s) for s in d.get("steps", ())),
                   delivered={int(p): v for p, v in d.get("delivered", {}).items()},
                   shortest=d.get("shortest", True))
