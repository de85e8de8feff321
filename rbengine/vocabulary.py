"""Which actions the learner may choose from (the paper's Table 2 and extensions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import threshold as thr
from .action import DELIVER, SENDS, STOP_ACTION, Action
from .errors import CandidateError


@dataclass(frozen=True)
class Vocabulary:
    """T message types and a set of threshold tokens. Token 0 gives one
    type-agnostic condition; every other token one condition per type.

    max_actions and max_types are the defaults of GH6's maximum (STOP
    included) and GH10 for this vocabulary: the paper's 4 and 2, and for
    the sound preset 5 and 3, so that Bracha-class candidates (echo, ready,
    amplification, deliver, STOP) are in the space."""

    name: str
    types: int
    tokens: tuple[str, ...]
    logics: tuple[str, ...] = field(default=SENDS + (DELIVER,))
    max_actions: int = 4
    max_types: int = 2

    def conditions(self) -> list[tuple[int, str]]:
        conds = []
        for tok in self.tokens:
            if tok == "0":
                conds.append((0, "0"))
            else:
                conds.extend((t, tok) for t in range(self.types))
        return conds

    def actions(self) -> list[Action]:
        """All actions, STOP last: 64 for the paper preset."""
        out = []
        for logic in self.logics:
            send_types = range(self.types) if logic in SENDS else [None]
            for st in send_types:
                for ct, tok in self.conditions():
                    out.append(Action(logic, st, ct, tok))
        out.append(STOP_ACTION)
        return out

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "types": self.types, "tokens": list(self.tokens)}


PAPER = Vocabulary("paper", 2, ("0", "1", "F+1", "(N+F)/2", "N-F"))
SOUND = Vocabulary("sound", 3, ("0", "1", "F+1", "(N+F)/2", "N-F", "origin"),
                   max_actions=5, max_types=3)
PRESETS = {"paper": PAPER, "sound": SOUND}


def get(name_or_spec: str | dict[str, Any] | Vocabulary) -> Vocabulary:
    """A preset by name, or a custom vocabulary from ``{"types": T, "tokens": [...]}``."""
    if isinstance(name_or_spec, Vocabulary):
        return name_or_spec
    if isinstance(name_or_spec, str):
        if name_or_spec not in PRESETS:
            raise CandidateError(f"unknown vocabulary {name_or_spec!r} (presets: paper, sound)")
        return PRESETS[name_or_spec]
    try:
        types = int(name_or_spec["types"])
        tokens = tuple(thr.normalize(t) for t in name_or_spec["tokens"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CandidateError(f"bad vocabulary {name_or_spec!r}: {exc}") from None
    if not 1 <= types <= 8:
        raise CandidateError("a vocabulary has 1..8 message types")
    return Vocabulary(str(name_or_spec.get("name", "custom")), types, tokens)
